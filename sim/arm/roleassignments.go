package arm

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Microsoft.Authorization actions ARM checks.
const (
	actRAWrite  = "Microsoft.Authorization/roleAssignments/write"
	actRADelete = "Microsoft.Authorization/roleAssignments/delete"
	actRARead   = "Microsoft.Authorization/roleAssignments/read"
)

const authzProvider = "/providers/Microsoft.Authorization/"

type raProps struct {
	RoleDefinitionID                   string  `json:"roleDefinitionId"`
	PrincipalID                        string  `json:"principalId"`
	PrincipalType                      string  `json:"principalType"`
	Scope                              string  `json:"scope"`
	Condition                          *string `json:"condition"`
	ConditionVersion                   *string `json:"conditionVersion"`
	CreatedOn                          string  `json:"createdOn"`
	UpdatedOn                          string  `json:"updatedOn"`
	CreatedBy                          *string `json:"createdBy"`
	UpdatedBy                          *string `json:"updatedBy"`
	DelegatedManagedIdentityResourceID *string `json:"delegatedManagedIdentityResourceId"`
	Description                        *string `json:"description"`
}

type raJSON struct {
	Properties raProps `json:"properties"`
	ID         string  `json:"id"`
	Type       string  `json:"type"`
	Name       string  `json:"name"`
}

// extensionID is {scope}/providers/Microsoft.Authorization/{typ}/{name}.
func extensionID(scope, typ, name string) string {
	return strings.TrimSuffix(scope, "/") + authzProvider + typ + "/" + name
}

