package lessons

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// The vault and site actions change resources through ARM as the owner,
// with the requests (and api-versions) the az commands of the actions send,
// so each change is in the step's exchanges.

// vaultOf returns the scenario vault.
func vaultOf(st *world.State) (*world.Vault, error) {
	v := st.Vault(scenario.ResourcesOf(st).Vault)
	if v == nil {
		return nil, fmt.Errorf("the vault: %w", errNoSandboxObject)
	}
	return v, nil
}

// vaultID returns the scenario vault's ARM ID.
func (x *execution) vaultID() (id string, err error) {
	if x.f.Real() {
		return x.f.Scope(scenario.ScopeVault)
	}
	x.r.w.View(func(st *world.State) {
		var v *world.Vault
		if v, err = vaultOf(st); err == nil {
			id = st.VaultID(v)
		}
	})
	return
}

// runSetVaultModel is az keyvault update --enable-rbac-authorization: a
// PATCH of the vault's permission model.
func runSetVaultModel(x *execution) (string, error) {
	model := x.params["model"]
	if model != "rbac" && model != "accessPolicy" {
		return "", fmt.Errorf("unknown permission model %q (rbac or accessPolicy)", model)
	}
	id, err := x.vaultID()
	if err != nil {
		return "", err
	}
	body := map[string]any{"properties": map[string]any{"enableRbacAuthorization": model == "rbac"}}
	if err := x.armCall(http.MethodPatch, id, apiKeyVault, body, nil); err != nil {
		return "", err
	}
	return "the vault now authorizes with " + map[string]string{"rbac": "Azure RBAC", "accessPolicy": "vault access policies"}[model], nil
}

// secretPermissions are the secret permissions an access policy can grant
// (az keyvault set-policy --secret-permissions refuses anything else).
var secretPermissions = []string{"all", "backup", "delete", "get", "list", "purge", "recover", "restore", "set"}

// policyPermissions parses a comma-separated list of secret permissions.
func policyPermissions(raw string) ([]string, error) {
	var perms []string
	for _, p := range strings.Split(raw, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if !slices.Contains(secretPermissions, p) {
			return nil, fmt.Errorf("secrets: %q is not a secret permission (use %s)", p, strings.Join(secretPermissions, ", "))
		}
		if !slices.Contains(perms, p) {
			perms = append(perms, p)
		}
	}
	if len(perms) == 0 {
		return nil, fmt.Errorf("secrets: name at least one secret permission (%s)", strings.Join(secretPermissions, ", "))
	}
	return perms, nil
}

// policyTarget returns the vault's ARM ID, the labelled principal's object
// ID, the tenant, and the principal's current access policy (nil if none).
func (x *execution) policyTarget() (vaultID, oid, tenant string, current *world.AccessPolicy, err error) {
	if x.f.Real() {
		return x.realPolicyTarget()
	}
	x.r.w.View(func(st *world.State) {
		var v *world.Vault
		if v, err = vaultOf(st); err != nil {
			return
		}
		var p *world.Principal
		if p, err = principalByLabel(st, x.params["principal"]); err != nil {
			return
		}
		vaultID, oid, tenant = st.VaultID(v), p.ObjectID, st.TenantID
		for _, ap := range v.AccessPolicies {
			if strings.EqualFold(ap.ObjectID, oid) {
				ap.Permissions.Keys = slices.Clone(ap.Permissions.Keys)
				ap.Permissions.Secrets = slices.Clone(ap.Permissions.Secrets)
				ap.Permissions.Certificates = slices.Clone(ap.Permissions.Certificates)
				current = &ap
				return
			}
		}
	})
	return
}

// nonNilPerms makes empty permission lists [] on the wire, as az sends them.
func nonNilPerms(p world.PolicyPermissions) world.PolicyPermissions {
	for _, l := range []*[]string{&p.Keys, &p.Secrets, &p.Certificates} {
		if *l == nil {
			*l = []string{}
		}
	}
	return p
}

