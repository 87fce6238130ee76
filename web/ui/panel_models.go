package ui

// PanelView is the sandbox panel: portal-like forms acting on the sim.
type PanelView struct {
	// OOB renders it as an htmx out-of-band swap.
	OOB bool
	// ActionURL is the prefix of the panel's form actions (+ action name).
	ActionURL        string
	ResetURL         string
	CSRFToken        string
	SandboxTime      string
	ClockOffset      string
	PropagationDelay string
	Principals       []PrincipalRow
	Site             SiteRow
	Assignments      []AssignmentRow
	Vault            VaultRow
	Roles            []string
	ScopeKinds       []string
	Labels           []string // principals that have a label (pickers)
	Message          string
	Error            string
	// Real, for a real-mode run, is the sandbox in Azure: the panel shows
	// it instead of the simulated world.
	Real *RealPanel
}

// RealPanel is a real-mode sandbox's resources, as the panel shows them.
type RealPanel struct {
	ResourceGroup, Vault, StorageAccount, LocalDevAppID string
	ScopeKinds                                          []string // those inside the resource group
}

// PrincipalRow is one principal of the tenant.
type PrincipalRow struct {
	Label, Name, Kind  string
	ObjectID, AppID    string
	Secrets            []SecretRow
	CanHaveSecrets     bool
	Deletable          bool
	ManagedIdentityFor string
}

// SecretRow is a client secret (never its value).
type SecretRow struct {
	KeyID, Hint, Expires string
	Expired              bool
}

// SiteRow is the main App Service site.
type SiteRow struct {
	Name       string
	IdentityOn bool
	ObjectID   string
}

// AssignmentRow is one role assignment.
type AssignmentRow struct {
	ID, Principal, PrincipalLabel string
	Role, Scope, ScopeKind        string
	Note                          string
}

// VaultRow is the scenario's vault.
type VaultRow struct {
	Name     string
	RBAC     bool
	Policies []PolicyRow
}

// PolicyRow is a vault access policy.
type PolicyRow struct {
	Principal, PrincipalLabel, Secrets string
}

// PresenterPage shows one step's code and the diagram full screen.
type PresenterPage struct {
	Page
	Title     string
	Base      string
	Steps     []PresenterStep
	Current   *StepView
	Diagram   DiagramView
	Stream    string
	LessonURL string
}

// PresenterStep is a link to present another step.
type PresenterStep struct {
	ID, Title, URL string
	Current        bool
}
