package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// capabilityWords are the preflight's capabilities as the page says them.
var capabilityWords = map[string]string{
	string(azure.CapToken):            "get a token for Azure Resource Manager",
	string(azure.CapSubscription):     "read the subscription",
	string(azure.CapResourceGroup):    "create a resource group, a key vault and a storage account",
	string(azure.CapRoleAssignments):  "create role assignments",
	string(azure.CapAppRegistrations): "create app registrations in Microsoft Graph",
}

// realModeView says, on a lesson's page, what runs against real Azure:
// nil on a server without real mode.
func (p *player) realModeView(t *target) *ui.RealModeView {
	l := t.lesson
	var missing []string
	for _, n := range l.RealNeeds {
		if slices.Contains(p.realMissing, n) {
			missing = append(missing, capabilityWords[n])
		}
	}
	if len(missing) > 0 {
		// Real mode is configured but the preflight refused it: the lesson
		// says what it would need.
		return &ui.RealModeView{Lines: []string{fmt.Sprintf(
			"This lesson's real-Azure steps need the server's identity to %s, which the preflight found it cannot do: they run in the simulator on this server (see 'sandbox azure check').",
			strings.Join(missing, " and "))}}
	}
	sb, isReal := p.sandboxes.Azure(t.sb.ID)
	if !isReal {
		return nil
	}
	f := t.run.runner.Real()
	if f == nil {
		done, total := sb.Progress()
		return &ui.RealModeView{Lines: []string{fmt.Sprintf(
			"This sandbox's resources in Azure are %s (%d of %d steps done): until they are ready the lesson runs in the simulator. Reload the page when they are.",
			sb.Status, done, total)}}
	}
	if len(l.Real) == 0 {
		return &ui.RealModeView{Lines: []string{"This sandbox is in real Azure, but every step of this lesson needs the simulator (code on Azure compute, the clock, or principals a real sandbox does not have): the whole lesson runs simulated."}}
	}
	v := &ui.RealModeView{Real: true, Lines: []string{
		"Real Azure: the steps marked “real Azure” run against subscription " + sb.Subscription + ", resource group " + sb.ResourceGroup +
			". The diagram shows the real requests and answers, tokens decoded; changes go through Azure Resource Manager with the server's identity, inside the sandbox's resource group only.",
		"Role changes are real too: after a grant Azure may take several minutes to let the call through. If a step is still refused, wait and run it again.",
	}}
	if p.python() != nil {
		v.Lines = append(v.Lines, "Real-Azure steps run in Go (the Python worker reaches the simulator only); the simulated steps run in the language you chose.")
	}
	if sim := simulatedWhy(l); sim != "" {
		v.Lines = append(v.Lines, sim)
	}
	return v
}

// simulatedWhy says plainly which kinds of step stay simulated in the
// lesson ("" when none do).
func simulatedWhy(l *lessons.Lesson) string {
	var site, other bool
	for _, s := range l.Steps() {
		if l.RunsReal(s.ID) {
			continue
		}
		if l.OnSite(s) {
			site = true
		} else {
			other = true
		}
	}
	switch {
	case site && other:
		return "Steps that run code on Azure compute (the site's managed identity) and steps that need the simulator (its clock, principals only it has) stay simulated, and say so."
	case site:
		return "Steps that run code on Azure compute (the site's managed identity) stay simulated, and say so."
	case other:
		return "Steps that need the simulator (its clock, propagation delay, or principals only it has) stay simulated, and say so."
	}
	return ""
}

// stepCloud is where a step runs in a real-mode run: "real", or why it
// stays simulated ("" in a simulated run).
func stepCloud(t *target, s *lessons.Step) string {
	if t.run.runner.Real() == nil {
		return ""
	}
	switch {
	case t.lesson.RunsReal(s.ID):
		return "real"
	case t.lesson.OnSite(s):
		return "it runs code on Azure compute (the site's managed identity)"
	}
	return "it needs the simulator"
}

// stepHidden says why a real-mode run offers no button for a block: real
// Azure has no clock to move and no propagation delay to set ("" when the
// block runs).
func stepHidden(t *target, s *lessons.Step) string {
	if t.run.runner.Real() == nil {
		return ""
	}
	switch s.Action {
	case "advanceClock", "setPropagationDelay":
		return "Not offered in real Azure: its clock and its role propagation are real. Wait (a few minutes for a role change), then run the step again."
	}
	return ""
}

