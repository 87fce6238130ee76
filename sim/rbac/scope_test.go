package rbac

import (
	"errors"
	"strings"
	"testing"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in      string
		level   string
		sub, rg string
		last    Resource // innermost resource, if any
		wantErr bool
	}{
		{in: "/", level: LevelRoot},
		{in: tSub, level: LevelSubscription, sub: "11111111-2222-3333-4444-555555555555"},
		{in: tSub + "/", level: LevelSubscription, sub: "11111111-2222-3333-4444-555555555555"},
		{in: tRG1, level: LevelResourceGroup, sub: "11111111-2222-3333-4444-555555555555", rg: "rg1"},
		{in: strings.ToLower(tRG1), level: LevelResourceGroup, sub: "11111111-2222-3333-4444-555555555555", rg: "rg1"},
		{in: tVault, level: LevelResource, sub: "11111111-2222-3333-4444-555555555555", rg: "rg1",
			last: Resource{Namespace: "Microsoft.KeyVault", Type: "vaults", Name: "kv1"}},
		{in: tQueue, level: LevelResource, sub: "11111111-2222-3333-4444-555555555555", rg: "rg1",
			last: Resource{Namespace: "Microsoft.Storage", Type: "queues", Name: "messages"}},
		{in: "/providers/Microsoft.Management/managementGroups/mg1", level: LevelManagementGroup},
		{in: "/providers/Microsoft.Authorization/roleDefinitions/x", level: LevelResource,
			last: Resource{Namespace: "Microsoft.Authorization", Type: "roleDefinitions", Name: "x"}},
		{in: tVault + "/providers/Microsoft.Insights/diagnosticSettings/d", level: LevelResource, sub: "11111111-2222-3333-4444-555555555555", rg: "rg1",
			last: Resource{Namespace: "Microsoft.Insights", Type: "diagnosticSettings", Name: "d"}},
		{in: "", wantErr: true},
		{in: "subscriptions/x", wantErr: true},
		{in: "/subscriptions", wantErr: true},
		{in: "/subscriptions/x/resourceGroups", wantErr: true},
		{in: "/subscriptions/x//resourceGroups/rg", wantErr: true},
		{in: "/subscriptions/x/resourceGroups/rg/vaults/kv", wantErr: true},
		{in: "/subscriptions/x/resourceGroups/rg/providers", wantErr: true},
		{in: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault", wantErr: true},
		{in: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults", wantErr: true},
		{in: "/tenants/x", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, err := ParseScope(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrInvalidScope) {
					t.Fatalf("err = %v, want ErrInvalidScope", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Level != tc.level || s.Subscription != tc.sub || s.ResourceGroup != tc.rg {
				t.Errorf("got %+v", s)
			}
			if tc.last.Name != "" {
				l := s.Resources[len(s.Resources)-1]
				if l.Namespace != tc.last.Namespace || l.Type != tc.last.Type || l.Name != tc.last.Name {
					t.Errorf("last resource %+v, want %+v", l, tc.last)
				}
			}
		})
	}
}

func TestScopeContains(t *testing.T) {
	tests := []struct {
		anc, scope string
		want       bool
	}{
		{"/", tSecret, true},
		{tSub, tSecret, true},
		{tRG1, tSecret, true},
		{tRG1, tRG10, false},
		{tRG1 + "/", strings.ToUpper(tSecret), true},
		{tSecret, tVault, false},
		{tVault, tVault, true},
		{tVault, tVault + "2", false},
	}
	for _, tc := range tests {
		t.Run(tc.anc+"~"+tc.scope, func(t *testing.T) {
			if got := ScopeContains(tc.anc, tc.scope); got != tc.want {
				t.Errorf("ScopeContains = %v, want %v", got, tc.want)
			}
			a, err1 := ParseScope(tc.anc)
			b, err2 := ParseScope(tc.scope)
			if err1 == nil && err2 == nil && a.Contains(b) != tc.want {
				t.Errorf("Scope.Contains = %v, want %v", a.Contains(b), tc.want)
			}
		})
	}
}

func TestSuggestedScope(t *testing.T) {
	tests := []struct{ action, scope, want string }{
		{getSecret, tSecret, tVault},
		{getSecret, tVault, tVault},
		{addMsg, tQueue, tQueue},
		{addMsg, tAcct, tAcct},
		{"Microsoft.Storage/storageAccounts/queueServices/queues/read", tQueue, tAcct},
		{raWrite, tRG1, tRG1},
		{raWrite, tSub, tSub},
		{vaultRead, "not a scope", "not a scope"},
	}
	for _, tc := range tests {
		if got := SuggestedScope(tc.action, tc.scope); got != tc.want {
			t.Errorf("SuggestedScope(%s, %s) = %s, want %s", tc.action, tc.scope, got, tc.want)
		}
	}
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"/", tSub, tRG1, tVault, tSecret, tQueue, "/providers/Microsoft.Management/managementGroups/m", "//", "/subscriptions//x", "/a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseScope(in)
		if err != nil {
			return
		}
		// The canonical form parses to the same scope, and contains itself.
		again, err := ParseScope(s.String())
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", s.String(), in, err)
		}
		if again.String() != s.String() || again.Level != s.Level || len(again.Resources) != len(s.Resources) {
			t.Fatalf("round trip %q: %+v vs %+v", in, s, again)
		}
		if !ScopeContains(in, in) || !s.Contains(again) {
			t.Fatalf("%q does not contain itself", in)
		}
		for i := range s.Resources {
			p := s.Prefix(i + 1)
			if !ScopeContains(p, in) {
				t.Fatalf("prefix %q does not contain %q", p, in)
			}
		}
		_ = DescribeScope(in)
	})
}
