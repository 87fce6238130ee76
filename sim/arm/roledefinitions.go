package arm

import (
	"net/http"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// builtinStamp is the createdOn/updatedOn ARM reports for built-in roles
// (they predate every sandbox).
const builtinStamp = "2015-02-02T21:55:09.8806423Z"

type rdPerm struct {
	Actions        []string `json:"actions"`
	NotActions     []string `json:"notActions"`
	DataActions    []string `json:"dataActions"`
	NotDataActions []string `json:"notDataActions"`
}

type rdProps struct {
	RoleName         string   `json:"roleName"`
	Type             string   `json:"type"`
	Description      string   `json:"description"`
	AssignableScopes []string `json:"assignableScopes"`
	Permissions      []rdPerm `json:"permissions"`
	CreatedOn        string   `json:"createdOn"`
	UpdatedOn        string   `json:"updatedOn"`
	CreatedBy        *string  `json:"createdBy"`
	UpdatedBy        *string  `json:"updatedBy"`
}

type rdJSON struct {
	Properties rdProps `json:"properties"`
	ID         string  `json:"id"`
	Type       string  `json:"type"`
	Name       string  `json:"name"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func rdView(scope string, rd rbac.RoleDefinition) rdJSON {
	perms := make([]rdPerm, 0, len(rd.Permissions))
	for _, p := range rd.Permissions {
		perms = append(perms, rdPerm{nonNil(p.Actions), nonNil(p.NotActions), nonNil(p.DataActions), nonNil(p.NotDataActions)})
	}
	typ := rd.RoleType
	if typ == "" {
		typ = rbac.CustomRole
	}
	return rdJSON{
		Properties: rdProps{
			RoleName: rd.RoleName, Type: typ, Description: rd.Description,
			AssignableScopes: nonNil(rd.AssignableScopes), Permissions: perms,
			CreatedOn: builtinStamp, UpdatedOn: builtinStamp,
		},
		ID:   roleDefinitionID(scope, rd.ID),
		Type: "Microsoft.Authorization/roleDefinitions",
		Name: rd.ID,
	}
}

func allRoles(w *world.World) []rbac.RoleDefinition {
	roles := rbac.BuiltinRoles()
	w.View(func(st *world.State) { roles = append(roles, st.CustomRoles...) })
	return roles
}

// Reading role definitions needs no role: every principal of the tenant can
// list them (az role definition list works for anyone signed in).
func (s *Service) getRoleDefinition(req *request) *armError {
	for _, rd := range allRoles(req.c.w) {
		if strings.EqualFold(rd.ID, req.rt.name) {
			writeJSON(req.rw, http.StatusOK, rdView(req.rt.scope, rd))
			return nil
		}
	}
	return errorf(http.StatusNotFound, "RoleDefinitionDoesNotExist",
		"The specified role definition with ID '"+req.rt.name+"' does not exist.")
}

func (s *Service) listRoleDefinitions(req *request) *armError {
	f := strings.TrimSpace(req.q.Get("$filter"))
	match := func(rbac.RoleDefinition) bool { return true }
	switch {
	case f == "":
	case hasPrefixFold(f, "roleName eq "):
		name, ok := quoted(f[len("roleName eq "):])
		if !ok {
			return errBadFilter(f)
		}
		match = func(rd rbac.RoleDefinition) bool { return strings.EqualFold(rd.RoleName, name) }
	case hasPrefixFold(f, "type eq "):
		typ, ok := quoted(f[len("type eq "):])
		if !ok {
			return errBadFilter(f)
		}
		match = func(rd rbac.RoleDefinition) bool {
			t := rd.RoleType
			if t == "" {
				t = rbac.CustomRole
			}
			return strings.EqualFold(t, typ)
		}
	default:
		return errBadFilter(f)
	}
	out := []rdJSON{}
	for _, rd := range allRoles(req.c.w) {
		if match(rd) {
			out = append(out, rdView(req.rt.scope, rd))
		}
	}
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": out})
	return nil
}
