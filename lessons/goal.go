package lessons

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// GoalStatus is a lesson's goal evaluated now.
type GoalStatus struct {
	Met   bool          `json:"met"`
	Items []CheckResult `json:"items"`
}

// CheckResult is one goal item evaluated.
type CheckResult struct {
	ID           string        `json:"id"`
	Title        string        `json:"title"`
	Met          bool          `json:"met"`
	Detail       string        `json:"detail"` // what satisfied it or what is missing
	HintHTML     template.HTML `json:"hintHtml"`
	SolutionHTML template.HTML `json:"solutionHtml"`
	// Seq is the exchange that satisfied a trace check (0 otherwise).
	Seq int64 `json:"seq,omitempty"`
}

// EvaluateGoal evaluates the lesson's checks against the sandbox state and
// the sandbox's trace (only exchanges made by this lesson's steps count).
// It never looks at which buttons were pressed. Call it inside World.View.
func EvaluateGoal(l *Lesson, st *world.State, exs []trace.Exchange) GoalStatus {
	return evaluateGoal(l, exs, func(m *StateMatch) (bool, string) { return stateMet(m, st) })
}

// EvaluateGoalIn is EvaluateGoal with the state checks asked of f (a
// real-mode sandbox's are read from the wire, WireState).
func EvaluateGoalIn(l *Lesson, f Facts, exs []trace.Exchange) GoalStatus {
	if f.Real() {
		exs = wireModels(exs, f)
	}
	return evaluateGoal(l, exs, func(m *StateMatch) (bool, string) { return f.State(m, exs) })
}

func evaluateGoal(l *Lesson, exs []trace.Exchange, state func(*StateMatch) (bool, string)) GoalStatus {
	prefix := l.ID + "/"
	mine := make([]trace.Exchange, 0, len(exs)) // one allocation: the trace is long, an Exchange large
	for _, ex := range exs {
		if strings.HasPrefix(ex.Step, prefix) {
			mine = append(mine, ex)
		}
	}
	g := GoalStatus{Met: true}
	for _, c := range l.Checks() {
		r := CheckResult{ID: c.ID, Title: c.Title, HintHTML: c.HintHTML, SolutionHTML: c.SolutionHTML}
		switch {
		case c.Trace != nil:
			if ex := findMatch(l, c.Trace, traceCandidates(l, c.Trace, mine, exs)); ex != nil {
				r.Met, r.Seq = true, ex.Seq
				r.Detail = fmt.Sprintf("seen: #%d %s %s → %d", ex.Seq, ex.Method, ex.URL, ex.Status)
			} else {
				r.Detail = "not seen in the trace yet"
			}
		case c.NoExchangesInStep != "":
			r.Met, r.Detail = noExchanges(l, c.NoExchangesInStep, mine)
		case c.State != nil:
			r.Met, r.Detail = state(c.State)
		}
		g.Met = g.Met && r.Met
		g.Items = append(g.Items, r)
	}
	if len(g.Items) == 0 {
		g.Met = false
	}
	return g
}

// Goal evaluates the lesson's goal for this run's sandbox.
func (r *Runner) Goal() GoalStatus {
	exs := r.cloud.Exchanges(r.w.ID(), 0)
	if f := r.Real(); f != nil {
		return EvaluateGoalIn(r.lesson, f, exs)
	}
	var g GoalStatus
	r.w.View(func(st *world.State) { g = EvaluateGoal(r.lesson, st, exs) })
	return g
}

func findMatch(l *Lesson, m *TraceMatch, exs []trace.Exchange) *trace.Exchange {
	for i := range exs {
		ex := &exs[i]
		if !matches(l, m, ex) || (m.Unanswered && !unanswered(ex, exs[i+1:])) {
			continue
		}
		if m.After == nil {
			return ex
		}
		for j := range exs {
			if exs[j].Seq < ex.Seq && matches(l, m.After, &exs[j]) {
				return ex
			}
		}
	}
	return nil
}

func matches(l *Lesson, m *TraceMatch, ex *trace.Exchange) bool {
	switch {
	case m.Service != "" && ex.Service != m.Service:
	case m.Status != 0 && ex.Status != m.Status:
	case m.Method != "" && !strings.EqualFold(ex.Method, m.Method):
	case m.Step != "" && ex.Step != l.Marker(m.Step):
	case m.AuthnCode != "" && (ex.Authn == nil || ex.Authn.Code != m.AuthnCode):
	case m.Site == RunsOnWorkstation && ex.Site != "":
	case m.Site == RunsOnSite && ex.Site == "":
	case m.Claim != "" && !hasClaim(ex.Token, m.Claim):
	case !matchesMore(m, ex):
	default:
		return true
	}
	return false
}

// unanswered reports whether ex is a challenge the code did not answer:
// the next exchange of its step (in later) is none or another challenge.
func unanswered(ex *trace.Exchange, later []trace.Exchange) bool {
	if !isChallenge(ex) {
		return false
	}
	for i := range later {
		if later[i].Step == ex.Step && later[i].Via == ex.Via {
			return isChallenge(&later[i])
		}
	}
	return true
}

