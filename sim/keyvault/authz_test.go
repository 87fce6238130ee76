package keyvault

import (
	"context"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestRBACModel(t *testing.T) {
	tests := []struct {
		name   string
		caller string
		setup  func(e *env)
		allow  bool
	}{
		{name: "no role", caller: scenario.LabelLocalDev, setup: func(*env) {}},
		{name: "secrets user at vault", caller: scenario.LabelLocalDev, allow: true,
			setup: func(e *env) { e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, e.vaultScope()) }},
		{name: "secrets user at resource group (inherited)", caller: scenario.LabelLocalDev, allow: true,
			setup: func(e *env) { e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, e.rgScope()) }},
		{name: "secrets user on another secret", caller: scenario.LabelLocalDev,
			setup: func(e *env) {
				e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, e.vaultScope()+"/secrets/other")
			}},
		// Owner is a control-plane role: it has no data actions.
		{name: "owner on subscription", caller: scenario.LabelOwner, setup: func(*env) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.setup(e)
			c := e.secrets(e.credential(tt.caller))
			resp, err := c.GetSecret(context.Background(), scenario.SecretName, "", nil)
			n := e.lastNotes()
			if n.Authz == nil || n.Authz.Model != "rbac" || n.Authz.Allowed != tt.allow ||
				n.Authz.Action != "Microsoft.KeyVault/vaults/secrets/getSecret/action" || !n.Authz.DataAction {
				t.Fatalf("authz note = %+v", n.Authz)
			}
			if !strings.EqualFold(n.Authz.Scope, e.vaultScope()+"/secrets/"+scenario.SecretName) {
				t.Errorf("authz scope = %q", n.Authz.Scope)
			}
			if tt.allow {
				if err != nil || *resp.Value != apiKey(e) {
					t.Fatalf("get = %v", err)
				}
				if n.Authz.Matched == nil {
					t.Errorf("allowed without a matched assignment: %+v", n.Authz)
				}
				return
			}
			re := mustResponseError(t, err, 403)
			if re.ErrorCode != "Forbidden" {
				t.Errorf("error code = %q", re.ErrorCode)
			}
			msg := err.Error()
			var st world.State
			e.w.View(func(s *world.State) { st = *s })
			for _, want := range []string{
				`"code": "ForbiddenByRbac"`,
				`Caller is not authorized to perform action on resource.\r\n`,
				`Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'`,
				`Caller: appid=` + e.principal(tt.caller).AppID + `;oid=` + e.label(tt.caller) + `;iss=https://sts.windows.net/` + st.TenantID + `/\r\n`,
				`Resource: '` + strings.ToLower(e.vaultScope()+"/secrets/"+scenario.SecretName) + `'`,
				`Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: ` + e.names.Vault + `;location=eastus\r\n`,
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("403 message lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

// Key Vault authorizes before it looks the secret up: a caller without
// permission learns nothing about which secrets exist.
func TestAuthorizationBeforeExistence(t *testing.T) {
	e := newEnv(t)
	tok := e.token(scenario.LabelLocalDev, "https://vault.azure.net")
	r := e.do("GET", "/secrets/does-not-exist?api-version=7.5", tok, "")
	if code, _, inner := r.errorCode(); r.status != 403 || code != "Forbidden" || inner != "ForbiddenByRbac" {
		t.Fatalf("missing secret without permission: %d %s", r.status, r.body)
	}
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, e.vaultScope())
	r = e.do("GET", "/secrets/does-not-exist?api-version=7.5", tok, "")
	if code, _, _ := r.errorCode(); r.status != 404 || code != "SecretNotFound" {
		t.Fatalf("missing secret with permission: %d %s", r.status, r.body)
	}
}

func TestAccessPolicyModel(t *testing.T) {
	e := newEnv(t)
	// A role assignment does not count once the vault uses access policies.
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsOfficer, e.vaultScope())
	var tenant string
	e.w.View(func(s *world.State) { tenant = s.TenantID })
	dev := e.label(scenario.LabelLocalDev)
	other := world.AccessPolicy{TenantID: tenant, ObjectID: e.label(scenario.LabelOwner),
		Permissions: world.PolicyPermissions{Secrets: []string{"all"}}}
	e.useAccessPolicies(other)

	c := e.secrets(e.credential(scenario.LabelLocalDev))
	ctx := context.Background()
	_, err := c.GetSecret(ctx, scenario.SecretName, "", nil)
	re := mustResponseError(t, err, 403)
	want := "The user, group or application '" + "appid=" + e.principal(scenario.LabelLocalDev).AppID + ";oid=" + dev +
		";iss=https://sts.windows.net/" + tenant + "/' does not have secrets get permission on key vault '" + e.names.Vault +
		";location=eastus'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"
	if re.ErrorCode != "Forbidden" || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"code": "ForbiddenByPolicy"`) {
		t.Errorf("403 = %v\nwant message %q", err, want)
	}
	n := e.lastNotes()
	d := n.Authz
	if d == nil || d.Model != "accessPolicy" || d.Allowed || len(d.Considered) != 1 || d.Considered[0].Reason != "other-principal" {
		t.Fatalf("decision = %+v", d)
	}
	if d.Suggestion == nil || d.Suggestion.CLI != "az keyvault set-policy --name "+e.names.Vault+" --object-id "+dev+" --secret-permissions get" ||
		d.Suggestion.RoleName != "access policy: secrets get" {
		t.Errorf("suggestion = %+v", d.Suggestion)
	}

	// get only: reading works, listing needs "list".
	e.useAccessPolicies(other, world.AccessPolicy{TenantID: tenant, ObjectID: dev,
		Permissions: world.PolicyPermissions{Secrets: []string{"get"}}})
	if _, err := c.GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
		t.Fatalf("get with policy: %v", err)
	}
	if d := e.lastNotes().Authz; !d.Allowed || d.Matched == nil || d.Matched.AssignmentID != "accessPolicies[1]" {
		t.Errorf("allowed decision = %+v", d)
	}
	_, err = c.NewListSecretPropertiesPager(nil).NextPage(ctx)
	if mustResponseError(t, err, 403); !strings.Contains(err.Error(), "does not have secrets list permission") {
		t.Errorf("list with get only: %v", err)
	}
	if d := e.lastNotes().Authz; d.Considered[1].Reason != "role-lacks-action" || !strings.HasSuffix(d.Suggestion.CLI, "--secret-permissions list") {
		t.Errorf("list decision = %+v", d)
	}
	_, err = c.SetSecret(ctx, "x", azsecrets.SetSecretParameters{Value: to.Ptr("y")}, nil)
	if mustResponseError(t, err, 403); !strings.Contains(err.Error(), "does not have secrets set permission") {
		t.Errorf("set with get only: %v", err)
	}

	e.useAccessPolicies(world.AccessPolicy{TenantID: tenant, ObjectID: dev,
		Permissions: world.PolicyPermissions{Secrets: []string{"Get", "List"}}})
	if _, err := c.NewListSecretPropertiesPager(nil).NextPage(ctx); err != nil {
		t.Fatalf("list with list: %v", err)
	}
}

// A policy for a group applies to its members.
func TestAccessPolicyForGroup(t *testing.T) {
	e := newEnv(t)
	var gid, tenant string
	dev := e.label(scenario.LabelLocalDev)
	_ = e.w.Update(context.Background(), func(tx *world.Tx) error {
		g := &world.Principal{ObjectID: world.NewGUID(), Kind: world.KindGroup, DisplayName: "devs", Members: []string{dev}}
		tx.State.Principals[g.ObjectID] = g
		gid, tenant = g.ObjectID, tx.State.TenantID
		return nil
	})
	e.useAccessPolicies(world.AccessPolicy{TenantID: tenant, ObjectID: gid, Permissions: world.PolicyPermissions{Secrets: []string{"get"}}})
	r := e.do("GET", "/secrets/"+scenario.SecretName+"?api-version=7.6", e.token(scenario.LabelLocalDev, "https://vault.azure.net"), "")
	if r.status != 200 {
		t.Fatalf("member of a granted group: %d %s", r.status, r.body)
	}
}
