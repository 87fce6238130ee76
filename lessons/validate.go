package lessons

import (
	"github.com/azure-auth-sandbox/sandbox/lessons/pyrun"

	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

// Report is the result of checking a directory of lessons.
type Report struct {
	Lessons  []*Lesson `json:"lessons"`
	Problems []Problem `json:"problems"`
	// Covered and Missing are claim IDs, in S1..S18 order.
	Covered []string `json:"covered"`
	Missing []string `json:"missing"`
}

// OK reports whether no lesson has a problem.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Print writes the report for a terminal or CI log.
func (r *Report) Print(w io.Writer) {
	for _, l := range r.Lessons {
		fmt.Fprintf(w, "lesson %d %s: %q (%s)\n", l.Order, l.ID, l.Title, l.Source)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "PROBLEM %s\n", p)
	}
	fmt.Fprintf(w, "Claims covered: %d/%d (%s)\n", len(r.Covered), len(Claims()), strings.Join(r.Covered, " "))
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "Claims missing: %s\n", strings.Join(r.Missing, " "))
	}
	if r.OK() {
		fmt.Fprintf(w, "OK: %d lessons valid\n", len(r.Lessons))
	} else {
		fmt.Fprintf(w, "FAIL: %d problems\n", len(r.Problems))
	}
}

