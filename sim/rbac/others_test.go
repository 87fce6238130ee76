package rbac_test

import (
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
)

func TestOtherPrincipalsAssignmentsAreExplained(t *testing.T) {
	const (
		sub   = "/subscriptions/00000000-0000-0000-0000-000000000001"
		vault = sub + "/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
	)
	now := time.Unix(1_700_000_000, 0)
	assign := func(id, principal, role, scope string) rbac.Assignment {
		return rbac.Assignment{ID: id, PrincipalID: principal, RoleDefinitionID: role, Scope: scope, EffectiveAt: now}
	}
	ix := rbac.NewIndex([]rbac.Assignment{
		assign("a1", "site-mi", rbac.RoleKeyVaultSecretsUser, vault),                     // other principal, right role, right place
		assign("a2", "someone", rbac.RoleReader, vault),                                  // other principal, role without the action
		assign("a3", "site-mi", rbac.RoleKeyVaultSecretsUser, sub+"/resourceGroups/rg2"), // not an ancestor
		assign("a4", "me", rbac.RoleOwner, sub),                                          // mine, control plane only
	}, nil)
	d := ix.Authorize(rbac.Request{
		Principal:  rbac.Principal{ObjectID: "me", Type: "ServicePrincipal"},
		Action:     "Microsoft.KeyVault/vaults/secrets/getSecret/action",
		DataAction: true,
		Scope:      vault + "/secrets/s",
		Now:        now,
	})
	if d.Allowed {
		t.Fatal("another principal's role allowed the call")
	}
	got := map[string]rbac.Considered{}
	for _, c := range d.Considered {
		got[c.AssignmentID] = c
	}
	if c, ok := got["a1"]; !ok || c.Reason != rbac.ReasonOtherPrincipal || c.Matched ||
		!strings.Contains(c.Explanation, "Key Vault Secrets User at the") || !strings.Contains(c.Explanation, "site-mi") {
		t.Fatalf("the other principal's grant is not explained: %+v", c)
	}
	for _, id := range []string{"a2", "a3"} {
		if _, ok := got[id]; ok {
			t.Errorf("assignment %s is irrelevant to the request but was listed", id)
		}
	}
	if c := got["a4"]; c.Reason != rbac.ReasonRoleLacksAction {
		t.Errorf("own Owner assignment: reason %q", c.Reason)
	}
	if d.Suggestion == nil || d.Suggestion.RoleName != "Key Vault Secrets User" {
		t.Errorf("suggestion = %+v", d.Suggestion)
	}
}
