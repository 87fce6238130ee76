// Package ui holds the server-rendered HTML components (templ) and their view
// models. Components only render what they are given: no database, no world.
package ui

// Page is what every page's layout needs.
type Page struct {
	Title string
	// CSRFToken goes into every state-changing form and into a meta tag for
	// scripts that send X-CSRF-Token.
	CSRFToken string
	// Notice, when set, shows a workshop learner what the instructor said
	// last; NoticeStream is its event stream.
	Notice       *WorkshopNotice
	NoticeStream string
}

// HomePage is the view model of the home page.
type HomePage struct {
	Page
	DisplayName string
	Scenarios   []string
	Sandboxes   []SandboxView
	// CACertURL is where the sandbox's root CA can be downloaded.
	CACertURL string
	// Error is shown above the forms after a refused submission.
	Error string
	// RealAzure, when set, offers real-mode sandboxes: what each one gets
	// in the server's subscription, with its pricing tier.
	RealAzure []string
	// Lessons is the catalog, each with a Start button (self-paced).
	Lessons []HomeLesson
	// Join shows the "Join a workshop" form; Workshops are the learner's.
	Join      bool
	Workshops []HomeWorkshop
}

// HomeLesson is a lesson on the landing page.
type HomeLesson struct {
	ID, Title, Summary string
	StartURL           string
	GoalMet            bool
}

// HomeWorkshop is a workshop the learner joined.
type HomeWorkshop struct {
	Title, Name, URL string
	Ended            bool
}

// SandboxView is one sandbox's connection details, as shown to its learner.
type SandboxView struct {
	ID               string
	Scenario         string
	CreatedAt        string
	SandboxTime      string
	AccessKey        string
	TenantID         string
	SubscriptionID   string
	ProxyURL         string // without credentials
	ProxyPassword    string // tags proxy traffic only; not the access key
	ProxyURLWithAuth string // http://<id>:<proxyPassword>@host:port
	CACertURL        string
	ResourceGroup    string
	KeyVaultURL      string
	SecretName       string
	QueueURL         string
	ThirdPartyAPIURL string
	AppServiceSite   string
	Owner            PrincipalView
	LocalDev         PrincipalView
	DeveloperUPN     string
	DeveloperSecret  string
	// Azure is set for a real-mode sandbox.
	Azure *AzureView
}

// AzureView is a real-mode sandbox's resources in real Azure.
type AzureView struct {
	Status        string
	Progress      string // "3 of 8 steps"
	Error         string
	ResourceGroup string
	KeyVaultURL   string
	QueueURL      string
	LocalDev      PrincipalView
}

// PrincipalView is a service principal's credentials.
type PrincipalView struct {
	Label        string
	ClientID     string
	ClientSecret string
	ObjectID     string
}
