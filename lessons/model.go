package lessons

import (
	"html/template"
	"slices"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

// Where the learner's code runs.
const (
	RunsOnWorkstation = "workstation" // the developer's machine: no IMDS, env vars or Azure CLI
	RunsOnSite        = "site"        // the main App Service site: its managed identity
)

// What the workstation holds at the start of a lesson (front matter
// "credential").
const (
	CredLocalDev  = "localDev"  // AZURE_TENANT_ID/CLIENT_ID/CLIENT_SECRET of the localDev principal
	CredNone      = "none"      // nothing configured
	CredDeveloper = "developer" // signed in to the Azure CLI as the developer user
)

// Block kinds, in the order a lesson page shows them.
const (
	BlockNarrative = "narrative"
	BlockStep      = "step"   // code the learner runs
	BlockAction    = "action" // a change to the sandbox the learner applies
	BlockCheck     = "check"  // one item of the lesson's goal
	BlockRerun     = "rerun"  // runs earlier steps again, where the text asks for it
)

// Languages a code step may show. Go is never written in the lesson: it is
// the runner action's own snippet, the code that actually runs.
const (
	LangPython     = "python"
	LangGo         = "go"
	LangJavaScript = "javascript"
	LangCSharp     = "csharp"
)

// Languages returns the code languages in tab order.
func Languages() []string { return []string{LangPython, LangGo, LangJavaScript, LangCSharp} }

// Lesson is one parsed lesson file.
type Lesson struct {
	ID         string   `json:"id" yaml:"id"`
	Title      string   `json:"title" yaml:"title"`
	Summary    string   `json:"summary" yaml:"summary"`
	Order      int      `json:"order" yaml:"order"`
	Claims     []string `json:"claims" yaml:"claims"`
	Scenario   string   `json:"scenario" yaml:"scenario"`     // walkthrough | empty
	RunsOn     string   `json:"runsOn" yaml:"runsOn"`         // workstation | site
	Credential string   `json:"credential" yaml:"credential"` // localDev | none | developer
	// Setup lists sandbox actions applied at start and at each reset.
	Setup []Invocation `json:"setup" yaml:"setup"`
	// Solution lists the step IDs that, run in order on a fresh sandbox,
	// meet the goal (the tests walk it; the UI may offer "show me").
	Solution []string `json:"solution" yaml:"solution"`
	// Real lists the steps and actions that run against real Azure in a
	// real-mode sandbox; the others stay simulated there (code on Azure
	// compute, clock moves, principals only the simulator has).
	Real []string `json:"real,omitempty" yaml:"real"`
	// RealNeeds names what the real steps need the server's identity to be
	// able to do (the preflight's capabilities, RealCapabilities).
	RealNeeds []string `json:"realNeeds,omitempty" yaml:"realNeeds"`

	// Blocks are the lesson's content in order.
	Blocks []Block `json:"blocks" yaml:"-"`
	// Source is where the lesson came from ("embedded:01-....md" or a path).
	Source string `json:"source" yaml:"-"`
}

// Invocation is a sandbox action with its parameters (front matter setup).
type Invocation struct {
	Action string            `json:"action" yaml:"action"`
	Params map[string]string `json:"params,omitempty" yaml:"params"`
}

// Block is one piece of a lesson: narrative, a code step, a sandbox action or
// a check. Exactly one of HTML, Step, Check is set.
type Block struct {
	Kind  string        `json:"kind"`
	HTML  template.HTML `json:"html,omitempty"` // narrative, rendered safely
	Step  *Step         `json:"step,omitempty"` // BlockStep and BlockAction
	Check *Check        `json:"check,omitempty"`
	Rerun *Rerun        `json:"rerun,omitempty"`
	Line  int           `json:"line"` // first line in the source file
}

// Step is a code step or a sandbox action step.
type Step struct {
	ID     string `json:"id" yaml:"-"`
	Action string `json:"action" yaml:"-"`
	Kind   string `json:"kind" yaml:"-"` // BlockStep or BlockAction
	Title  string `json:"title" yaml:"title"`
	// Code is the statement per language; Code["go"] is filled from the
	// action when the lesson is loaded.
	Code map[string]string `json:"code" yaml:"code"`
	// Params are the step's parameters; Editable names those the learner may
	// change before running.
	Params   map[string]string `json:"params,omitempty" yaml:"params"`
	Editable []string          `json:"editable,omitempty" yaml:"editable"`
	// RunsOn fixes where this step runs ("" = the learner's choice).
	RunsOn string `json:"runsOn,omitempty" yaml:"runsOn"`
	// Explain is "what just happened" on the success path: shown after a
	// run that succeeded when none of Notes fits (see NoteFor).
	Explain     string        `json:"explain" yaml:"explain"`
	ExplainHTML template.HTML `json:"explainHtml" yaml:"-"`
	// Notes are "what just happened" per outcome (a failure, another
	// credential answering, ...); the first that fits the run is shown.
	Notes []Note `json:"notes,omitempty" yaml:"notes"`
	// CLI is the az equivalent of a sandbox action (from the action unless set).
	CLI string `json:"cli,omitempty" yaml:"cli"`
}

// Rerun offers to run earlier steps again, in order, where the lesson asks
// the learner to ("Run the three steps again").
type Rerun struct {
	ID    string   `json:"id" yaml:"-"`
	Title string   `json:"title" yaml:"title"`
	Steps []string `json:"steps" yaml:"steps"`
}

// Rerun returns the rerun block with the ID, or nil.
func (l *Lesson) Rerun(id string) *Rerun {
	for _, b := range l.Blocks {
		if b.Rerun != nil && b.Rerun.ID == id {
			return b.Rerun
		}
	}
	return nil
}

// Check is one goal item: a condition on the trace or the sandbox state, with
// its hint and solution.
type Check struct {
	ID           string        `json:"id" yaml:"-"`
	Title        string        `json:"title" yaml:"title"`
	Hint         string        `json:"hint" yaml:"hint"`
	Solution     string        `json:"solution" yaml:"solution"`
	HintHTML     template.HTML `json:"hintHtml" yaml:"-"`
	SolutionHTML template.HTML `json:"solutionHtml" yaml:"-"`

	// Exactly one condition.
	Trace             *TraceMatch `json:"trace,omitempty" yaml:"trace"`
	NoExchangesInStep string      `json:"noExchangesInStep,omitempty" yaml:"noExchangesInStep"`
	State             *StateMatch `json:"state,omitempty" yaml:"state"`
}

// TraceMatch matches one exchange of the lesson's run. Empty fields match
// anything. After, when set, requires an earlier exchange matching it.
type TraceMatch struct {
	Service   service.Name `json:"service,omitempty" yaml:"service"`
	Status    int          `json:"status,omitempty" yaml:"status"`
	Method    string       `json:"method,omitempty" yaml:"method"`
	Step      string       `json:"step,omitempty" yaml:"step"` // step ID of this lesson
	AuthnCode string       `json:"authnCode,omitempty" yaml:"authnCode"`
	Site      string       `json:"site,omitempty" yaml:"site"`   // "workstation" or "site"
	Claim     string       `json:"claim,omitempty" yaml:"claim"` // presented token has this claim ("xms_mirid")
	// Via is who sent the request: "runner" (a lesson step) or "proxy" (the
	// learner's own program; see goal_trace.go).
	Via string `json:"via,omitempty" yaml:"via"`
	// Model is the permission model of the authorization decision: "rbac"
	// or "accessPolicy" (Key Vault).
	Model string `json:"model,omitempty" yaml:"model"`
	// Grant is the grant_type of a token request to Entra ID:
	// "client_credentials" (a service principal's secret or certificate),
	// "password", "refresh_token", ...
	Grant string `json:"grant,omitempty" yaml:"grant"`
	// Unanswered matches a challenge (a 401 with WWW-Authenticate) the code
	// never answered: the next exchange of the same step, if any, is
	// another challenge (no token request and no retry with a token
	// followed it: the credential had none to give).
	Unanswered bool        `json:"unanswered,omitempty" yaml:"unanswered"`
	After      *TraceMatch `json:"after,omitempty" yaml:"after"`
}

// StateMatch is a condition on the sandbox state. Exactly one field is set.
type StateMatch struct {
	RoleAssignment   *RoleMatch   `json:"roleAssignment,omitempty" yaml:"roleAssignment"`
	NoRoleAssignment *RoleMatch   `json:"noRoleAssignment,omitempty" yaml:"noRoleAssignment"`
	PrincipalDeleted string       `json:"principalDeleted,omitempty" yaml:"principalDeleted"` // label
	VaultModel       string       `json:"vaultModel,omitempty" yaml:"vaultModel"`             // rbac | accessPolicy
	SiteIdentity     string       `json:"siteIdentity,omitempty" yaml:"siteIdentity"`         // on | off
	AccessPolicy     *PolicyMatch `json:"accessPolicy,omitempty" yaml:"accessPolicy"`
	ResourceGroup    string       `json:"resourceGroup,omitempty" yaml:"resourceGroup"` // exists
}

// RoleMatch names a role assignment by principal label, role name and scope
// kind (vault | resourceGroup | subscription | storage | queue; "" = any).
type RoleMatch struct {
	Principal string `json:"principal" yaml:"principal"`
	Role      string `json:"role" yaml:"role"`
	Scope     string `json:"scope,omitempty" yaml:"scope"`
}

// PolicyMatch names an access policy entry granting a secret permission.
type PolicyMatch struct {
	Principal  string `json:"principal" yaml:"principal"`
	Permission string `json:"permission" yaml:"permission"` // e.g. "get"
}

// Steps returns the lesson's runnable steps (code and action) in order.
func (l *Lesson) Steps() []*Step {
	var out []*Step
	for _, b := range l.Blocks {
		if b.Step != nil {
			out = append(out, b.Step)
		}
	}
	return out
}

// Step returns the step with the ID, or nil.
func (l *Lesson) Step(id string) *Step {
	for _, b := range l.Blocks {
		if b.Step != nil && b.Step.ID == id {
			return b.Step
		}
	}
	return nil
}

// Checks returns the lesson's goal items in order.
func (l *Lesson) Checks() []*Check {
	var out []*Check
	for _, b := range l.Blocks {
		if b.Check != nil {
			out = append(out, b.Check)
		}
	}
	return out
}

// RunsReal reports whether the step or action id is declared real.
func (l *Lesson) RunsReal(id string) bool { return slices.Contains(l.Real, id) }

// OnSite reports whether step s runs on the App Service site: its own
// runsOn, or the lesson's when the step sets none.
func (l *Lesson) OnSite(s *Step) bool {
	return s.RunsOn == RunsOnSite || (s.RunsOn == "" && l.RunsOn == RunsOnSite)
}

// Marker is the trace marker of a step of this lesson: exchanges the step
// caused carry it as their Step.
func (l *Lesson) Marker(stepID string) string { return l.ID + "/" + stepID }

// SetupMarker labels exchanges made while applying the lesson's setup.
func (l *Lesson) SetupMarker() string { return l.ID + "/setup" }
