package arm

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// listPermissions answers GET {scope}/providers/Microsoft.Authorization/
// permissions: the caller's own effective permissions at the scope, one
// entry per role assignment of the caller (or of its groups) at the scope
// or above it, as the portal's "check access" and az's preflights read
// them. Asking about oneself needs no role. Assignments still propagating
// are left out, as they do not count yet.
func (s *Service) listPermissions(req *request) *armError {
	if aerr := scopeExists(req.c.w, req.rt.scope); aerr != nil {
		return aerr
	}
	oid := req.c.claims.OID
	now := req.c.w.Now()
	out := []rdPerm{}
	req.c.w.View(func(st *world.State) {
		ids := map[string]bool{strings.ToLower(oid): true}
		for gid, g := range st.Principals {
			if g.Kind != world.KindGroup {
				continue
			}
			for _, m := range g.Members {
				if strings.EqualFold(m, oid) {
					ids[strings.ToLower(gid)] = true
				}
			}
		}
		if _, ok := st.Principals[oid]; !ok {
			return // a deleted principal's assignments no longer count
		}
		for _, a := range st.RoleAssignments {
			if !live(&a) || !ids[strings.ToLower(a.PrincipalID)] || now.Before(a.EffectiveAt) ||
				!rbac.ScopeContains(a.Scope, req.rt.scope) {
				continue
			}
			rd, ok := rbac.Role(rbac.RoleGUID(a.RoleDefinitionID), st.CustomRoles)
			if !ok {
				continue
			}
			for _, p := range rd.Permissions {
				out = append(out, rdPerm{nonNil(p.Actions), nonNil(p.NotActions), nonNil(p.DataActions), nonNil(p.NotDataActions)})
			}
		}
	})
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": out})
	return nil
}
