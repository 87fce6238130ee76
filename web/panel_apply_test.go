package web

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// The sandbox panel's forms change the world; resource changes go through
// ARM and directory changes through Graph (they show in the trace).
func TestPanelActions(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	sb := strings.Split(base, "/")[2]
	w := pe.reg.Get(sb)
	state := func(fn func(st *world.State)) { pe.reg.Get(sb).View(fn) }
	var localDevKeys int
	state(func(st *world.State) { localDevKeys = len(st.Principals[st.Labels[scenario.LabelLocalDev]].Secrets) })

	cases := []struct {
		action string
		form   url.Values
		want   string // in the panel fragment
		check  func(t *testing.T, st *world.State)
	}{
		{"assignRole", url.Values{"principal": {"localDev"}, "role": {"Key Vault Secrets User"}, "scope": {"vault"}}, "assigned Key Vault Secrets User to localDev",
			func(t *testing.T, st *world.State) {
				if n := countAssignments(st, st.Labels["localDev"]); n != 1 {
					t.Errorf("localDev has %d assignments", n)
				}
			}},
		{"removeRole", url.Values{"principal": {"localDev"}, "role": {"Key Vault Secrets User"}, "scope": {"vault"}}, "removed Key Vault Secrets User",
			func(t *testing.T, st *world.State) {
				if n := countAssignments(st, st.Labels["localDev"]); n != 0 {
					t.Errorf("localDev has %d assignments after removal", n)
				}
			}},
		{"addSecret", url.Values{"principal": {"localDev"}}, "new secret", func(t *testing.T, st *world.State) {
			if n := len(st.Principals[st.Labels["localDev"]].Secrets); n != localDevKeys+1 {
				t.Errorf("localDev has %d secrets", n)
			}
		}},
		{"advanceClock", url.Values{"seconds": {"90000"}}, "sandbox clock moved 25h0m0s ahead", nil},
		{"setPropagationDelay", url.Values{"seconds": {"30"}}, "take 30s", nil},
		{"setSiteIdentity", url.Values{"state": {"off"}}, "identity off", func(t *testing.T, st *world.State) {
			if st.Site(scenario.ResourcesOf(st).MainSite).SystemIdentity != "" {
				t.Error("site identity still on")
			}
		}},
		{"setVaultModel", url.Values{"model": {"accessPolicy"}}, `data-testid="vault-model">vault access policies`, nil},
		{"addAccessPolicy", url.Values{"principal": {"localDev"}, "secrets": {"get"}}, "localDev may get secrets", nil},
		{"removeAccessPolicy", url.Values{"principal": {"localDev"}}, "removed the access policy", nil},
		{"createServicePrincipal", url.Values{"label": {"myApp"}, "name": {"my-app"}}, `data-label="myApp"`, nil},
		{"deletePrincipal", url.Values{"principal": {"myApp"}}, "deleted service principal myApp", func(t *testing.T, st *world.State) {
			if _, ok := st.Labels["myApp"]; ok {
				t.Error("myApp still labelled")
			}
		}},
		{"deletePrincipal", url.Values{"principal": {"nobody"}}, `data-testid="panel-error"`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			r := pe.b.form(base+"/panel/"+tc.action, tc.form, true)
			if r.StatusCode != 200 || !strings.Contains(r.body, `id="panel"`) {
				t.Fatalf("= %d:\n%s", r.StatusCode, r.body)
			}
			if !strings.Contains(r.body, tc.want) {
				t.Errorf("panel lacks %q:\n%s", tc.want, r.body)
			}
			if tc.check != nil {
				w.View(func(st *world.State) { tc.check(t, st) })
			}
		})
	}
	// Role assignments, the vault's model and access policies and the
	// site's identity went through ARM: they are in the trace, answered
	// 2xx (a new role assignment is 201, the others 200), marked as the
	// panel's.
	var arm []string
	for _, ex := range pe.book.List(sb, 0) {
		if ex.Service == "arm" && ex.Step == lesson1+"/panel" {
			path, _, _ := strings.Cut(ex.URL, "?")
			arm = append(arm, fmt.Sprintf("%d %s %s", ex.Status, ex.Method, path))
		}
	}
	for _, want := range []struct{ call, contains string }{
		{"201 PUT", "/providers/Microsoft.Authorization/roleAssignments/"},
		{"200 DELETE", "/providers/Microsoft.Authorization/roleAssignments/"},
		{"200 PATCH", "/providers/Microsoft.Web/sites/"},
		{"200 PATCH", "/providers/Microsoft.KeyVault/vaults/"},
		{"200 PUT", "/accessPolicies/add"},
		{"200 PUT", "/accessPolicies/remove"},
	} {
		if !slices.ContainsFunc(arm, func(c string) bool {
			return strings.HasPrefix(c, want.call+" https://management.azure.com/") && strings.Contains(c, want.contains)
		}) {
			t.Errorf("no %s …%s… among the panel's ARM calls %q", want.call, want.contains, arm)
		}
	}
	// Secrets and app registrations went through Microsoft Graph.
	var graph int
	for _, ex := range pe.book.List(sb, 0) {
		if ex.Service == "graph" && ex.Step == lesson1+"/panel" && ex.Status < 300 {
			graph++
		}
	}
	if graph < 5 { // addSecret, create-for-rbac (3 calls), app delete
		t.Errorf("%d Graph exchanges from the panel, want at least 5", graph)
	}

	// Deleting a secret: the one just added.
	var keyID string
	state(func(st *world.State) {
		s := st.Principals[st.Labels["localDev"]].Secrets
		keyID = s[len(s)-1].KeyID
	})
	r := pe.b.form(base+"/panel/deleteSecret", url.Values{"principal": {"localDev"}, "keyId": {keyID}}, true)
	if !strings.Contains(r.body, "deleted a secret of localDev") {
		t.Errorf("deleteSecret:\n%s", r.body)
	}
	if r := pe.b.form(base+"/panel/frobnicate", nil, true); r.StatusCode != 404 {
		t.Errorf("unknown panel action = %d", r.StatusCode)
	}

	// Reset: a new world, the lesson starts over with an empty trace.
	var tenant string
	state(func(st *world.State) { tenant = st.TenantID })
	r = pe.b.form(base+"/reset", nil, false)
	if r.StatusCode != 303 || r.Header.Get("Location") != base {
		t.Fatalf("reset = %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	state(func(st *world.State) {
		if st.TenantID == tenant {
			t.Error("reset kept the tenant")
		}
	})
	page := pe.b.page(base)
	if count(page.body, "exchange") != 0 || count(page.body, "step-outcome") != 0 {
		t.Errorf("after reset: %d exchanges, %d outcomes", count(page.body, "exchange"), count(page.body, "step-outcome"))
	}
}

