package rbac

// MatchAction reports whether action matches a permission pattern as ARM
// matches them: '*' stands for any run of characters (slashes included) and
// letters compare case-insensitively. It does not allocate.
func MatchAction(pattern, action string) bool {
	p, a := 0, 0
	star, mark := -1, 0
	for a < len(action) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, a
			p++
		case p < len(pattern) && lower(pattern[p]) == lower(action[a]):
			p++
			a++
		case star >= 0:
			// Let the last star swallow one more character and retry.
			p = star + 1
			mark++
			a = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func matchAny(patterns []string, action string) (string, bool) {
	for _, p := range patterns {
		if MatchAction(p, action) {
			return p, true
		}
	}
	return "", false
}

// verdict is how one role answers one action.
type verdict int

const (
	verdictLacks     verdict = iota
	verdictGranted           // an allow pattern matched and no exclusion in its entry did
	verdictExcluded          // an allow pattern matched but a not-pattern of the same entry removed it
	verdictOtherHalf         // only the other half (control vs data) would match
)

// roleEval is the detail behind a verdict, for the explanation.
type roleEval struct {
	verdict verdict
	allow   string // the matching allow pattern
	not     string // the excluding not-pattern
}

// grants reports whether a role grants the action (the fast path of evaluate).
func grants(rd *RoleDefinition, action string, data bool) bool {
	for i := range rd.Permissions {
		pe := &rd.Permissions[i]
		allow, deny := pe.Actions, pe.NotActions
		if data {
			allow, deny = pe.DataActions, pe.NotDataActions
		}
		if _, ok := matchAny(allow, action); ok {
			if _, excl := matchAny(deny, action); !excl {
				return true
			}
		}
	}
	return false
}

// evaluate applies one role to an action: effective permissions are
// Actions − NotActions (or DataActions − NotDataActions) per permission entry.
func evaluate(rd *RoleDefinition, action string, data bool) roleEval {
	var excluded roleEval
	for i := range rd.Permissions {
		pe := &rd.Permissions[i]
		allow, deny := pe.Actions, pe.NotActions
		if data {
			allow, deny = pe.DataActions, pe.NotDataActions
		}
		ap, ok := matchAny(allow, action)
		if !ok {
			continue
		}
		np, excl := matchAny(deny, action)
		if !excl {
			return roleEval{verdict: verdictGranted, allow: ap}
		}
		if excluded.verdict != verdictExcluded {
			excluded = roleEval{verdict: verdictExcluded, allow: ap, not: np}
		}
	}
	if excluded.verdict == verdictExcluded {
		return excluded
	}
	for i := range rd.Permissions {
		pe := &rd.Permissions[i]
		other := pe.DataActions
		if data {
			other = pe.Actions
		}
		if ap, ok := matchAny(other, action); ok {
			return roleEval{verdict: verdictOtherHalf, allow: ap}
		}
	}
	return roleEval{verdict: verdictLacks}
}
