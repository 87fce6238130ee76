package keyvault

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// authorize decides whether the caller may run o on the vault, under the
// vault's permission model. Key Vault decides before it looks for the
// secret, so a caller without permission gets 403 even for a missing one.
func authorize(w *world.World, v vaultInfo, c *entra.Claims, o op) (*rbac.Decision, *apiError) {
	sp := o.kind.spec()
	if v.RBAC {
		scope := v.ID
		if sp.perSecret {
			scope = v.ID + "/secrets/" + o.name
		}
		// Read only (shared with the world's cache and the trace).
		d := w.Authorize(c.OID, sp.dataAction, true, scope)
		if d.Allowed {
			return d, nil
		}
		return d, &apiError{status: http.StatusForbidden, code: "Forbidden", inner: "ForbiddenByRbac",
			message: rbacMessage(c, sp.dataAction, scope, d, v)}
	}
	d := accessPolicyDecision(w, v, c, sp.permission)
	if d.Allowed {
		return &d, nil
	}
	// Newer vaults answer ForbiddenByPolicy (older ones AccessDenied); we
	// speak the newest api-version.
	return &d, &apiError{status: http.StatusForbidden, code: "Forbidden", inner: "ForbiddenByPolicy",
		message: "The user, group or application '" + c.Caller() + "' does not have secrets " + sp.permission +
			" permission on key vault '" + v.Name + ";location=" + v.Location +
			"'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"}
}

// rbacMessage is Key Vault's multi-line ForbiddenByRbac message. The
// resource is written in lower case, as Key Vault does.
func rbacMessage(c *entra.Claims, action, scope string, d *rbac.Decision, v vaultInfo) string {
	assignment := "(not found)"
	if d.Matched != nil && d.Matched.AssignmentID != "" {
		assignment = d.Matched.AssignmentID
	}
	var b strings.Builder
	b.WriteString("Caller is not authorized to perform action on resource.\r\n")
	b.WriteString("If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n")
	b.WriteString("Caller: " + c.Caller() + "\r\n")
	b.WriteString("Action: '" + action + "'\r\n")
	b.WriteString("Resource: '" + strings.ToLower(scope) + "'\r\n")
	b.WriteString("Assignment: " + assignment + "\r\n")
	b.WriteString("DenyAssignmentId: null\r\n")
	b.WriteString("DecisionReason: 'DeniedWithNoValidRBAC' \r\n")
	b.WriteString("Vault: " + v.Name + ";location=" + v.Location + "\r\n")
	return b.String()
}

// accessPolicyDecision evaluates the vault's access policies for the caller
// and explains each one in the shape RBAC decisions use.
func accessPolicyDecision(w *world.World, v vaultInfo, c *entra.Claims, perm string) rbac.Decision {
	var principal rbac.Principal
	groups := map[string]bool{}
	w.View(func(s *world.State) {
		principal = rbac.Principal{ObjectID: c.OID, Type: "Unknown", Deleted: true}
		if p, ok := s.Principals[c.OID]; ok {
			principal = rbac.Principal{ObjectID: p.ObjectID, Type: p.Type(), DisplayName: p.DisplayName, AppID: p.AppID}
		}
		for id, g := range s.Principals {
			if g.Kind != world.KindGroup {
				continue
			}
			for _, m := range g.Members {
				if strings.EqualFold(m, c.OID) {
					groups[strings.ToLower(id)] = true
					principal.Groups = append(principal.Groups, id)
				}
			}
		}
	})
	d := rbac.Decision{
		Model:      "accessPolicy",
		Principal:  principal,
		Action:     "secrets/" + perm,
		DataAction: true,
		Scope:      v.ID,
	}
	for i, p := range v.Policies {
		cons := rbac.Considered{
			AssignmentID: "accessPolicies[" + strconv.Itoa(i) + "]",
			RoleName:     "access policy: secrets " + strings.Join(p.Permissions.Secrets, ", "),
			Scope:        v.ID,
			PrincipalID:  p.ObjectID,
		}
		switch {
		case !strings.EqualFold(p.TenantID, v.TenantID) && p.TenantID != "":
			cons.Reason = "other-tenant"
			cons.Explanation = "This policy names tenant " + p.TenantID + ", not the vault's tenant, so it grants nothing."
		case c.OID == "" || (!strings.EqualFold(p.ObjectID, c.OID) && !groups[strings.ToLower(p.ObjectID)]):
			cons.Reason = "other-principal"
			cons.Explanation = "This policy is for object " + p.ObjectID + ", not the caller (" + c.OID + ") or a group it belongs to."
		case !hasPermission(p.Permissions.Secrets, perm):
			cons.Reason = "role-lacks-action"
			cons.Explanation = "This policy is for the caller but its secret permissions (" + list(p.Permissions.Secrets) + ") do not include " + perm + "."
		default:
			cons.Matched = true
			cons.Reason = "granted"
			cons.Explanation = "This policy gives the caller the secrets " + perm + " permission."
		}
		d.Considered = append(d.Considered, cons)
		if cons.Matched && !d.Allowed {
			d.Allowed = true
			m := cons
			d.Matched = &m
		}
	}
	if d.Allowed {
		d.Summary = "Allowed: the vault uses access policies, and " + d.Matched.AssignmentID + " grants the caller secrets " + perm + "."
		return d
	}
	d.Suggestion = &rbac.Suggestion{
		RoleName:    "access policy: secrets " + perm,
		Scope:       v.ID,
		PrincipalID: c.OID,
		CLI:         "az keyvault set-policy --name " + v.Name + " --object-id " + c.OID + " --secret-permissions " + perm,
	}
	d.Summary = "Denied: the vault uses access policies (not Azure RBAC, so role assignments do not count here) and none grants the caller secrets " + perm + "."
	return d
}

func hasPermission(perms []string, want string) bool {
	for _, p := range perms {
		if strings.EqualFold(p, want) || strings.EqualFold(p, "all") {
			return true
		}
	}
	return false
}

func list(perms []string) string {
	if len(perms) == 0 {
		return "none"
	}
	return strings.Join(perms, ", ")
}