// CheckDir checks the lessons in dir ("" = the embedded lessons).
func CheckDir(dir string) (*Report, error) {
	if dir == "" {
		return checkFS(Embedded(), "embedded:"), nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("lessons: check: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("lessons: check: %s is not a directory", dir)
	}
	return checkFS(os.DirFS(dir), dir+string(os.PathSeparator)), nil
}

// CheckFS checks the lessons at the top of fsys.
func CheckFS(fsys fs.FS) *Report { return checkFS(fsys, "") }

func checkFS(fsys fs.FS, prefix string) *Report {
	ls, probs := loadFS(fsys, prefix)
	probs = append(probs, validateAll(ls)...)
	r := &Report{Lessons: ls, Problems: probs}
	covered := map[string]bool{}
	for _, l := range ls {
		for _, c := range l.Claims {
			covered[c] = true
		}
	}
	for _, c := range Claims() {
		if covered[c.ID] {
			r.Covered = append(r.Covered, c.ID)
		} else {
			r.Missing = append(r.Missing, c.ID)
		}
	}
	return r
}

// validateAll checks each lesson and that IDs are unique.
func validateAll(ls []*Lesson) []Problem {
	var probs []Problem
	seen := map[string]string{}
	for _, l := range ls {
		probs = append(probs, validateLesson(l)...)
		if l.ID == "" {
			continue
		}
		if first, dup := seen[l.ID]; dup {
			probs = append(probs, Problem{File: l.Source, Message: fmt.Sprintf("duplicate lesson id %q (also in %s)", l.ID, first)})
		}
		seen[l.ID] = l.Source
	}
	return probs
}

// builtInLabels are the principals every walkthrough sandbox has.
var builtInLabels = []string{scenario.LabelOwner, scenario.LabelLocalDev, scenario.LabelDeveloper, scenario.LabelMainApp}

// validateLesson checks what a lesson means: known actions, claims,
// parameters, languages and well-formed checks.
func validateLesson(l *Lesson) []Problem {
	var probs []Problem
	bad := func(line int, format string, a ...any) {
		probs = append(probs, Problem{File: l.Source, Line: line, Message: fmt.Sprintf(format, a...)})
	}
	if l.ID == "" {
		bad(0, "front matter: id is required")
	}
	if l.Title == "" {
		bad(0, "front matter: title is required")
	}
	if l.Order <= 0 {
		bad(0, "front matter: order must be a positive number")
	}
	if len(l.Claims) == 0 {
		bad(0, "front matter: claims must list the claims (S1-S18) the lesson demonstrates")
	}
	for _, c := range l.Claims {
		if !knownClaim(c) {
			bad(0, "front matter: unknown claim %q (claims are S1..S18)", c)
		}
	}
	if l.Scenario != "" && !scenario.Known(l.Scenario) {
		bad(0, "front matter: unknown scenario %q (walkthrough or empty)", l.Scenario)
	}
	if l.RunsOn != "" && l.RunsOn != RunsOnWorkstation && l.RunsOn != RunsOnSite {
		bad(0, "front matter: runsOn must be workstation or site, not %q", l.RunsOn)
	}
	if l.Credential != "" && !slices.Contains([]string{CredLocalDev, CredNone, CredDeveloper}, l.Credential) {
		bad(0, "front matter: credential must be localDev, none or developer, not %q", l.Credential)
	}

	acts := actionsByName()
	labels := slices.Clone(builtInLabels)
	for _, s := range l.Steps() {
		if a := acts[s.Action]; a != nil && a.Name == "createServicePrincipal" {
			labels = append(labels, s.Params["label"])
		}
	}
	for _, inv := range l.Setup {
		if a := acts[inv.Action]; a != nil && a.Name == "createServicePrincipal" {
			labels = append(labels, inv.Params["label"])
		}
	}
	for i, inv := range l.Setup {
		a := acts[inv.Action]
		switch {
		case a == nil:
			bad(0, "setup %d: unknown action %q", i+1, inv.Action)
		case a.Kind != BlockAction:
			bad(0, "setup %d: %s is code, not a sandbox action", i+1, inv.Action)
		default:
			for _, m := range checkParams(a, inv.Params, nil, labels) {
				bad(0, "setup %d (%s): %s", i+1, inv.Action, m)
			}
		}
	}

	ids := map[string]bool{}
	stepOrder := map[string]int{}
	for _, b := range l.Blocks {
		var id string
		switch {
		case b.Step != nil:
			id = b.Step.ID
			stepOrder[id] = len(stepOrder)
		case b.Check != nil:
			id = b.Check.ID
		case b.Rerun != nil:
			id = b.Rerun.ID
		default:
			continue
		}
		if ids[id] {
			bad(b.Line, "duplicate block id %q", id)
		}
		ids[id] = true
	}
	for _, b := range l.Blocks {
		switch {
		case b.Step != nil:
			probs = append(probs, validateStep(l, b, acts, labels)...)
		case b.Check != nil:
			for _, m := range validateCheck(b.Check, l, stepOrder, labels) {
				bad(b.Line, "check %q: %s", b.Check.ID, m)
			}
		}
	}
	for _, b := range l.Blocks {
		if r := b.Rerun; r != nil {
			if strings.TrimSpace(r.Title) == "" {
				bad(b.Line, "rerun %q: title is required (the button's words)", r.ID)
			}
			if len(r.Steps) == 0 {
				bad(b.Line, "rerun %q: steps must list the steps to run again", r.ID)
			}
			for _, id := range r.Steps {
				if l.Step(id) == nil {
					bad(b.Line, "rerun %q: unknown step %q", r.ID, id)
				}
			}
		}
	}
	for _, p := range validateAgain(l) {
		probs = append(probs, p)
	}
	for _, m := range validateStart(l) {
		bad(0, "%s", m)
	}
	if len(l.Checks()) == 0 {
		bad(0, "the lesson has no goal: add at least one check block")
	}
	if len(l.Solution) == 0 {
		bad(0, "front matter: solution must list the step IDs that meet the goal, in order")
	}
	for _, id := range l.Solution {
		if l.Step(id) == nil {
			bad(0, "front matter: solution names unknown step %q", id)
		}
	}
	for _, m := range validateReal(l) {
		bad(0, "front matter: %s", m)
	}
	return probs
}

// RealCapabilities are what a lesson's realNeeds may name: the real-mode
// preflight's capabilities (azure.Capability; a test in cmd/sandbox checks
// they are the same).
var RealCapabilities = []string{"arm-token", "read-subscription", "create-resource-group", "create-role-assignments", "create-app-registrations"}

// validateReal checks the real-mode declarations: each names a step or
// action of the lesson whose action can run against real Azure, on the
// workstation, acting only on what a real sandbox has (localDev and the
// vault, its resource group, the storage account and queue).
func validateReal(l *Lesson) []string {
	var out []string
	// Principals a real sandbox has: localDev and the apps the lesson's
	// real steps register.
	real := map[string]bool{scenario.LabelLocalDev: true}
	for _, id := range l.Real {
		if s := l.Step(id); s != nil && s.Action == "createServicePrincipal" {
			real[s.Params["label"]] = true
		}
	}
	for _, id := range l.Real {
		s := l.Step(id)
		switch {
		case s == nil:
			out = append(out, fmt.Sprintf("real names unknown step %q", id))
		case !RealActions[s.Action]:
			out = append(out, fmt.Sprintf("real: step %q (%s) cannot run against real Azure: it needs the simulator", id, s.Action))
		case l.OnSite(s):
			out = append(out, fmt.Sprintf("real: step %q runs on the App Service site: code on Azure compute stays simulated", id))
		default:
			if p := s.Params["principal"]; p != "" && !real[p] {
				out = append(out, fmt.Sprintf("real: step %q acts on %q: a real sandbox has only %s and the apps the lesson's real steps register", id, p, scenario.LabelLocalDev))
			}
			if s.Action == "deletePrincipal" && s.Params["principal"] == scenario.LabelLocalDev {
				out = append(out, fmt.Sprintf("real: step %q deletes %s: it is deleted with the sandbox", id, scenario.LabelLocalDev))
			}
			if sc := s.Params["scope"]; sc == scenario.ScopeSubscription {
				out = append(out, fmt.Sprintf("real: step %q assigns at the subscription: real mode changes only the sandbox's resource group", id))
			}
			if s.Action == "useCredential" && s.Params["credential"] == CredDeveloper {
				out = append(out, fmt.Sprintf("real: step %q signs in as the developer user, who exists only in the simulator", id))
			}
		}
	}
	for _, n := range l.RealNeeds {
		if !slices.Contains(RealCapabilities, n) {
			out = append(out, fmt.Sprintf("realNeeds: unknown capability %q (one of %s)", n, strings.Join(RealCapabilities, ", ")))
		}
	}
	if len(l.Real) > 0 && len(l.RealNeeds) == 0 {
		out = append(out, "realNeeds must name what the real steps need of the server's identity")
	}
	return out
}

func validateStep(l *Lesson, b Block, acts map[string]*Action, labels []string) []Problem {
	var probs []Problem
	s := b.Step
	bad := func(format string, a ...any) {
		probs = append(probs, Problem{File: l.Source, Line: b.Line, Message: fmt.Sprintf("%s %q: ", s.Kind, s.ID) + fmt.Sprintf(format, a...)})
	}
	a := acts[s.Action]
	if a == nil {
		bad("unknown action %q", s.Action)
		return probs
	}
	if a.Kind != s.Kind {
		if a.Kind == BlockStep {
			bad("%s runs code: use a step block", s.Action)
		} else {
			bad("%s changes the sandbox: use an action block", s.Action)
		}
	}
	if s.RunsOn != "" && s.RunsOn != RunsOnWorkstation && s.RunsOn != RunsOnSite {
		bad("runsOn must be workstation or site, not %q", s.RunsOn)
	}
	for lang := range s.Code {
		if !slices.Contains(Languages(), lang) {
			bad("unknown language %q (python, go, javascript, csharp)", lang)
		}
	}
	if a.Kind == BlockStep {
		if strings.TrimSpace(s.Code[LangPython]) == "" {
			bad("missing python code")
		} else if _, err := pyrun.Fill(s.Code[LangPython], fillProbe(s)); err != nil {
			// The runner fills these with the sandbox's values and the
			// learner's edits: each must be able to stay a string.
			bad("python code: %s", strings.TrimPrefix(err.Error(), "pyrun: fill: "))
		}
		if strings.TrimSpace(s.Code[LangGo]) == "" {
			bad("missing go code (the action has no Go source)")
		} else if a.Go != "" && s.Code[LangGo] != a.Go {
			bad("go code is the action's own source: remove the go entry from the lesson")
		}
	}
	for _, m := range checkParams(a, s.Params, s.Editable, labels) {
		bad("%s", m)
	}
	for _, m := range validateNotes(s) {
		bad("%s", m)
	}
	return probs
}

// checkParams checks parameters against an action's declaration.
func checkParams(a *Action, params map[string]string, editable []string, labels []string) []string {
	var out []string
	for k, v := range params {
		p := a.Param(k)
		if p == nil {
			out = append(out, fmt.Sprintf("unknown parameter %q for %s", k, a.Name))
			continue
		}
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, v) {
			out = append(out, fmt.Sprintf("parameter %s: %q is not one of %s", k, v, strings.Join(p.Enum, ", ")))
		}
		if k == "principal" && !slices.Contains(labels, v) {
			out = append(out, fmt.Sprintf("parameter principal: unknown principal label %q", v))
		}
		if k == "role" {
			if _, ok := rbac.RoleByName(v, nil); !ok {
				out = append(out, fmt.Sprintf("parameter role: unknown built-in role %q", v))
			}
		}
	}
	for _, p := range a.Params {
		if p.Required && params[p.Name] == "" {
			out = append(out, fmt.Sprintf("missing required parameter %q", p.Name))
		}
	}
	for _, e := range editable {
		if a.Param(e) == nil {
			out = append(out, fmt.Sprintf("editable names unknown parameter %q", e))
		}
	}
	slices.Sort(out)
	return out
}