// runAddAccessPolicy grants secret permissions with PUT
// …/accessPolicies/add: ARM adds them to what the principal already has,
// the way repeated set-policy steps build up a grant.
func runAddAccessPolicy(x *execution) (string, error) {
	perms, err := policyPermissions(x.params["secrets"])
	if err != nil {
		return "", err
	}
	vaultID, oid, tenant, _, err := x.policyTarget()
	if err != nil {
		return "", err
	}
	policy := world.AccessPolicy{TenantID: tenant, ObjectID: oid, Permissions: nonNilPerms(world.PolicyPermissions{Secrets: perms})}
	body := map[string]any{"properties": map[string]any{"accessPolicies": []world.AccessPolicy{policy}}}
	if err := x.armCall(http.MethodPut, vaultID+"/accessPolicies/add", apiKeyVault, body, nil); err != nil {
		return "", err
	}
	return "access policy: " + x.params["principal"] + " may " + strings.Join(perms, ", ") + " secrets", nil
}

// runRemoveAccessPolicy is az keyvault delete-policy: PUT
// …/accessPolicies/remove with every permission the principal holds, which
// drops its entry. Without an entry there is nothing to send.
func runRemoveAccessPolicy(x *execution) (string, error) {
	vaultID, _, _, current, err := x.policyTarget()
	if err != nil {
		return "", err
	}
	if current != nil {
		current.Permissions = nonNilPerms(current.Permissions)
		body := map[string]any{"properties": map[string]any{"accessPolicies": []world.AccessPolicy{*current}}}
		if err := x.armCall(http.MethodPut, vaultID+"/accessPolicies/remove", apiKeyVault, body, nil); err != nil {
			return "", err
		}
	}
	return "removed the access policy of " + x.params["principal"], nil
}

// mainSite returns the scenario's main app site.
func mainSite(st *world.State) (*world.Site, error) {
	site := st.Site(scenario.ResourcesOf(st).MainSite)
	if site == nil {
		return nil, fmt.Errorf("the main site: %w", errNoSandboxObject)
	}
	return site, nil
}

// runSetSiteIdentity is az webapp identity assign/remove: a PATCH of the
// site's identity type. User-assigned identities the site has stay.
func runSetSiteIdentity(x *execution) (string, error) {
	on := x.params["state"] == "on"
	if !on && x.params["state"] != "off" {
		return "", fmt.Errorf("state must be on or off")
	}
	var siteID string
	var userAssigned bool
	var err error
	x.r.w.View(func(st *world.State) {
		var site *world.Site
		if site, err = mainSite(st); err == nil {
			siteID, userAssigned = st.SiteID(site), len(site.UserIdentities) > 0
		}
	})
	if err != nil {
		return "", err
	}
	typ := "None"
	switch {
	case on && userAssigned:
		typ = "SystemAssigned, UserAssigned"
	case on:
		typ = "SystemAssigned"
	case userAssigned:
		typ = "UserAssigned"
	}
	var out struct {
		Identity *struct {
			PrincipalID string `json:"principalId"`
		} `json:"identity"`
	}
	if err := x.armCall(http.MethodPatch, siteID, apiWeb, map[string]any{"identity": map[string]string{"type": typ}}, &out); err != nil {
		return "", err
	}
	if !on {
		return "system-assigned identity off: its service principal is deleted", nil
	}
	if out.Identity == nil || out.Identity.PrincipalID == "" {
		return "", fmt.Errorf("lessons: setSiteIdentity: ARM's answer has no principalId")
	}
	oid := out.Identity.PrincipalID
	// The label is the sandbox's name for the identity, not an Azure
	// property: the runner keeps it pointing at the new service principal.
	err = x.r.w.Update(x.ctx, func(tx *world.Tx) error {
		tx.State.Labels[scenario.LabelMainApp] = oid
		return nil
	})
	if err != nil {
		return "", err
	}
	return "system-assigned identity on: service principal " + oid + " (nobody holds a secret for it)", nil
}

// realPolicyTarget is policyTarget in real Azure: the principal from the
// facts, the current access policies read from ARM (GET of the vault, as
// az keyvault delete-policy reads them first).
func (x *execution) realPolicyTarget() (vaultID, oid, tenant string, current *world.AccessPolicy, err error) {
	p, err := x.f.Principal(x.params["principal"])
	if err != nil {
		return "", "", "", nil, err
	}
	if vaultID, err = x.f.Scope(scenario.ScopeVault); err != nil {
		return "", "", "", nil, err
	}
	var v wireVault
	if err := x.armCall(http.MethodGet, vaultID, apiKeyVault, nil, &v); err != nil {
		return "", "", "", nil, err
	}
	for _, ap := range v.Properties.AccessPolicies {
		if strings.EqualFold(ap.ObjectID, p.ObjectID) {
			current = &ap
			break
		}
	}
	return vaultID, p.ObjectID, x.f.Tenant(), current, nil
}