// realPanel is the panel's view of a real-mode run's sandbox in Azure.
func (p *player) realPanel(t *target) *ui.RealPanel {
	if t.run.runner.Real() == nil {
		return nil
	}
	sb, ok := p.sandboxes.Azure(t.sb.ID)
	if !ok {
		return nil
	}
	return &ui.RealPanel{ResourceGroup: sb.ResourceGroup, Vault: sb.Vault, StorageAccount: sb.StorageAccount,
		LocalDevAppID: sb.LocalDev.AppID,
		ScopeKinds:    []string{scenario.ScopeVault, scenario.ScopeResourceGroup, scenario.ScopeStorage, scenario.ScopeQueue}}
}

// realRefusal explains a refusal real Azure answered from the wire
// (Provisioner.Explain), once per exchange: the explanation reads ARM.
// nil when ex is not a real-mode run's 403 or it cannot be placed.
func (p *player) realRefusal(ctx context.Context, t *target, ex *trace.Exchange) *azure.Refusal {
	if p.explain == nil || ex.Authz != nil || ex.Status != http.StatusForbidden || t.run.runner.Real() == nil {
		return nil
	}
	key := t.sb.ID + "/" + strconv.FormatInt(ex.Seq, 10)
	if r, ok := p.refusals.Load(key); ok {
		return r.(*azure.Refusal)
	}
	aex := &azure.Exchange{SandboxID: t.sb.ID, Method: ex.Method, URL: ex.URL, Status: ex.Status,
		ResponseHeaders: ex.ResponseHeaders, ResponseBody: ex.ResponseBody,
		Code: azure.ErrorCode(ex.Status, ex.ResponseHeaders, []byte(ex.ResponseBody))}
	if ex.Token != nil {
		aex.Token = azure.Claims(ex.Token.Claims)
	}
	r, err := p.explain(ctx, t.sb.ID, aex)
	if err != nil || r == nil {
		if err != nil {
			p.log.Warn("explain a real refusal", "sandbox", t.sb.ID, "seq", ex.Seq, "error", err)
		}
		return nil
	}
	p.refusals.Store(key, r)
	return r
}

// refusalView is a real refusal as the inspector's decision.
func refusalView(r *azure.Refusal, t *target, seq int64) *ui.DecisionView {
	v := &ui.DecisionView{Model: "Azure RBAC, explained from real Azure's answer (" + r.Code + ")", Action: r.Action,
		DataAction: r.DataAction, Scope: r.Scope, Summary: r.Summary, Principal: r.Caller + ", object ID " + r.PrincipalID}
	for _, h := range r.Assignments {
		v.Considered = append(v.Considered, ui.ConsideredView{RoleName: h.RoleName, Scope: h.Scope, Principal: r.Caller,
			Reason: "read from ARM: it does not allow " + r.Action})
	}
	if f := r.Fix; f != nil {
		v.Suggestion = &ui.SuggestionView{RoleName: f.RoleName, Scope: f.Scope, Principal: r.Caller, CLI: f.CLI,
			FixURL: lessonURL(t.sb.ID, t.lesson.ID) + "/fix", Seq: seq}
	}
	return v
}

// applyRealFix makes the smallest fix of a real refusal: the assignment
// through ARM, as the lesson's assignRole action makes it (inside the guard
// rail). Only localDev can be given a role in a real sandbox.
func (p *player) applyRealFix(ctx context.Context, t *target, r *azure.Refusal) (string, error) {
	f := t.run.runner.Real()
	if f == nil || r.Fix == nil {
		return "", errorf(CodeInvalidArgument, "this refusal has no fix to apply")
	}
	dev, err := f.Principal(scenario.LabelLocalDev)
	if err != nil || !strings.EqualFold(dev.ObjectID, r.PrincipalID) {
		return "", errorf(CodeInvalidArgument, "only localDev can be given a role in a real-mode sandbox")
	}
	kind := ""
	for _, k := range scenario.ScopeKinds() {
		if id, err := f.Scope(k); err == nil && strings.EqualFold(id, r.Fix.Scope) {
			kind = k
			break
		}
	}
	if kind == "" {
		return "", errorf(CodeInvalidArgument, "the fix's scope %s is not one of the sandbox's", r.Fix.Scope)
	}
	params := map[string]string{"principal": scenario.LabelLocalDev, "role": r.Fix.RoleName, "scope": kind}
	res, err := p.do(ctx, t, "Fix: assign "+r.Fix.RoleName+" to localDev", func() (*lessons.StepResult, error) {
		return t.run.runner.Do(ctx, "fix", "assignRole", params, t.lesson.Marker("fix"))
	})
	if err != nil {
		return "", err
	}
	if !res.OK {
		return "", errorf(CodeInvalidArgument, "the fix failed: %s", res.Error)
	}
	return "Fix applied: " + firstLine(res.Output) + " " + strings.TrimSpace(lessons.RealPropagation), nil
}
