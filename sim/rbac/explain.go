package rbac

import (
	"strconv"
	"strings"
	"time"
)

// explainer words the explanation of one assignment for one request.
type explainer struct {
	a     *Assignment
	req   *Request
	role  string
	reqAt string // DescribeScope(req.Scope), computed once per request
	at    string // DescribeScope(a.Scope)
	grp   string // group()
}

// group is the suffix naming the group an assignment came through ("" for
// the principal's own).
func (e explainer) group() string {
	if strings.EqualFold(e.a.PrincipalID, e.req.Principal.ObjectID) {
		return ""
	}
	return " (assigned to group " + e.a.PrincipalID + ", of which the principal is a member)"
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (e explainer) granted(ev roleEval) string {
	s := e.role + " at " + e.at + e.grp + " grants " + e.req.Action
	if !strings.EqualFold(ev.allow, e.req.Action) {
		s += " (its " + half(e.req.DataAction, false) + " include '" + ev.allow + "')"
	}
	if e.a.RemovedAt != nil {
		s += "; the assignment was removed, but the removal only takes effect at " + stamp(*e.a.RemovedAt) + " (propagation delay)"
	}
	return s
}

func (e explainer) notYet() string {
	wait := e.a.EffectiveAt.Sub(e.req.Now).Round(time.Second)
	return e.role + " at " + e.at + e.grp + " would grant " + e.req.Action + ", but the assignment takes effect only at " +
		stamp(e.a.EffectiveAt) + " (in " + wait.String() + "): role assignment changes take time to propagate"
}

func (e explainer) removed() string {
	return e.role + " at " + e.at + e.grp + " was removed; the removal took effect at " + stamp(*e.a.RemovedAt) + ", so it no longer counts"
}

func (e explainer) deleted() string {
	return e.role + " at " + e.at + " was assigned to " + e.a.PrincipalID +
		", which no longer exists in the directory; a deleted principal's assignments no longer count (the portal lists them as \"Identity not found\")"
}

func (e explainer) notAncestor() string {
	return e.role + " at " + e.at + e.grp + " does not cover " + e.reqAt +
		": an assignment applies only to its own scope and the scopes below it"
}

func (e explainer) unknownRole(guid string) string {
	return "the assignment at " + e.at + " refers to role definition " + guid + ", which does not exist"
}

func (e explainer) excluded(ev roleEval) string {
	return e.role + " at " + e.at + e.grp + " matches " + e.req.Action + " with '" + ev.allow + "' in its " + half(e.req.DataAction, false) +
		", but its " + half(e.req.DataAction, true) + " remove it ('" + ev.not + "'); " +
		half(e.req.DataAction, true) + " only subtract from this role and deny nothing another role grants"
}

func (e explainer) lacks(rd *RoleDefinition, ev roleEval) string {
	act := e.req.Action
	if d := describeAction(act); d != "" {
		act = d + " (" + e.req.Action + ")"
	}
	if ev.verdict == verdictOtherHalf {
		if e.req.DataAction {
			if !hasAny(rd, true) {
				return e.role + " at " + e.at + e.grp + " grants control-plane actions only; " + act +
					" is a data action, and actions never grant data actions"
			}
			return e.role + " at " + e.at + e.grp + " matches " + e.req.Action + " only in its actions ('" + ev.allow + "'); " + act +
				" is a data action, which only dataActions grant"
		}
		if !hasAny(rd, false) {
			return e.role + " at " + e.at + e.grp + " grants data actions only; " + act + " is a control-plane action"
		}
		return e.role + " at " + e.at + e.grp + " matches " + e.req.Action + " only in its dataActions ('" + ev.allow + "'); " + act +
			" is a control-plane action, which only actions grant"
	}
	return e.role + " at " + e.at + e.grp + " does not include " + act + " in its " + half(e.req.DataAction, false)
}

// half names the permission list that decides a request.
func half(data, not bool) string {
	switch {
	case data && not:
		return "notDataActions"
	case data:
		return "dataActions"
	case not:
		return "notActions"
	}
	return "actions"
}

func hasAny(rd *RoleDefinition, data bool) bool {
	for _, p := range rd.Permissions {
		if (data && len(p.DataActions) > 0) || (!data && len(p.Actions) > 0) {
			return true
		}
	}
	return false
}

// describeAction says in words what a well-known action does ("" if unknown).
func describeAction(action string) string {
	a := strings.ToLower(action)
	switch {
	case strings.HasSuffix(a, "/secrets/getsecret/action"):
		return "reading a secret's value"
	case strings.HasSuffix(a, "/secrets/setsecret/action"):
		return "writing a secret"
	case strings.HasSuffix(a, "/secrets/readmetadata/action"):
		return "listing secrets and reading their properties"
	case strings.HasSuffix(a, "/secrets/delete"):
		return "deleting a secret"
	case strings.HasSuffix(a, "/messages/add/action"):
		return "adding a message to a queue"
	case strings.HasSuffix(a, "/messages/process/action"):
		return "receiving and deleting queue messages"
	case strings.HasSuffix(a, "/messages/read"):
		return "peeking at queue messages"
	case strings.HasSuffix(a, "/messages/write"):
		return "writing queue messages"
	case strings.HasSuffix(a, "/messages/delete"):
		return "deleting queue messages"
	case a == "microsoft.authorization/roleassignments/write":
		return "creating a role assignment"
	case a == "microsoft.authorization/roleassignments/delete":
		return "deleting a role assignment"
	}
	return ""
}

func principalName(p Principal) string {
	if p.DisplayName != "" {
		return p.DisplayName + " (" + p.ObjectID + ")"
	}
	return p.ObjectID
}

// summary is the decision's one sentence (two with a suggestion).
func summary(d *Decision, waiting *Considered, at time.Time) string {
	who := principalName(d.Principal)
	where := DescribeScope(d.Scope)
	switch {
	case d.Allowed:
		return "Allowed: " + d.Matched.RoleName + " assigned at " + DescribeScope(d.Matched.Scope) +
			" grants " + who + " " + d.Action + " on " + where + "."
	case d.Principal.Deleted:
		return "Denied: principal " + d.Principal.ObjectID + " does not exist in the directory (it was deleted or never existed), so no role assignment counts for it."
	case waiting != nil:
		return "Denied for now: " + waiting.RoleName + " at " + DescribeScope(waiting.Scope) + " will grant " + who + " " +
			d.Action + " once the assignment takes effect at " + stamp(at) + " (role assignment changes take time to propagate)."
	}
	own := 0
	for i := range d.Considered {
		if d.Considered[i].Reason != ReasonOtherPrincipal {
			own++
		}
	}
	var s string
	switch own {
	case 0:
		s = "Denied: " + who + " has no role assignments, so nothing grants " + d.Action + " on " + where + "."
	case 1:
		s = "Denied: the one role assignment of " + who + " does not grant " + d.Action + " on " + where + "."
	default:
		s = "Denied: none of the " + strconv.Itoa(own) + " role assignments of " + who +
			" grants " + d.Action + " on " + where + "."
	}
	if d.Suggestion != nil {
		s += " Assigning " + d.Suggestion.RoleName + " at " + DescribeScope(d.Suggestion.Scope) + " would allow it."
	}
	return s
}
