package rbac

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Index answers Authorize questions quickly: assignments are indexed by the
// principal (user, service principal or group) they are assigned to, so a
// question only looks at the asker's own assignments and its groups'.
// An Index is immutable once built and safe for concurrent use.
type Index struct {
	assignments []Assignment
	byPrincipal map[string][]int32 // lower-case principal ID → positions in assignments
	byScope     map[string][]int32 // lower-case scope (no trailing slash) → positions
	roles       map[string]*RoleDefinition
	// suggest lists the built-in roles smallest first, for Suggestion.
	suggest []*RoleDefinition
	// settled: the latest time an assignment takes or loses effect.
	settled time.Time
}

// SettledAt is the latest time at which an assignment of the index takes
// effect or its removal does: from then on a decision depends on the
// request alone, not on when it is asked.
func (ix *Index) SettledAt() time.Time { return ix.settled }

// NewIndex builds an index over a world's assignments and custom roles. It
// copies what it keeps, so the caller may change its slices afterwards.
func NewIndex(assignments []Assignment, custom []RoleDefinition) *Index {
	ix := &Index{
		assignments: slices.Clone(assignments),
		byPrincipal: make(map[string][]int32, len(assignments)/4+1),
		byScope:     make(map[string][]int32, len(assignments)/4+1),
		roles:       map[string]*RoleDefinition{},
	}
	for i, a := range ix.assignments {
		k := strings.ToLower(a.PrincipalID)
		ix.byPrincipal[k] = append(ix.byPrincipal[k], int32(i))
		sk := scopeKey(a.Scope)
		ix.byScope[sk] = append(ix.byScope[sk], int32(i))
		if a.EffectiveAt.After(ix.settled) {
			ix.settled = a.EffectiveAt
		}
		if a.RemovedAt != nil && a.RemovedAt.After(ix.settled) {
			ix.settled = *a.RemovedAt
		}
	}
	cat := builtinCatalog()
	ix.roles = maps.Clone(cat.byID)
	for i := range custom {
		k := strings.ToLower(custom[i].ID)
		if _, taken := ix.roles[k]; taken {
			continue // a custom role cannot shadow a built-in one
		}
		rd := custom[i]
		if rd.RoleType == "" {
			rd.RoleType = CustomRole
		}
		ix.roles[k] = &rd
	}
	ix.suggest = cat.suggest
	return ix
}

// catalog is the built-in roles by lower-case ID and in "smallest first"
// order. Indexes only read it.
type catalog struct {
	all     []RoleDefinition // BuiltinRoles' order
	byID    map[string]*RoleDefinition
	suggest []*RoleDefinition
}

// builtinCatalog is computed once per process: every world's index (500
// sandboxes restored at start-up, a rebuild per role assignment change)
// would otherwise rank the same built-in roles again.
var builtinCatalog = sync.OnceValue(func() *catalog {
	builtins := BuiltinRoles()
	c := &catalog{all: builtins, byID: make(map[string]*RoleDefinition, len(builtins)), suggest: smallestFirst(builtins)}
	for i := range builtins {
		c.byID[strings.ToLower(builtins[i].ID)] = &builtins[i]
	}
	return c
})

// smallestFirst orders roles by how many of the known actions they grant,
// so "the smallest role that grants X" is the first one in order that does.
func smallestFirst(roles []RoleDefinition) []*RoleDefinition {
	control, data := knownActions()
	type sized struct {
		rd         *RoleDefinition
		size, data int
	}
	all := make([]sized, len(roles))
	for i := range roles {
		s := sized{rd: &roles[i]}
		for _, a := range control {
			if grants(&roles[i], a, false) {
				s.size++
			}
		}
		for _, a := range data {
			if grants(&roles[i], a, true) {
				s.size++
				s.data++
			}
		}
		all[i] = s
	}
	slices.SortStableFunc(all, func(a, b sized) int {
		return cmp.Or(cmp.Compare(a.size, b.size), cmp.Compare(a.data, b.data), cmp.Compare(a.rd.RoleName, b.rd.RoleName))
	})
	out := make([]*RoleDefinition, len(all))
	for i, s := range all {
		out[i] = s.rd
	}
	return out
}

