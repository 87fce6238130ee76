package scenario_test

import (
	"context"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestBuild(t *testing.T) {
	tests := []struct {
		name      string
		wantVault bool
	}{
		{scenario.Walkthrough, true},
		{scenario.Empty, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := world.NewRegistry(nil, nil)
			w, err := scenario.Build(context.Background(), reg, "sbx", tt.name)
			if err != nil {
				t.Fatal(err)
			}
			w.View(func(s *world.State) {
				for _, l := range []string{scenario.LabelOwner, scenario.LabelLocalDev, scenario.LabelDeveloper} {
					p := s.Principals[s.Labels[l]]
					if p == nil {
						t.Fatalf("no principal labelled %s", l)
					}
					if s.Keychain[l] == "" {
						t.Fatalf("no keychain entry for %s", l)
					}
				}
				owner := s.Labels[scenario.LabelOwner]
				localDev := s.Labels[scenario.LabelLocalDev]
				var ownerRoles, devRoles int
				for _, a := range s.RoleAssignments {
					switch a.PrincipalID {
					case owner:
						ownerRoles++
					case localDev:
						devRoles++
					}
				}
				if ownerRoles != 1 || devRoles != 0 {
					t.Fatalf("owner has %d roles, localDev %d; want 1 and 0", ownerRoles, devRoles)
				}
				names := scenario.ResourcesOf(s)
				v := s.Vault(names.Vault)
				if (v != nil) != tt.wantVault {
					t.Fatalf("vault present = %v, want %v", v != nil, tt.wantVault)
				}
				if !tt.wantVault {
					return
				}
				if !v.EnableRbacAuthorization || v.Secrets[scenario.SecretName] == nil {
					t.Fatal("vault must use RBAC and hold the third-party key")
				}
				api := s.Site(names.ThirdPartySite)
				if got := v.Secrets[scenario.SecretName].Versions[0].Value; got != api.FunctionKeys["default"] {
					t.Fatal("the vault's secret is not the third-party API's key")
				}
				main := s.Site(names.MainSite)
				mi := s.Principals[main.SystemIdentity]
				if mi == nil || mi.Kind != world.KindSystemAssigned || mi.ResourceID != s.SiteID(main) {
					t.Fatalf("main app has no system-assigned identity bound to it: %+v", mi)
				}
				if s.StorageAccount(names.StorageAccount).Queues[scenario.QueueName] == nil {
					t.Fatal("no queue")
				}
			})
		})
	}
}

func TestBuildUnknownScenario(t *testing.T) {
	if _, err := scenario.Build(context.Background(), world.NewRegistry(nil, nil), "x", "nope"); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}

func TestSandboxesGetDistinctIdentities(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	a, err := scenario.Build(context.Background(), reg, "a", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	b, err := scenario.Build(context.Background(), reg, "b", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	if a.TenantID() == b.TenantID() || a.SubscriptionID() == b.SubscriptionID() {
		t.Fatal("two sandboxes share a tenant or subscription")
	}
	if reg.ByTenant(a.TenantID()) != a || reg.ByTenant(b.TenantID()) != b {
		t.Fatal("tenant lookup broken")
	}
}
