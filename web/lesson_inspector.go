package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// findExchange returns the sandbox's exchange with the number.
func (p *player) findExchange(sandboxID string, seq int64) (*trace.Exchange, error) {
	exs := p.book.List(sandboxID, seq-1)
	if len(exs) == 0 || exs[0].Seq != seq {
		return nil, errorf(CodeNotFound, "exchange %d not found (the trace keeps the most recent exchanges only)", seq)
	}
	return &exs[0], nil
}

// inspectorView explains one exchange.
func (p *player) inspectorView(ctx context.Context, t *target, ex *trace.Exchange, csrf string) ui.InspectorView {
	now := t.w.Now()
	v := ui.InspectorView{
		Seq: ex.Seq, Method: ex.Method, URL: ex.URL, Status: ex.Status, StatusText: http.StatusText(ex.Status),
		Service: ui.Lifelines[laneOf(ex.Service, hostOf(ex.URL))], Via: ex.Via, Site: ex.Site,
		Time:           ex.Time.UTC().Format(time.RFC3339),
		SimTime:        ex.SimTime.UTC().Format("2006-01-02 15:04:05 UTC"),
		Duration:       (time.Duration(ex.DurationUS) * time.Microsecond).Round(time.Microsecond).String(),
		RequestHeaders: headerViews(ex.RequestHeaders), RequestBody: pretty(ex.RequestBody),
		ResponseHeaders: headerViews(ex.ResponseHeaders), ResponseBody: pretty(ex.ResponseBody),
		CloseURL: lessonURL(t.sb.ID, t.lesson.ID), CSRFToken: csrf,
	}
	if ex.Step != "" {
		v.Step = markerTitle(ex.Step, t.lesson)
		if isChange(ex.Step, t.lesson) {
			v.Via = "change"
		}
	}
	challenge := ex.Status == http.StatusUnauthorized && ex.ResponseHeaders.Get("WWW-Authenticate") != ""
	v.Outcome, v.Icon = ui.Outcome(ex.Status, challenge)
	if ex.Token != nil {
		v.Token = tokenView("Access token presented (decoded)", ex.Token, now)
	}
	if ex.Issued != nil {
		v.Issued = tokenView("Access token issued (decoded)", ex.Issued, now)
	}
	if a := ex.Authn; a != nil {
		v.Authn = &ui.AuthnView{OK: a.OK, Subject: a.Subject, Code: a.Code, Reason: a.Reason}
	}
	if d := ex.Authz; d != nil {
		t.w.View(func(st *world.State) { v.Decision = decisionView(d, st, t, ex.Seq) })
	} else if r := p.realRefusal(ctx, t, ex); r != nil {
		v.Decision = refusalView(r, t, ex.Seq)
	}
	return v
}

func tokenView(title string, tok *trace.Token, now time.Time) *ui.TokenView {
	return &ui.TokenView{Title: title, Header: ui.ExplainHeader(tok.Header), Claims: ui.ExplainClaims(tok.Claims, now),
		Validity: ui.Validity(tok.Claims, now)}
}

func decisionView(d *rbac.Decision, st *world.State, t *target, seq int64) *ui.DecisionView {
	labelOf := labelsByID(st)
	v := &ui.DecisionView{Model: "Azure RBAC", Allowed: d.Allowed, Action: d.Action, DataAction: d.DataAction,
		Scope: d.Scope, Summary: d.Summary, Principal: d.Principal.DisplayName}
	if d.Model == "accessPolicy" {
		v.Model = "Key Vault access policies"
	}
	if l := labelOf[d.Principal.ObjectID]; l != "" {
		v.Principal = l + " (" + d.Principal.DisplayName + ")"
	}
	v.Principal += ", object ID " + d.Principal.ObjectID
	for _, c := range d.Considered {
		v.Considered = append(v.Considered, ui.ConsideredView{RoleName: c.RoleName, Scope: c.Scope, Matched: c.Matched,
			Reason: c.Reason, Explanation: c.Explanation, Principal: principalName(st, c.PrincipalID, labelOf[c.PrincipalID])})
	}
	if s := d.Suggestion; s != nil && !d.Allowed {
		v.Suggestion = &ui.SuggestionView{RoleName: s.RoleName, Scope: s.Scope, CLI: s.CLI,
			Principal: principalName(st, s.PrincipalID, labelOf[s.PrincipalID]),
			FixURL:    lessonURL(t.sb.ID, t.lesson.ID) + "/fix", Seq: seq, Applied: hasAssignment(st, s)}
	}
	return v
}

// hasAssignment reports whether the suggested role is already assigned to
// the principal at exactly the suggested scope.
func hasAssignment(st *world.State, s *rbac.Suggestion) bool {
	oid := s.PrincipalID
	if p := st.Principals[s.PrincipalID]; p != nil {
		oid = p.ObjectID
	}
	for _, a := range st.RoleAssignments {
		if a.PrincipalID == oid && strings.EqualFold(a.Scope, s.Scope) && strings.HasSuffix(strings.ToLower(a.RoleDefinitionID), strings.ToLower(lastSegment(s.RoleID))) {
			return true
		}
	}
	return false
}

func lastSegment(id string) string {
	if i := strings.LastIndex(id, "/"); i >= 0 {
		return id[i+1:]
	}
	return id
}

func headerViews(h http.Header) []ui.HeaderView {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]ui.HeaderView, 0, len(names))
	for _, n := range names {
		out = append(out, ui.HeaderView{Name: n, Value: strings.Join(h[n], ", ")})
	}
	return out
}

// pretty indents a JSON body; other bodies are shown as they are.
func pretty(body string) string {
	b := strings.TrimSpace(body)
	if b == "" || (b[0] != '{' && b[0] != '[') {
		return body
	}
	var out bytes.Buffer
	if json.Indent(&out, []byte(b), "", "  ") != nil {
		return body
	}
	return out.String()
}

func hostOf(raw string) string {
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		rest, _ = strings.CutPrefix(raw, "http://")
	}
	host, _, _ := strings.Cut(rest, "/")
	return host
}