// knownActions is the sample of control and data actions that measures a
// role's size.
func knownActions() (control, data []string) {
	const kv, st, q = "Microsoft.KeyVault/", "Microsoft.Storage/storageAccounts/", queues
	control = []string{
		"Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleAssignments/write",
		"Microsoft.Authorization/roleAssignments/delete", "Microsoft.Authorization/roleDefinitions/read",
		"Microsoft.Authorization/roleDefinitions/write", "Microsoft.Authorization/roleDefinitions/delete",
		"Microsoft.Authorization/elevateAccess/Action", "Microsoft.Authorization/policyAssignments/write",
		"Microsoft.Resources/subscriptions/read", "Microsoft.Resources/subscriptions/resourceGroups/read",
		"Microsoft.Resources/subscriptions/resourceGroups/write", "Microsoft.Resources/subscriptions/resourceGroups/delete",
		"Microsoft.Resources/deployments/read", "Microsoft.Resources/deployments/write",
		kv + "vaults/read", kv + "vaults/write", kv + "vaults/delete", kv + "vaults/accessPolicies/write",
		kv + "vaults/secrets/read", kv + "vaults/secrets/write", kv + "checkNameAvailability/read",
		kv + "deletedVaults/read", kv + "locations/deletedVaults/purge/action", kv + "operations/read",
		st + "read", st + "write", st + "delete", st + "listKeys/action",
		q + "read", q + "write", q + "delete",
		"Microsoft.Web/sites/read", "Microsoft.Web/sites/write", "Microsoft.Web/sites/delete",
		"Microsoft.Web/sites/config/list/Action",
		"Microsoft.ManagedIdentity/userAssignedIdentities/read", "Microsoft.ManagedIdentity/userAssignedIdentities/write",
		"Microsoft.Compute/virtualMachines/read", "Microsoft.Compute/virtualMachines/write",
		"Microsoft.Support/supportTickets/write", "Microsoft.Insights/alertRules/write",
	}
	data = []string{
		kv + "vaults/secrets/getSecret/action", kv + "vaults/secrets/readMetadata/action",
		kv + "vaults/secrets/setSecret/action", kv + "vaults/secrets/update/action",
		kv + "vaults/secrets/delete", kv + "vaults/secrets/purge/action", kv + "vaults/secrets/backup/action",
		kv + "vaults/secrets/restore/action", kv + "vaults/secrets/recover/action",
		kv + "vaults/keys/read", kv + "vaults/keys/encrypt/action", kv + "vaults/certificates/read",
		q + "messages/read", q + "messages/write", q + "messages/delete",
		q + "messages/add/action", q + "messages/process/action",
		st + "blobServices/containers/blobs/read",
	}
	return control, data
}

// Authorize answers one request. It looks only at the assignments of the
// principal and of its groups, so its cost does not grow with the number of
// other principals' assignments.
func (ix *Index) Authorize(req Request) Decision {
	d := Decision{
		Model: "rbac", Principal: req.Principal, Action: req.Action,
		DataAction: req.DataAction, Scope: req.Scope,
	}
	own := ix.byPrincipal[strings.ToLower(req.Principal.ObjectID)]
	n := len(own)
	for _, g := range req.Principal.Groups {
		n += len(ix.byPrincipal[strings.ToLower(g)])
	}
	d.Considered = make([]Considered, 0, n)
	pending, pendingAt := -1, time.Time{} // the earliest not-yet-effective grant
	reqAt := DescribeScope(req.Scope)
	add := func(list []int32) {
		for _, i := range list {
			c, at := ix.consider(&ix.assignments[i], &req, reqAt)
			if c.Reason == ReasonNotYetEffective && (pending < 0 || at.Before(pendingAt)) {
				pending, pendingAt = len(d.Considered), at
			}
			d.Considered = append(d.Considered, c)
		}
	}
	add(own)
	for _, g := range req.Principal.Groups {
		if !strings.EqualFold(g, req.Principal.ObjectID) {
			add(ix.byPrincipal[strings.ToLower(g)])
		}
	}
	best := -1
	for i := range d.Considered {
		c := &d.Considered[i]
		if c.Matched && (best < 0 || scopeDepth(c.Scope) > scopeDepth(d.Considered[best].Scope)) {
			best = i // report the closest granting assignment
		}
	}
	if best < 0 {
		ix.others(&d, &req) // only a refusal needs to say who does hold the role
	}
	var waiting *Considered
	switch {
	case best >= 0:
		m := d.Considered[best] // a copy, so Matched does not alias Considered
		d.Matched, d.Allowed = &m, true
	case pending >= 0:
		waiting = &d.Considered[pending]
	case !req.Principal.Deleted:
		d.Suggestion = ix.suggestion(&req)
	}
	d.Summary = summary(&d, waiting, pendingAt)
	return d
}

// Reason codes of Considered.
const (
	ReasonGranted           = "granted"
	ReasonOtherPrincipal    = "other-principal"
	ReasonPrincipalDeleted  = "principal-deleted"
	ReasonScopeNotAncestor  = "scope-not-ancestor"
	ReasonRoleLacksAction   = "role-lacks-action"
	ReasonExcludedByNot     = "excluded-by-not-actions"
	ReasonNotYetEffective   = "not-yet-effective"
	ReasonRemovalPropagated = "removal-propagated"
	ReasonUnknownRole       = "unknown-role"
)