// roleDefinitionID is a role definition's ID as ARM returns it for a scope:
// under the scope's subscription, or at the tenant root above subscriptions.
func roleDefinitionID(scope, guid string) string {
	segs := segments(scope)
	if len(segs) >= 2 && strings.EqualFold(segs[0], "subscriptions") {
		return extensionID("/subscriptions/"+segs[1], "roleDefinitions", guid)
	}
	return extensionID("/", "roleDefinitions", guid)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func raView(a rbac.Assignment) raJSON {
	return raJSON{
		Properties: raProps{
			RoleDefinitionID: roleDefinitionID(a.Scope, a.RoleDefinitionID),
			PrincipalID:      a.PrincipalID,
			PrincipalType:    a.PrincipalType,
			Scope:            a.Scope,
			CreatedOn:        armTime(a.CreatedOn),
			UpdatedOn:        armTime(a.UpdatedOn),
			CreatedBy:        nullable(a.CreatedBy),
			UpdatedBy:        nullable(a.CreatedBy),
			Description:      nullable(a.Description),
		},
		ID:   extensionID(a.Scope, "roleAssignments", a.ID),
		Type: "Microsoft.Authorization/roleAssignments",
		Name: a.ID,
	}
}

// sameScope compares scopes segment by segment, ignoring case.
func sameScope(a, b string) bool { return rbac.ScopeContains(a, b) && rbac.ScopeContains(b, a) }

// live reports whether an assignment still exists as ARM shows it: deleted
// ones whose removal is still propagating are gone from ARM already.
func live(a *rbac.Assignment) bool { return a.RemovedAt == nil }

func errBadAssignmentID(name string) *armError {
	return errorf(http.StatusBadRequest, "InvalidRoleAssignmentId",
		"The role assignment ID '"+name+"' is not valid. The role assignment ID must be a GUID.")
}

func (s *Service) getRoleAssignment(req *request) *armError {
	rt := req.rt
	if uuid.Validate(rt.name) != nil {
		return errBadAssignmentID(rt.name)
	}
	if e := req.c.authorize(req.r, actRARead, rt.scope, rt.path); e != nil {
		return e
	}
	a, ok := findAssignment(req.c.w, rt.scope, rt.name)
	if !ok {
		return errorf(http.StatusNotFound, "RoleAssignmentNotFound", "The role assignment '"+rt.name+"' is not found.")
	}
	writeJSON(req.rw, http.StatusOK, raView(a))
	return nil
}

func findAssignment(w *world.World, scope, name string) (found rbac.Assignment, ok bool) {
	w.View(func(st *world.State) {
		for _, a := range st.RoleAssignments {
			if live(&a) && strings.EqualFold(a.ID, name) && sameScope(a.Scope, scope) {
				found, ok = a, true
				return
			}
		}
	})
	return found, ok
}

type raCreate struct {
	Properties *struct {
		RoleDefinitionID string  `json:"roleDefinitionId"`
		PrincipalID      string  `json:"principalId"`
		PrincipalType    string  `json:"principalType"`
		Description      *string `json:"description"`
		Condition        *string `json:"condition"`
	} `json:"properties"`
}

// parseRoleDefinitionRef accepts ARM's form of a role definition reference:
// [/subscriptions/{s}]/providers/Microsoft.Authorization/roleDefinitions/{guid}.
func parseRoleDefinitionRef(ref string) (string, bool) {
	segs := segments(ref)
	n := len(segs)
	if n < 4 || !strings.EqualFold(segs[n-4], "providers") || !strings.EqualFold(segs[n-3], "Microsoft.Authorization") ||
		!strings.EqualFold(segs[n-2], "roleDefinitions") || uuid.Validate(segs[n-1]) != nil {
		return "", false
	}
	if n != 4 && (n != 6 || !strings.EqualFold(segs[0], "subscriptions")) {
		return "", false
	}
	return strings.ToLower(segs[n-1]), true
}

func (s *Service) putRoleAssignment(req *request) *armError {
	rt, c := req.rt, req.c
	if uuid.Validate(rt.name) != nil {
		return errBadAssignmentID(rt.name)
	}
	var body raCreate
	if e := decode(req.r, &body); e != nil {
		return e
	}
	if body.Properties == nil {
		return errorf(http.StatusBadRequest, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: 'Required property 'properties' not found in JSON.'.")
	}
	p := body.Properties
	guid, ok := parseRoleDefinitionRef(p.RoleDefinitionID)
	if !ok {
		return errorf(http.StatusBadRequest, "InvalidRoleDefinitionId", "The role definition ID '"+p.RoleDefinitionID+"' is not valid.")
	}
	if uuid.Validate(p.PrincipalID) != nil {
		return errorf(http.StatusBadRequest, "InvalidPrincipalId",
			"The principal ID '"+p.PrincipalID+"' is not valid. Principal ID must be a GUID.")
	}
	if e := c.authorize(req.r, actRAWrite, rt.scope, rt.path); e != nil {
		return e
	}
	if e := scopeExists(c.w, rt.scope); e != nil {
		return e
	}
	var custom []rbac.RoleDefinition
	c.w.View(func(st *world.State) { custom = st.CustomRoles })
	if _, ok := rbac.Role(guid, custom); !ok {
		return errorf(http.StatusBadRequest, "RoleDefinitionDoesNotExist", "The specified role definition with ID '"+guid+"' does not exist.")
	}
	principal, ok := principalExists(c.w, p.PrincipalID)
	if !ok {
		return errorf(http.StatusBadRequest, "PrincipalNotFound", "Principal "+strings.ReplaceAll(strings.ToLower(p.PrincipalID), "-", "")+
			" does not exist in the directory "+c.w.TenantID()+". Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype")
	}
	if p.PrincipalType != "" && !strings.EqualFold(p.PrincipalType, principal.Type()) {
		return errorf(http.StatusBadRequest, "UnmatchedPrincipalType", "The PrincipalId '"+strings.ReplaceAll(principal.ObjectID, "-", "")+
			"' has type '"+principal.Type()+"' , which is different from specified PrincipalType '"+p.PrincipalType+"'.")
	}
	want := rbac.Assignment{
		ID: strings.ToLower(rt.name), Scope: rt.scope, RoleDefinitionID: guid,
		PrincipalID: principal.ObjectID, PrincipalType: principal.Type(), CreatedBy: c.claims.OID,
	}
	if p.Description != nil {
		want.Description = *p.Description
	}
	var out rbac.Assignment
	status := http.StatusCreated
	if e := update(req, func(tx *world.Tx) error {
		for _, a := range tx.State.RoleAssignments {
			if !live(&a) {
				continue
			}
			same := strings.EqualFold(a.PrincipalID, want.PrincipalID) && strings.EqualFold(a.RoleDefinitionID, guid) && sameScope(a.Scope, want.Scope)
			if strings.EqualFold(a.ID, want.ID) {
				if !same {
					return errorf(http.StatusBadRequest, "RoleAssignmentUpdateNotPermitted",
						"Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
				}
				out, status = a, http.StatusOK // PUT is idempotent
				return nil
			}
			if same {
				return errorf(http.StatusConflict, "RoleAssignmentExists", "The role assignment already exists.")
			}
		}
		out = tx.AddRoleAssignment(want)
		return nil
	}); e != nil {
		return e
	}
	writeJSON(req.rw, status, raView(out))
	return nil
}

func (s *Service) deleteRoleAssignment(req *request) *armError {
	rt, c := req.rt, req.c
	if uuid.Validate(rt.name) != nil {
		return errBadAssignmentID(rt.name)
	}
	if e := c.authorize(req.r, actRADelete, rt.scope, rt.path); e != nil {
		return e
	}
	var out rbac.Assignment
	var found bool
	if e := update(req, func(tx *world.Tx) error {
		for _, a := range tx.State.RoleAssignments {
			if live(&a) && strings.EqualFold(a.ID, rt.name) && sameScope(a.Scope, rt.scope) {
				out, found = tx.RemoveRoleAssignment(a.ID)
				return nil
			}
		}
		return nil
	}); e != nil {
		return e
	}
	if !found {
		req.rw.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(req.rw, http.StatusOK, raView(out))
	return nil
}

// raFilter is a parsed role assignment $filter.
type raFilter struct {
	atScope    bool
	principal  string // principalId eq '…'
	assignedTo string // assignedTo('…'): the principal and its groups
}

func parseRAFilter(f string) (raFilter, bool) {
	var out raFilter
	f = strings.TrimSpace(f)
	if f == "" {
		return out, true
	}
	for _, term := range splitAnd(f) {
		switch {
		case strings.EqualFold(term, "atScope()"):
			out.atScope = true
		case hasPrefixFold(term, "principalId eq "):
			v, ok := quoted(term[len("principalId eq "):])
			if !ok {
				return out, false
			}
			out.principal = v
		case hasPrefixFold(term, "assignedTo(") && strings.HasSuffix(term, ")"):
			v, ok := quoted(term[len("assignedTo(") : len(term)-1])
			if !ok {
				return out, false
			}
			out.assignedTo = v
		default:
			return out, false
		}
	}
	return out, true
}

// splitAnd splits an OData filter on " and " (any case).
func splitAnd(f string) []string {
	var out []string
	for {
		i := strings.Index(strings.ToLower(f), " and ")
		if i < 0 {
			return append(out, strings.TrimSpace(f))
		}
		out = append(out, strings.TrimSpace(f[:i]))
		f = f[i+len(" and "):]
	}
}

func quoted(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	return s[1 : len(s)-1], true
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

func errBadFilter(f string) *armError {
	return errorf(http.StatusBadRequest, "UnsupportedQuery", "The filter '"+f+"' is not supported.")
}

func (s *Service) listRoleAssignments(req *request) *armError {
	rt, c := req.rt, req.c
	f, ok := parseRAFilter(req.q.Get("$filter"))
	if !ok {
		return errBadFilter(req.q.Get("$filter"))
	}
	if e := c.authorize(req.r, actRARead, rt.scope, rt.scope); e != nil {
		return e
	}
	out := []raJSON{}
	c.w.View(func(st *world.State) {
		ids := map[string]bool{}
		if f.principal != "" {
			ids[strings.ToLower(f.principal)] = true
		}
		if f.assignedTo != "" {
			ids[strings.ToLower(f.assignedTo)] = true
			for gid, g := range st.Principals {
				if g.Kind != world.KindGroup {
					continue
				}
				for _, m := range g.Members {
					if strings.EqualFold(m, f.assignedTo) {
						ids[strings.ToLower(gid)] = true
					}
				}
			}
		}
		for _, a := range st.RoleAssignments {
			if !live(&a) || (len(ids) > 0 && !ids[strings.ToLower(a.PrincipalID)]) {
				continue
			}
			above := rbac.ScopeContains(a.Scope, rt.scope)
			below := rbac.ScopeContains(rt.scope, a.Scope)
			if above || (!f.atScope && below) {
				out = append(out, raView(a))
			}
		}
	})
	writeJSON(req.rw, http.StatusOK, map[string]any{"value": out})
	return nil
}

// scopeExists checks that a scope names things that exist: its resource
// group and its top-level resource. Child resources (a secret, a queue) are
// not checked, as ARM does not look inside data planes.
func scopeExists(w *world.World, scope string) *armError {
	sc, err := rbac.ParseScope(scope)
	if err != nil {
		return errorf(http.StatusBadRequest, "InvalidScope", "The scope '"+scope+"' is not valid.")
	}
	var aerr *armError
	w.View(func(st *world.State) {
		if sc.ResourceGroup == "" {
			return
		}
		rg, ok := st.ResourceGroups[strings.ToLower(sc.ResourceGroup)]
		if !ok {
			aerr = errRGNotFound(sc.ResourceGroup)
			return
		}
		if len(sc.Resources) == 0 {
			return
		}
		r := sc.Resources[0]
		if !resourceExists(st, rg.Name, r) {
			aerr = errResourceNotFound(r.Namespace+"/"+r.Type, r.Name, sc.ResourceGroup)
		}
	})
	return aerr
}

func resourceExists(st *world.State, rg string, r rbac.Resource) bool {
	inRG := func(x string) bool { return strings.EqualFold(x, rg) }
	t := strings.ToLower(r.Namespace + "/" + r.Type)
	switch t {
	case "microsoft.keyvault/vaults":
		v := st.Vault(r.Name)
		return v != nil && inRG(v.ResourceGroup)
	case "microsoft.storage/storageaccounts":
		a := st.StorageAccount(r.Name)
		return a != nil && inRG(a.ResourceGroup)
	case "microsoft.web/sites":
		s := st.Site(r.Name)
		return s != nil && inRG(s.ResourceGroup)
	case "microsoft.managedidentity/userassignedidentities":
		id := st.UserAssignedIdentityID(rg, r.Name)
		for _, p := range st.Principals {
			if p.Kind == world.KindUserAssigned && strings.EqualFold(p.ResourceID, id) {
				return true
			}
		}
	}
	return false
}
