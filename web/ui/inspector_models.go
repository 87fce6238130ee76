package ui

// InspectorView is one exchange opened in the inspector.
type InspectorView struct {
	Seq             int64
	Method, URL     string
	Status          int
	StatusText      string
	Outcome, Icon   string
	Service         string // lifeline name
	Step            string
	Via             string
	Site            string
	Time, SimTime   string
	Duration        string
	RequestHeaders  []HeaderView
	RequestBody     string
	ResponseHeaders []HeaderView
	ResponseBody    string
	Token           *TokenView // presented
	Issued          *TokenView // issued by a token endpoint
	Authn           *AuthnView
	Decision        *DecisionView
	// CloseURL leads back to the lesson page.
	CloseURL  string
	CSRFToken string
	// Message reports a fix just applied.
	Message string
}

// HeaderView is one header line.
type HeaderView struct{ Name, Value string }

// TokenView is a decoded access token.
type TokenView struct {
	Title  string
	Header []ClaimView
	Claims []ClaimView
	// Validity is "valid" or "expired" at the sandbox clock.
	Validity string
}

// ClaimView is one claim with its meaning in plain words.
type ClaimView struct {
	Name, Value, Meaning string
	// Note adds what the value means here ("expired 5 minutes ago").
	Note string
	Warn bool
}

// AuthnView is an authentication verdict.
type AuthnView struct {
	OK                    bool
	Subject, Code, Reason string
}

// DecisionView is an authorization decision explained.
type DecisionView struct {
	Model      string // "Azure RBAC" or "Key Vault access policies"
	Allowed    bool
	Principal  string
	Action     string
	DataAction bool
	Scope      string
	Summary    string
	Considered []ConsideredView
	Suggestion *SuggestionView
}

// ConsideredView is one assignment or policy the decision looked at.
type ConsideredView struct {
	RoleName, Scope     string
	Principal           string
	Matched             bool
	Reason, Explanation string
}

// SuggestionView is the smallest fix, with the form that applies it.
type SuggestionView struct {
	RoleName, Scope, Principal, CLI string
	FixURL                          string
	Seq                             int64
	// Applied: the sandbox already holds the suggested assignment (the
	// button is disabled: applying it again would change nothing).
	Applied bool
}