func validateCheck(c *Check, l *Lesson, steps map[string]int, labels []string) []string {
	var out []string
	n := 0
	if c.Trace != nil {
		n++
		out = append(out, validateMatch(c.Trace, steps, "trace")...)
	}
	if c.NoExchangesInStep != "" {
		n++
		if s := l.Step(c.NoExchangesInStep); s == nil || s.Kind != BlockStep {
			out = append(out, fmt.Sprintf("noExchangesInStep: %q is not a code step of this lesson", c.NoExchangesInStep))
		} else if steps[c.NoExchangesInStep] == len(steps)-1 {
			out = append(out, "noExchangesInStep: the step must not be the last one (a later step proves it ran)")
		}
	}
	if c.State != nil {
		n++
		out = append(out, validateState(c.State, labels)...)
	}
	if n != 1 {
		out = append(out, fmt.Sprintf("needs exactly one condition (trace, noExchangesInStep or state), has %d", n))
	}
	if strings.TrimSpace(c.Hint) == "" {
		out = append(out, "missing hint")
	}
	if strings.TrimSpace(c.Solution) == "" {
		out = append(out, "missing solution")
	}
	return out
}

func validateMatch(m *TraceMatch, steps map[string]int, where string) []string {
	var out []string
	if known := service.Names(); m.Service != "" && !slices.Contains(known, m.Service) {
		names := make([]string, len(known))
		for i, n := range known {
			names[i] = string(n)
		}
		out = append(out, fmt.Sprintf("%s: unknown service %q (%s)", where, m.Service, strings.Join(names, ", ")))
	}
	if m.Step != "" {
		if _, ok := steps[m.Step]; !ok {
			out = append(out, fmt.Sprintf("%s: unknown step %q", where, m.Step))
		}
	}
	if m.Status != 0 && (m.Status < 100 || m.Status > 599) {
		out = append(out, fmt.Sprintf("%s: status %d is not an HTTP status", where, m.Status))
	}
	if m.Site != "" && m.Site != RunsOnWorkstation && m.Site != RunsOnSite {
		out = append(out, fmt.Sprintf("%s: site must be workstation or site", where))
	}
	out = append(out, validateMore(m, where)...)
	if *m == (TraceMatch{}) {
		out = append(out, where+": matches every exchange: say what to look for")
	}
	if m.Unanswered && m.Status != 0 && m.Status != 401 {
		out = append(out, where+": unanswered matches a 401 challenge: status must be 401 (or left out)")
	}
	if m.After != nil {
		if m.After.Unanswered {
			out = append(out, where+".after: unanswered is for the check's own exchange, not after")
		}
		out = append(out, validateMatch(m.After, steps, where+".after")...)
	}
	return out
}