func countAssignments(st *world.State, oid string) int {
	n := 0
	for _, a := range st.RoleAssignments {
		if a.PrincipalID == oid && a.RemovedAt == nil {
			n++
		}
	}
	return n
}

// Where the code runs: the App Service site uses its managed identity
// (IMDS-free App Service endpoint); nothing configured fails at the call
// with DefaultAzureCredential's full report.
func TestPlaceSet(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	run := func(step string) string {
		t.Helper()
		r := pe.b.form(base+"/steps/"+step, nil, true)
		if r.StatusCode != 200 {
			t.Fatalf("%s = %d %s", step, r.StatusCode, r.body)
		}
		return r.body
	}
	r := pe.b.form(base+"/place", url.Values{"where": {"workstation"}, "credential": {"none"}}, true)
	if r.StatusCode != 200 || !strings.Contains(r.body, "No AZURE_* environment variables") {
		t.Fatalf("place none = %d:\n%s", r.StatusCode, r.body)
	}
	run("create-credential")
	run("create-client")
	body := run("get-secret")
	if !strings.Contains(body, "DefaultAzureCredential: failed to acquire a token") || !strings.Contains(body, `data-testid="chain"`) ||
		!strings.Contains(body, "EnvironmentCredential") {
		t.Errorf("nothing configured:\n%s", body)
	}

	r = pe.b.form(base+"/place", url.Values{"where": {"site"}}, true)
	if !strings.Contains(r.body, "on the App Service site") || !strings.Contains(r.body, "IDENTITY_ENDPOINT") {
		t.Fatalf("place site:\n%s", r.body)
	}
	run("create-credential")
	run("create-client")
	body = run("get-secret")
	if !strings.Contains(body, "ManagedIdentityCredential") || !strings.Contains(body, "ran on the site") {
		t.Errorf("on the site:\n%s", body)
	}
	if !strings.Contains(body, "Managed identity") {
		t.Errorf("no managed-identity exchange in the diagram")
	}

	r = pe.b.form(base+"/place", url.Values{"where": {"workstation-me"}}, true)
	if !strings.Contains(r.body, "signed in to the Azure CLI as yourself") {
		t.Errorf("workstation-me:\n%s", r.body)
	}
	for _, bad := range []url.Values{{"where": {"moon"}}, {"where": {"workstation"}, "credential": {"root"}}} {
		if r := pe.b.form(base+"/place", bad, true); r.StatusCode != 400 {
			t.Errorf("place %v = %d, want 400", bad, r.StatusCode)
		}
	}
}
