package lessons

import (
	"fmt"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// Who sent an exchange (trace.Exchange.Via).
const (
	ViaRunner = "runner" // a lesson step run by the player
	ViaProxy  = "proxy"  // the learner's own program, through the sandbox's proxy
)

// traceCandidates are the exchanges a trace check looks at. Exchanges of the
// learner's own program carry no step marker (the proxy cannot know which
// lesson is open), so a check that asks for via: proxy looks at every
// exchange of the sandbox; any other check only at this lesson's steps.
func traceCandidates(m *TraceMatch, mine, all []trace.Exchange) []trace.Exchange {
	if m.Via != ViaProxy {
		return mine
	}
	return all
}

// matchesMore matches the fields added for lessons 2-9 (via, model).
func matchesMore(m *TraceMatch, ex *trace.Exchange) bool {
	if m.Via != "" && ex.Via != m.Via {
		return false
	}
	if m.Model != "" && (ex.Authz == nil || ex.Authz.Model != m.Model) {
		return false
	}
	return true
}

// validateMore checks the via and model fields of a trace match.
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
	return out
}