func validateState(s *StateMatch, labels []string) []string {
	var out []string
	n := 0
	role := func(name string, r *RoleMatch) {
		n++
		if !slices.Contains(labels, r.Principal) {
			out = append(out, fmt.Sprintf("state.%s: unknown principal label %q", name, r.Principal))
		}
		if _, ok := rbac.RoleByName(r.Role, nil); !ok {
			out = append(out, fmt.Sprintf("state.%s: unknown built-in role %q", name, r.Role))
		}
		if r.Scope != "" && !slices.Contains(scenario.ScopeKinds(), r.Scope) {
			out = append(out, fmt.Sprintf("state.%s: unknown scope %q", name, r.Scope))
		}
	}
	if s.RoleAssignment != nil {
		role("roleAssignment", s.RoleAssignment)
	}
	if s.NoRoleAssignment != nil {
		role("noRoleAssignment", s.NoRoleAssignment)
	}
	if s.PrincipalDeleted != "" {
		n++
	}
	if s.VaultModel != "" {
		n++
		if s.VaultModel != "rbac" && s.VaultModel != "accessPolicy" {
			out = append(out, "state.vaultModel: rbac or accessPolicy")
		}
	}
	if s.SiteIdentity != "" {
		n++
		if s.SiteIdentity != "on" && s.SiteIdentity != "off" {
			out = append(out, "state.siteIdentity: on or off")
		}
	}
	if s.AccessPolicy != nil {
		n++
		if !slices.Contains(labels, s.AccessPolicy.Principal) {
			out = append(out, fmt.Sprintf("state.accessPolicy: unknown principal label %q", s.AccessPolicy.Principal))
		}
	}
	if s.ResourceGroup != "" {
		n++
	}
	if n != 1 {
		out = append(out, fmt.Sprintf("state: needs exactly one condition, has %d", n))
	}
	return out
}

// fillProbe names every value the runner may fill into a step's Python:
// the sandbox placeholders and the step's parameters.
func fillProbe(s *Step) map[string]string {
	vals := map[string]string{}
	for _, name := range placeholderNames() {
		vals[name] = "x"
	}
	for name := range s.Params {
		vals[name] = "x"
	}
	return vals
}
