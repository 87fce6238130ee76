package web

import (
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// panelRoles are the roles the panel's picker offers (the lessons' and the
// walkthrough's).
var panelRoles = []string{"Key Vault Secrets User", "Key Vault Secrets Officer", "Key Vault Reader",
	"Storage Queue Data Message Sender", "Storage Queue Data Contributor", "Reader", "Contributor", "Owner"}

// panelView is the sandbox panel's view of the world.
func (p *player) panelView(c echo.Context, t *target) ui.PanelView {
	base := lessonURL(t.sb.ID, t.lesson.ID)
	msg, errText := t.run.takePanelResult()
	v := ui.PanelView{ActionURL: base + "/panel/", ResetURL: base + "/reset", CSRFToken: csrfToken(c),
		Roles: panelRoles, ScopeKinds: scenario.ScopeKinds(), Message: msg, Error: errText, Real: p.realPanel(t)}
	now := t.w.Now()
	t.w.View(func(st *world.State) {
		v.SandboxTime = now.UTC().Format(time.RFC1123)
		v.ClockOffset = st.ClockOffset.String()
		v.PropagationDelay = st.PropagationDelay.String()
		labelOf := labelsByID(st)
		v.Labels = sortedLabels(st)
		for _, pr := range st.Principals {
			row := ui.PrincipalRow{Label: labelOf[pr.ObjectID], Name: pr.DisplayName, Kind: pr.Kind, ObjectID: pr.ObjectID,
				AppID: pr.AppID, CanHaveSecrets: pr.Kind == world.KindApplication, Deletable: pr.Kind == world.KindApplication}
			if pr.Kind == world.KindSystemAssigned || pr.Kind == world.KindUserAssigned {
				row.ManagedIdentityFor = pr.ResourceID
			}
			for _, s := range pr.Secrets {
				row.Secrets = append(row.Secrets, ui.SecretRow{KeyID: s.KeyID, Hint: s.Hint,
					Expires: s.EndDate.UTC().Format("2006-01-02 15:04 UTC"), Expired: now.After(s.EndDate)})
			}
			v.Principals = append(v.Principals, row)
		}
		sort.Slice(v.Principals, func(i, j int) bool {
			a, b := v.Principals[i], v.Principals[j]
			if (a.Label == "") != (b.Label == "") {
				return a.Label != ""
			}
			return a.Label+a.Name < b.Label+b.Name
		})
		names := scenario.ResourcesOf(st)
		if site := st.Site(names.MainSite); site != nil {
			v.Site = ui.SiteRow{Name: site.Name, IdentityOn: site.SystemIdentity != "", ObjectID: site.SystemIdentity}
		}
		for _, a := range st.RoleAssignments {
			role, _ := rbac.Role(rbac.RoleGUID(a.RoleDefinitionID), st.CustomRoles)
			row := ui.AssignmentRow{ID: a.ID, PrincipalLabel: labelOf[a.PrincipalID], Role: role.RoleName, Scope: a.Scope,
				ScopeKind: scenario.ScopeKind(st, a.Scope)}
			if row.Role == "" {
				row.Role = a.RoleDefinitionID
			}
			row.Principal = principalName(st, a.PrincipalID, row.PrincipalLabel)
			switch {
			case a.RemovedAt != nil:
				row.Note = "removed; stops counting at " + a.RemovedAt.UTC().Format("15:04:05")
				row.ScopeKind = ""
			case a.EffectiveAt.After(now):
				row.Note = "counts from " + a.EffectiveAt.UTC().Format("15:04:05") + " (propagating)"
			}
			v.Assignments = append(v.Assignments, row)
		}
		if vault := st.Vault(names.Vault); vault != nil {
			v.Vault = ui.VaultRow{Name: vault.Name, RBAC: vault.EnableRbacAuthorization}
			for _, ap := range vault.AccessPolicies {
				v.Vault.Policies = append(v.Vault.Policies, ui.PolicyRow{Principal: principalName(st, ap.ObjectID, labelOf[ap.ObjectID]),
					PrincipalLabel: labelOf[ap.ObjectID], Secrets: strings.Join(ap.Permissions.Secrets, ", ")})
			}
		}
	})
	return v
}

// labelsByID maps object IDs to their labels.
func labelsByID(st *world.State) map[string]string {
	out := make(map[string]string, len(st.Labels))
	for k, v := range st.Labels {
		if old, ok := out[v]; !ok || k < old {
			out[v] = k
		}
	}
	return out
}

// principalName is "label (display name)" or the object ID of a deleted
// principal.
func principalName(st *world.State, oid, label string) string {
	p := st.Principals[oid]
	switch {
	case p == nil:
		return "Identity not found (" + oid + ")"
	case label != "":
		return label + " (" + p.DisplayName + ")"
	}
	return p.DisplayName
}
