// Package ui holds the server-rendered HTML components (templ) and their view
// models. Components only render what they are given: no database, no world.
package ui

// Page is what every page's layout needs.
type Page struct {
	Title string
	// CSRFToken goes into every state-changing form and into a meta tag for
	// scripts that send X-CSRF-Token.
	CSRFToken string
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
}

// PrincipalView is a service principal's credentials.
type PrincipalView struct {
	Label        string
	ClientID     string
	ClientSecret string
	ObjectID     string
}
