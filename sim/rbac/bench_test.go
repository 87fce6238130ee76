package rbac

import (
	"fmt"
	"testing"
)

// benchIndex spreads 10,000 assignments over 1,000 principals at scopes
// from the subscription down to single secrets.
func benchIndex() (*Index, []Principal) {
	roles := []string{RoleReader, RoleKeyVaultSecretsUser, RoleContributor, RoleStorageQueueMessageSender, RoleKeyVaultReader}
	var as []Assignment
	ps := make([]Principal, 1000)
	for p := range ps {
		ps[p] = Principal{ObjectID: fmt.Sprintf("%08d-0000-0000-0000-000000000000", p), DisplayName: fmt.Sprintf("app%d", p), AppID: "app"}
		for k := range 10 {
			scope := fmt.Sprintf("%s/resourceGroups/rg%d/providers/Microsoft.KeyVault/vaults/kv%d", tSub, k, p%50)
			if k == 9 {
				scope += "/secrets/s1"
			}
			as = append(as, asg(fmt.Sprintf("a-%d-%d", p, k), ps[p].ObjectID, roles[(p+k)%len(roles)], scope))
		}
	}
	// A typical principal: one assignment, at the vault.
	as = append(as, asg("solo-1", "solo", RoleKeyVaultSecretsUser, tSub+"/resourceGroups/rg0/providers/Microsoft.KeyVault/vaults/kv1"))
	return NewIndex(as, nil), ps
}

func BenchmarkAuthorize(b *testing.B) {
	ix, ps := benchIndex()
	b.Run("allowed", func(b *testing.B) {
		req := Request{Principal: ps[1], Action: getSecret, DataAction: true, Scope: tSub + "/resourceGroups/rg0/providers/Microsoft.KeyVault/vaults/kv1/secrets/s1", Now: t0}
		if d := ix.Authorize(req); !d.Allowed || len(d.Considered) != 10 {
			b.Fatalf("setup: %s", d.Summary)
		}
		b.ReportAllocs()
		for b.Loop() {
			ix.Authorize(req)
		}
	})
	b.Run("one-assignment-allowed", func(b *testing.B) {
		req := Request{Principal: Principal{ObjectID: "solo"}, Action: getSecret, DataAction: true, Scope: tSub + "/resourceGroups/rg0/providers/Microsoft.KeyVault/vaults/kv1/secrets/s1", Now: t0}
		if d := ix.Authorize(req); !d.Allowed || len(d.Considered) != 1 {
			b.Fatalf("setup: %s", d.Summary)
		}
		b.ReportAllocs()
		for b.Loop() {
			ix.Authorize(req)
		}
	})
	b.Run("denied-with-suggestion", func(b *testing.B) {
		req := Request{Principal: ps[7], Action: setSecret, DataAction: true, Scope: tSub + "/resourceGroups/rg0/providers/Microsoft.KeyVault/vaults/kv7/secrets/s1", Now: t0}
		if d := ix.Authorize(req); d.Allowed || d.Suggestion == nil {
			b.Fatalf("setup: %s", d.Summary)
		}
		b.ReportAllocs()
		for b.Loop() {
			ix.Authorize(req)
		}
	})
}

func BenchmarkNewIndex(b *testing.B) {
	_, _ = benchIndex()
	var as []Assignment
	for i := range 10000 {
		as = append(as, asg(fmt.Sprint(i), fmt.Sprint(i%1000), RoleReader, tSub))
	}
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(as, nil)
	}
}