// consider explains what one assignment of the principal (or of one of its
// groups) does for the request. The checks run in the order that gives the
// learner the most useful reason: a removed assignment is simply gone; a
// timing reason is given only when the assignment would otherwise grant.
func (ix *Index) consider(a *Assignment, req *Request, reqAt string) (Considered, time.Time) {
	guid := RoleGUID(a.RoleDefinitionID)
	c := Considered{
		AssignmentID: a.ID, RoleID: guid, RoleName: guid,
		Scope: a.Scope, PrincipalID: a.PrincipalID,
	}
	rd := ix.roles[strings.ToLower(guid)]
	if rd != nil {
		c.RoleName = rd.RoleName
	}
	ex := explainer{a: a, req: req, role: c.RoleName, reqAt: reqAt, at: DescribeScope(a.Scope)}
	ex.grp = ex.group()
	switch {
	case a.RemovedAt != nil && !req.Now.Before(*a.RemovedAt):
		c.Reason, c.Explanation = ReasonRemovalPropagated, ex.removed()
	case req.Principal.Deleted:
		c.Reason, c.Explanation = ReasonPrincipalDeleted, ex.deleted()
	case !ScopeContains(a.Scope, req.Scope):
		c.Reason, c.Explanation = ReasonScopeNotAncestor, ex.notAncestor()
	case rd == nil:
		c.Reason, c.Explanation = ReasonUnknownRole, ex.unknownRole(guid)
	default:
		ev := evaluate(rd, req.Action, req.DataAction)
		switch {
		case ev.verdict == verdictExcluded:
			c.Reason, c.Explanation = ReasonExcludedByNot, ex.excluded(ev)
		case ev.verdict != verdictGranted:
			c.Reason, c.Explanation = ReasonRoleLacksAction, ex.lacks(rd, ev)
		case req.Now.Before(a.EffectiveAt):
			c.Reason, c.Explanation = ReasonNotYetEffective, ex.notYet()
			return c, a.EffectiveAt
		default:
			c.Matched = true
			c.Reason, c.Explanation = ReasonGranted, ex.granted(ev)
		}
	}
	return c, time.Time{}
}

// maxOthers bounds the other principals' assignments a decision lists.
const maxOthers = 10

// others adds the assignments of other principals, at the request's scope or
// above, whose role would grant the action: the learner sees that the right
// role exists here but helps only the principal it is assigned to. Only the
// ancestors of one scope are looked up, so the cost stays flat.
func (ix *Index) others(d *Decision, req *Request) {
	key := scopeKey(req.Scope)
	mine := func(id string) bool {
		if strings.EqualFold(id, req.Principal.ObjectID) {
			return true
		}
		for _, g := range req.Principal.Groups {
			if strings.EqualFold(id, g) {
				return true
			}
		}
		return false
	}
	added := 0
	for end := len(key); end > 0 && added < maxOthers; end = strings.LastIndexByte(key[:end], '/') {
		for _, i := range ix.byScope[key[:end]] {
			a := &ix.assignments[i]
			if mine(a.PrincipalID) || (a.RemovedAt != nil && !req.Now.Before(*a.RemovedAt)) {
				continue
			}
			rd := ix.roles[strings.ToLower(RoleGUID(a.RoleDefinitionID))]
			if rd == nil || !grants(rd, req.Action, req.DataAction) {
				continue
			}
			d.Considered = append(d.Considered, Considered{
				AssignmentID: a.ID, RoleID: rd.ID, RoleName: rd.RoleName, Scope: a.Scope, PrincipalID: a.PrincipalID,
				Reason: ReasonOtherPrincipal,
				Explanation: rd.RoleName + " at " + DescribeScope(a.Scope) + " would allow this, but it is assigned to another principal (" +
					a.PrincipalID + "): a role assignment helps only the principal it names.",
			})
			if added++; added == maxOthers {
				return
			}
		}
	}
}

// scopeKey is the lower-case form of a scope used as a map key.
func scopeKey(scope string) string {
	return strings.ToLower(strings.TrimRight(scope, "/"))
}

// suggestion is the smallest built-in role that grants the request, at the
// narrowest sensible scope.
func (ix *Index) suggestion(req *Request) *Suggestion {
	for _, rd := range ix.suggest {
		if !grants(rd, req.Action, req.DataAction) {
			continue
		}
		scope := SuggestedScope(req.Action, req.Scope)
		assignee := req.Principal.ObjectID
		if req.Principal.AppID != "" {
			assignee = req.Principal.AppID
		}
		return &Suggestion{
			RoleID: rd.ID, RoleName: rd.RoleName, Scope: scope, PrincipalID: req.Principal.ObjectID,
			CLI: `az role assignment create --assignee ` + assignee + ` --role "` + rd.RoleName + `" --scope ` + scope,
		}
	}
	return nil
}

// SuggestedScope is where an assignment for action on scope is best made: the
// top-level resource (the vault rather than one secret, the storage account),
// the queue for queue message actions, or the scope itself above resources.
func SuggestedScope(action, scope string) string {
	s, err := ParseScope(scope)
	if err != nil || len(s.Resources) == 0 {
		return scope
	}
	if hasPrefixFold(action, queues+"messages/") && len(s.Resources) >= 3 &&
		strings.EqualFold(s.Resources[0].Type, "storageAccounts") &&
		strings.EqualFold(s.Resources[2].Type, "queues") {
		return s.Prefix(3)
	}
	return s.Prefix(1)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
