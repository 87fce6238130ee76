package lessons

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// Who sent an exchange (trace.Exchange.Via).
const (
	ViaRunner = "runner" // a lesson step run by the player
	ViaProxy  = "proxy"  // the learner's own program, through the sandbox's proxy
)

// knownGrants are the OAuth grant types a trace match may name (grant).
var knownGrants = []string{
	"client_credentials", "password", "refresh_token", "authorization_code",
	"urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:device_code",
}

// startActions are the setup actions that always send a request, so their
// exchanges mark in the trace where a run of the lesson started.
var startActions = []string{"assignRole", "removeRole", "createResourceGroup"}

// traceCandidates are the exchanges a trace check looks at. Exchanges of the
// learner's own program carry no step marker (the proxy cannot know which
// lesson is open), so a check that asks for via: proxy looks at the
// sandbox's exchanges after the lesson's latest setup exchange: the trace's
// record of this run's start. A program run before the lesson was opened
// (or before a reset) does not count. Any other check looks only at this
// lesson's steps.
func traceCandidates(l *Lesson, m *TraceMatch, mine, all []trace.Exchange) []trace.Exchange {
	if m.Via != ViaProxy {
		return mine
	}
	start := startSeq(l, all)
	if start == 0 {
		return nil
	}
	var out []trace.Exchange
	for _, ex := range all {
		if ex.Seq > start {
			out = append(out, ex)
		}
	}
	return out
}

// startSeq is the Seq of the lesson's latest setup exchange (0 = none kept).
func startSeq(l *Lesson, exs []trace.Exchange) int64 {
	var seq int64
	for _, ex := range exs {
		if ex.Step == l.SetupMarker() {
			seq = max(seq, ex.Seq)
		}
	}
	return seq
}

// matchesMore matches the fields added for lessons 2-9 (via, model, grant).
func matchesMore(m *TraceMatch, ex *trace.Exchange) bool {
	if m.Via != "" && ex.Via != m.Via {
		return false
	}
	if m.Model != "" && (ex.Authz == nil || ex.Authz.Model != m.Model) {
		return false
	}
	if m.Grant != "" && grantOf(ex) != m.Grant {
		return false
	}
	return true
}

// grantOf is the grant_type of a token request ("" for anything else). The
// recorded body is masked, but only secret values are replaced, so it still
// parses as a form.
func grantOf(ex *trace.Exchange) string {
	if !strings.EqualFold(ex.Method, "POST") || !strings.Contains(ex.RequestBody, "grant_type=") {
		return ""
	}
	q, err := url.ParseQuery(ex.RequestBody)
	if err != nil {
		return ""
	}
	return q.Get("grant_type")
}

// validateMore checks the via, model and grant fields of a trace match.
func validateMore(m *TraceMatch, where string) []string {
	var out []string
	switch m.Via {
	case "", ViaRunner:
	case ViaProxy:
		if m.Step != "" {
			out = append(out, where+": via proxy cannot name a step (the learner's own program carries no step marker)")
		}
	default:
		out = append(out, fmt.Sprintf("%s: via must be runner or proxy, not %q", where, m.Via))
	}
	if m.Model != "" && m.Model != "rbac" && m.Model != "accessPolicy" {
		out = append(out, fmt.Sprintf("%s: model must be rbac or accessPolicy, not %q", where, m.Model))
	}
	if m.Grant != "" {
		if !slices.Contains(knownGrants, m.Grant) {
			out = append(out, fmt.Sprintf("%s: unknown grant %q (%s)", where, m.Grant, strings.Join(knownGrants, ", ")))
		}
		if m.Service != "" && m.Service != service.Entra {
			out = append(out, where+": grant matches token requests to Entra ID: use service entra (or none)")
		}
	}
	return out
}

// usesProxy reports whether a check of the lesson looks for the learner's
// own program.
func usesProxy(l *Lesson) bool {
	for _, c := range l.Checks() {
		for m := c.Trace; m != nil; m = m.After {
			if m.Via == ViaProxy {
				return true
			}
		}
	}
	return false
}

// validateStart checks that a lesson with via: proxy checks has a setup
// that leaves a start mark in the trace (see traceCandidates).
func validateStart(l *Lesson) []string {
	if !usesProxy(l) {
		return nil
	}
	for _, inv := range l.Setup {
		if slices.Contains(startActions, inv.Action) {
			return nil
		}
	}
	return []string{fmt.Sprintf("a via: proxy check needs a setup action that sends a request (%s): its exchanges mark where the lesson started, and only the learner's program after them counts",
		strings.Join(startActions, ", "))}
}
