package rbac_test

import (
	"fmt"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
)

// An Owner of the subscription still cannot read a secret: Owner's "*" is a
// control-plane action, and reading a secret is a data action.
func ExampleIndex_Authorize() {
	const sub = "/subscriptions/11111111-2222-3333-4444-555555555555"
	const vault = sub + "/resourceGroups/auth-scenario-rg/providers/Microsoft.KeyVault/vaults/kv-auth-1"
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ix := rbac.NewIndex([]rbac.Assignment{{
		ID: "a1", Scope: sub, RoleDefinitionID: rbac.RoleOwner, PrincipalID: "p1", EffectiveAt: now,
	}}, nil)
	d := ix.Authorize(rbac.Request{
		Principal:  rbac.Principal{ObjectID: "p1", DisplayName: "localdev", AppID: "app1"},
		Action:     "Microsoft.KeyVault/vaults/secrets/getSecret/action",
		DataAction: true,
		Scope:      vault + "/secrets/third-party-api-key",
		Now:        now,
	})
	fmt.Println(d.Allowed, d.Considered[0].Reason)
	fmt.Println(d.Considered[0].Explanation)
	fmt.Println(d.Summary)
	fmt.Println(d.Suggestion.CLI)
	// Output:
	// false role-lacks-action
	// Owner at the subscription grants control-plane actions only; reading a secret's value (Microsoft.KeyVault/vaults/secrets/getSecret/action) is a data action, and actions never grant data actions
	// Denied: the one role assignment of localdev (p1) does not grant Microsoft.KeyVault/vaults/secrets/getSecret/action on the secret third-party-api-key. Assigning Key Vault Secrets User at the vault kv-auth-1 would allow it.
	// az role assignment create --assignee app1 --role "Key Vault Secrets User" --scope /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/auth-scenario-rg/providers/Microsoft.KeyVault/vaults/kv-auth-1
}
