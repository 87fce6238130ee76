package lessons

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// TestResourceActionsGoThroughARM: the vault's permission model, its access
// policies and the site's identity are changed by ARM calls made as the
// owner, so each is in the step's exchanges with ARM's 200; and each change
// is real in the sandbox.
func TestResourceActionsGoThroughARM(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-arm-actions")
	r := f.runner(t, w, lesson1(t))
	var vaultID, siteID, localDev, oldMI string
	w.View(func(st *world.State) {
		v, _ := vaultOf(st)
		s, _ := mainSite(st)
		vaultID, siteID = st.VaultID(v), st.SiteID(s)
		localDev, oldMI = st.Labels[scenario.LabelLocalDev], st.Labels[scenario.LabelMainApp]
	})
	policyOf := func(st *world.State) []string {
		v, _ := vaultOf(st)
		for _, ap := range v.AccessPolicies {
			if ap.ObjectID == localDev {
				return ap.Permissions.Secrets
			}
		}
		return nil
	}

	for _, tt := range []struct {
		action string
		params map[string]string
		call   string // the ARM request the step must hold
		output string
		check  func(*testing.T, *world.State)
	}{
		{"setVaultModel", map[string]string{"model": "accessPolicy"}, "PATCH " + vaultID, "vault access policies",
			func(t *testing.T, st *world.State) {
				if v, _ := vaultOf(st); v.EnableRbacAuthorization {
					t.Error("vault still uses RBAC")
				}
			}},
		{"addAccessPolicy", map[string]string{"principal": "localDev", "secrets": "get"}, "PUT " + vaultID + "/accessPolicies/add", "localDev may get secrets",
			func(t *testing.T, st *world.State) {
				if got := policyOf(st); !slices.Equal(got, []string{"get"}) {
					t.Errorf("localDev's secret permissions = %q, want get", got)
				}
			}},
		{"addAccessPolicy", map[string]string{"principal": "localDev", "secrets": "list,get"}, "PUT " + vaultID + "/accessPolicies/add", "localDev may list, get secrets",
			func(t *testing.T, st *world.State) {
				if got := policyOf(st); !slices.Equal(got, []string{"get", "list"}) {
					t.Errorf("localDev's secret permissions = %q, want get,list", got)
				}
			}},
		{"removeAccessPolicy", map[string]string{"principal": "localDev"}, "PUT " + vaultID + "/accessPolicies/remove", "removed the access policy of localDev",
			func(t *testing.T, st *world.State) {
				if got := policyOf(st); got != nil {
					t.Errorf("localDev still has an access policy: %q", got)
				}
			}},
		{"setVaultModel", map[string]string{"model": "rbac"}, "PATCH " + vaultID, "Azure RBAC",
			func(t *testing.T, st *world.State) {
				if v, _ := vaultOf(st); !v.EnableRbacAuthorization {
					t.Error("vault does not use RBAC")
				}
			}},
		{"setSiteIdentity", map[string]string{"state": "off"}, "PATCH " + siteID, "identity off",
			func(t *testing.T, st *world.State) {
				s, _ := mainSite(st)
				if s.SystemIdentity != "" || st.Principals[oldMI] != nil {
					t.Errorf("identity still on: %q", s.SystemIdentity)
				}
			}},
		{"setSiteIdentity", map[string]string{"state": "on"}, "PATCH " + siteID, "identity on",
			func(t *testing.T, st *world.State) {
				s, _ := mainSite(st)
				if s.SystemIdentity == "" || s.SystemIdentity == oldMI || st.Labels[scenario.LabelMainApp] != s.SystemIdentity {
					t.Errorf("identity %q, mainApp label %q (old %q)", s.SystemIdentity, st.Labels[scenario.LabelMainApp], oldMI)
				}
			}},
	} {
		t.Run(tt.action+"/"+tt.output, func(t *testing.T) {
			res, err := r.Do(context.Background(), tt.action, tt.action, tt.params, "t/"+tt.action)
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK {
				t.Fatalf("%s: %s", tt.action, res.Error)
			}
			if !strings.Contains(res.Output, tt.output) {
				t.Errorf("output %q, want %q in it", res.Output, tt.output)
			}
			var calls []string
			found := false
			for _, ex := range res.Exchanges {
				if ex.Service != "arm" {
					continue
				}
				path, _, _ := strings.Cut(strings.TrimPrefix(ex.URL, "https://management.azure.com"), "?")
				calls = append(calls, ex.Method+" "+path)
				if ex.Method+" "+path == tt.call && ex.Status == 200 {
					found = true
				}
			}
			if !found {
				t.Errorf("ARM calls %q, want %q answered 200", calls, tt.call)
			}
			w.View(func(st *world.State) { tt.check(t, st) })
		})
	}
}