func isChallenge(ex *trace.Exchange) bool {
	return ex.Status == 401 && ex.ResponseHeaders.Get("WWW-Authenticate") != ""
}

func hasClaim(t *trace.Token, claim string) bool {
	if t == nil {
		return false
	}
	_, ok := t.Claims[claim]
	return ok
}

// noExchanges is met when the step's marker is on no exchange while a later
// step of the lesson is: the step ran (a later one needs its object) and
// sent nothing.
func noExchanges(l *Lesson, stepID string, exs []trace.Exchange) (bool, string) {
	steps := l.Steps()
	idx := slices.IndexFunc(steps, func(s *Step) bool { return s.ID == stepID })
	marker := l.Marker(stepID)
	later := false
	for _, ex := range exs {
		if ex.Step == marker {
			return false, fmt.Sprintf("step %s made a request (#%d)", stepID, ex.Seq)
		}
		for _, s := range steps[idx+1:] {
			if s.Kind == BlockStep && ex.Step == l.Marker(s.ID) {
				later = true
			}
		}
	}
	if !later {
		return false, "run the steps after " + stepID + " to see where the requests happen"
	}
	return true, stepID + " sent 0 requests"
}

func stateMet(s *StateMatch, st *world.State) (bool, string) {
	switch {
	case s.RoleAssignment != nil:
		if a := findAssignment(st, s.RoleAssignment); a != nil {
			return true, fmt.Sprintf("%s has %s at %s", s.RoleAssignment.Principal, s.RoleAssignment.Role, a.Scope)
		}
		return false, fmt.Sprintf("%s has no %s assignment%s", s.RoleAssignment.Principal, s.RoleAssignment.Role, scopeWords(s.RoleAssignment.Scope))
	case s.NoRoleAssignment != nil:
		if a := findAssignment(st, s.NoRoleAssignment); a != nil {
			return false, fmt.Sprintf("%s still has %s at %s", s.NoRoleAssignment.Principal, s.NoRoleAssignment.Role, a.Scope)
		}
		return true, fmt.Sprintf("%s has no %s assignment%s", s.NoRoleAssignment.Principal, s.NoRoleAssignment.Role, scopeWords(s.NoRoleAssignment.Scope))
	case s.PrincipalDeleted != "":
		if _, ok := st.Principals[st.Labels[s.PrincipalDeleted]]; ok {
			return false, s.PrincipalDeleted + " still exists"
		}
		return true, s.PrincipalDeleted + " is deleted"
	case s.VaultModel != "":
		v, err := vaultOf(st)
		if err != nil {
			return false, err.Error()
		}
		model := "accessPolicy"
		if v.EnableRbacAuthorization {
			model = "rbac"
		}
		return model == s.VaultModel, "the vault uses " + model
	case s.SiteIdentity != "":
		site, err := mainSite(st)
		if err != nil {
			return false, err.Error()
		}
		state := "off"
		if site.SystemIdentity != "" {
			state = "on"
		}
		return state == s.SiteIdentity, "the site's identity is " + state
	case s.AccessPolicy != nil:
		v, err := vaultOf(st)
		if err != nil {
			return false, err.Error()
		}
		oid := st.Labels[s.AccessPolicy.Principal]
		for _, ap := range v.AccessPolicies {
			if ap.ObjectID == oid && oid != "" && (slices.Contains(ap.Permissions.Secrets, s.AccessPolicy.Permission) || slices.Contains(ap.Permissions.Secrets, "all")) {
				return true, s.AccessPolicy.Principal + " may " + s.AccessPolicy.Permission + " secrets by access policy"
			}
		}
		return false, "no access policy lets " + s.AccessPolicy.Principal + " " + s.AccessPolicy.Permission + " secrets"
	case s.ResourceGroup != "":
		if _, ok := st.ResourceGroups[strings.ToLower(s.ResourceGroup)]; ok {
			return true, "resource group " + s.ResourceGroup + " exists"
		}
		return false, "resource group " + s.ResourceGroup + " does not exist"
	}
	return false, "no condition"
}

func scopeWords(kind string) string {
	if kind == "" {
		return ""
	}
	return " at the " + kind
}

func findAssignment(st *world.State, m *RoleMatch) *rbac.Assignment {
	oid := st.Labels[m.Principal]
	role, ok := rbac.RoleByName(m.Role, st.CustomRoles)
	if oid == "" || !ok {
		return nil
	}
	scope := ""
	if m.Scope != "" {
		var err error
		if scope, err = resolvedScope(st, m.Scope); err != nil {
			return nil
		}
	}
	for i, a := range st.RoleAssignments {
		if a.RemovedAt != nil || a.PrincipalID != oid || !strings.EqualFold(rbac.RoleGUID(a.RoleDefinitionID), role.ID) {
			continue
		}
		if scope == "" || strings.EqualFold(a.Scope, scope) {
			return &st.RoleAssignments[i]
		}
	}
	return nil
}
