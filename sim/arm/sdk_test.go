package arm

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

const secretsUserRef = "/providers/Microsoft.Authorization/roleDefinitions/" + rbac.RoleKeyVaultSecretsUser

// The owner grants localDev Key Vault Secrets User at the vault with the real
// armauthorization SDK; localDev cannot grant itself anything.
func TestSDKRoleAssignments(t *testing.T) {
	ctx := context.Background()
	c := newCloud(t)
	w := c.world(t, "sbx-arm-sdk")
	sub := w.SubscriptionID()
	vault := vaultID(w)
	devOID := label(w, scenario.LabelLocalDev)
	dev := principal(w, scenario.LabelLocalDev)
	roleRef := "/subscriptions/" + sub + secretsUserRef

	owner, err := armauthorization.NewRoleAssignmentsClient(sub, c.cred(t, w, scenario.LabelOwner), c.armOptions())
	if err != nil {
		t.Fatal(err)
	}
	local, err := armauthorization.NewRoleAssignmentsClient(sub, c.cred(t, w, scenario.LabelLocalDev), c.armOptions())
	if err != nil {
		t.Fatal(err)
	}
	params := func(principalID string) armauthorization.RoleAssignmentCreateParameters {
		return armauthorization.RoleAssignmentCreateParameters{Properties: &armauthorization.RoleAssignmentProperties{
			RoleDefinitionID: to.Ptr(roleRef), PrincipalID: to.Ptr(principalID),
			PrincipalType: to.Ptr(armauthorization.PrincipalTypeServicePrincipal),
		}}
	}

	name := uuid.NewString()
	t.Run("owner creates", func(t *testing.T) {
		resp, err := owner.Create(ctx, vault, name, params(devOID), nil)
		if err != nil {
			t.Fatal(err)
		}
		p := resp.Properties
		if *resp.ID != vault+"/providers/Microsoft.Authorization/roleAssignments/"+name || *resp.Name != name ||
			*resp.Type != "Microsoft.Authorization/roleAssignments" {
			t.Errorf("id/name/type = %s %s %s", *resp.ID, *resp.Name, *resp.Type)
		}
		if *p.RoleDefinitionID != roleRef || *p.PrincipalID != devOID || *p.Scope != vault ||
			*p.PrincipalType != armauthorization.PrincipalTypeServicePrincipal || p.CreatedOn == nil ||
			*p.CreatedBy != label(w, scenario.LabelOwner) || p.Condition != nil {
			t.Errorf("properties = %+v", p)
		}
		d := w.Authorize(devOID, "Microsoft.KeyVault/vaults/secrets/getSecret/action", true, vault+"/secrets/"+scenario.SecretName)
		if !d.Allowed || d.Matched.AssignmentID != name {
			t.Errorf("RBAC after create: %s", d.Summary)
		}
	})

	t.Run("listed at the vault", func(t *testing.T) {
		for _, filter := range []string{"atScope()", "principalId eq '" + devOID + "'", "atScope() and assignedTo('" + devOID + "')"} {
			pager := owner.NewListForScopePager(vault, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: to.Ptr(filter)})
			var found, owners int
			for pager.More() {
				page, err := pager.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range page.Value {
					if *a.Name == name {
						found++
					}
					if strings.HasSuffix(*a.Properties.RoleDefinitionID, rbac.RoleOwner) {
						owners++
					}
				}
			}
			wantOwners := 2 // owner and developer at the subscription are above the vault
			if strings.Contains(filter, "principalId") || strings.Contains(filter, "assignedTo") {
				wantOwners = 0
			}
			if found != 1 || owners != wantOwners {
				t.Errorf("filter %q: found %d, owners %d (want 1, %d)", filter, found, owners, wantOwners)
			}
		}
		// atScope() at the subscription does not show what is below it.
		pager := owner.NewListForScopePager("/subscriptions/"+sub, &armauthorization.RoleAssignmentsClientListForScopeOptions{Filter: to.Ptr("atScope()")})
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Value {
			if *a.Name == name {
				t.Error("atScope() at the subscription listed the vault's assignment")
			}
		}
	})

	t.Run("localDev is forbidden", func(t *testing.T) {
		n := uuid.NewString()
		_, err := local.Create(ctx, vault, n, params(devOID), nil)
		status, code, msg := sdkError(t, err)
		want := "The client '" + dev.AppID + "' with object id '" + devOID +
			"' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '" +
			vault + "/providers/Microsoft.Authorization/roleAssignments/" + n +
			"' or the scope is invalid. If access was recently granted, please refresh your credentials."
		if status != http.StatusForbidden || code != "AuthorizationFailed" || msg != want {
			t.Errorf("got %d %s %q\nwant %q", status, code, msg, want)
		}
	})

	t.Run("duplicate", func(t *testing.T) {
		_, err := owner.Create(ctx, vault, uuid.NewString(), params(devOID), nil)
		status, code, msg := sdkError(t, err)
		if status != http.StatusConflict || code != "RoleAssignmentExists" || msg != "The role assignment already exists." {
			t.Errorf("got %d %s %q", status, code, msg)
		}
	})

	t.Run("unknown principal", func(t *testing.T) {
		ghost := uuid.NewString()
		_, err := owner.Create(ctx, vault, uuid.NewString(), params(ghost), nil)
		status, code, msg := sdkError(t, err)
		want := "Principal " + strings.ReplaceAll(ghost, "-", "") + " does not exist in the directory " + w.TenantID() +
			". Check that you have the correct principal ID."
		if status != http.StatusBadRequest || code != "PrincipalNotFound" || !strings.HasPrefix(msg, want) {
			t.Errorf("got %d %s %q", status, code, msg)
		}
	})

	t.Run("role definitions by name", func(t *testing.T) {
		defs, err := armauthorization.NewRoleDefinitionsClient(c.cred(t, w, scenario.LabelLocalDev), c.armOptions())
		if err != nil {
			t.Fatal(err)
		}
		pager := defs.NewListPager("/subscriptions/"+sub, &armauthorization.RoleDefinitionsClientListOptions{Filter: to.Ptr("roleName eq 'Key Vault Secrets User'")})
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Value) != 1 {
			t.Fatalf("%d roles", len(page.Value))
		}
		rd := page.Value[0]
		if *rd.ID != roleRef || *rd.Name != rbac.RoleKeyVaultSecretsUser || *rd.Properties.RoleType != "BuiltInRole" ||
			len(rd.Properties.Permissions) != 1 || len(rd.Properties.Permissions[0].DataActions) != 2 ||
			*rd.Properties.Permissions[0].DataActions[0] != "Microsoft.KeyVault/vaults/secrets/getSecret/action" {
			t.Errorf("role = %+v", rd.Properties)
		}
		got, err := defs.GetByID(ctx, roleRef, nil)
		if err != nil || *got.Properties.RoleName != "Key Vault Secrets User" {
			t.Errorf("GetByID: %v", err)
		}
	})

	t.Run("owner deletes", func(t *testing.T) {
		resp, err := owner.Delete(ctx, vault, name, nil)
		if err != nil || resp.Name == nil || *resp.Name != name {
			t.Fatalf("delete: %v %+v", err, resp)
		}
		_, err = owner.Get(ctx, vault, name, nil)
		if status, code, _ := sdkError(t, err); status != http.StatusNotFound || code != "RoleAssignmentNotFound" {
			t.Errorf("get after delete: %d %s", status, code)
		}
		if d := w.Authorize(devOID, "Microsoft.KeyVault/vaults/secrets/getSecret/action", true, vault); d.Allowed {
			t.Errorf("still allowed: %s", d.Summary)
		}
		// Deleting again is a 204, which the SDK accepts.
		if _, err := owner.Delete(ctx, vault, name, nil); err != nil {
			t.Errorf("second delete: %v", err)
		}
	})
}
