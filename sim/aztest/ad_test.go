package aztest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// az ad sp create-for-rbac (without a role), az ad sp show/list/delete,
// az ad app create/show/delete, az ad app credential reset/list: Microsoft
// Graph through the CLI, and the new service principal's secret working at
// Entra.
func TestAzAppRegistrations(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, "sbx-az-ad")
	s.loginOwner()
	tenant := s.w.TenantID()

	seq := s.lastSeq()
	sp := s.ok("ad", "sp", "create-for-rbac", "--name", "learner-app")
	appID, password := field(sp, "appId"), field(sp, "password")
	if appID == "" || password == "" || field(sp, "tenant") != tenant || field(sp, "displayName") != "learner-app" {
		t.Fatalf("create-for-rbac %v", sp)
	}
	s.secrets = append(s.secrets, password)
	exs := s.since(seq)
	// az looks for an existing app and service principal by name first.
	sent(t, exs, "GET", "/v1.0/servicePrincipals?$filter=displayName", http.StatusOK)
	sent(t, exs, "GET", "/v1.0/applications?$filter=startswith", http.StatusOK)
	sent(t, exs, "POST", "/v1.0/applications", http.StatusCreated)
	sent(t, exs, "POST", "/addPassword", http.StatusOK)
	sent(t, exs, "POST", "/v1.0/servicePrincipals", http.StatusCreated)

	shown := s.ok("ad", "sp", "show", "--id", appID)
	spID := field(shown, "id")
	if field(shown, "appId") != appID || field(shown, "servicePrincipalType") != "Application" || spID == "" {
		t.Errorf("sp show %v", shown)
	}
	sent(t, s.since(seq), "GET", "servicePrincipalNames%2Fany", http.StatusOK)
	if l := list(s.ok("ad", "sp", "list", "--display-name", "learner-")); len(l) != 1 || field(l[0], "appId") != appID {
		t.Errorf("sp list --display-name: %v", l)
	}

	app := s.ok("ad", "app", "show", "--id", appID)
	if field(app, "appId") != appID || field(app, "displayName") != "learner-app" {
		t.Errorf("app show %v", app)
	}
	creds := list(s.ok("ad", "app", "credential", "list", "--id", appID))
	if len(creds) != 1 || field(creds[0], "hint") != password[:3] || field(creds[0], "keyId") == "" {
		t.Errorf("credential list %v", creds)
	}

	// The new principal signs in with its secret (it has no role yet).
	t.Run("the new secret works at Entra", func(t *testing.T) {
		other := newSandboxFor(t, s)
		other.fails([]string{"No subscriptions found for " + appID},
			"login", "--service-principal", "-u", appID, "-p="+password, "--tenant", tenant)
	})

	reset := s.ok("ad", "app", "credential", "reset", "--id", appID)
	newPassword := field(reset, "password")
	if newPassword == "" || newPassword == password || field(reset, "appId") != appID {
		t.Fatalf("credential reset %v", reset)
	}
	s.secrets = append(s.secrets, newPassword)
	if creds := list(s.ok("ad", "app", "credential", "list", "--id", appID)); len(creds) != 1 || field(creds[0], "hint") != newPassword[:3] {
		t.Errorf("after reset (the old secret is replaced): %v", creds)
	}
	t.Run("the old secret no longer works", func(t *testing.T) {
		other := newSandboxFor(t, s)
		other.fails([]string{"AADSTS7000215"}, "login", "--service-principal", "-u", appID, "-p="+password, "--tenant", tenant)
	})

	// az ad app create is idempotent by display name: the second call
	// finds the app (startswith filter) and patches it.
	created := s.ok("ad", "app", "create", "--display-name", "learner-api")
	again := s.ok("ad", "app", "create", "--display-name", "learner-api")
	if field(created, "appId") == "" || field(again, "appId") != field(created, "appId") {
		t.Errorf("app create twice: %v then %v", created, again)
	}
	sent(t, s.since(seq), "PATCH", "/v1.0/applications/"+field(created, "id"), http.StatusNoContent)
	s.ok("ad", "app", "delete", "--id", field(created, "appId"))
	s.fails([]string{"Resource '" + field(created, "appId") + "' does not exist"}, "ad", "app", "show", "--id", field(created, "appId"))

	s.ok("ad", "sp", "delete", "--id", appID)
	s.fails([]string{"Resource '" + appID + "' does not exist"}, "ad", "sp", "show", "--id", appID)

	t.Run("localDev may not register apps", func(t *testing.T) {
		other := newSandboxFor(t, s)
		localDev := s.principal(scenario.LabelLocalDev)
		// --allow-no-subscriptions: localDev has no role, so no subscription.
		other.ok("login", "--service-principal", "-u", localDev.AppID, "-p="+s.secret(scenario.LabelLocalDev), "--tenant", tenant, "--allow-no-subscriptions")
		other.fails([]string{"Insufficient privileges"}, "ad", "app", "create", "--display-name", "not-allowed")
	})
}

// newSandboxFor is a second az (its own config directory) on the same
// sandbox.
func newSandboxFor(t *testing.T, s *sandbox) *sandbox {
	t.Helper()
	o := *s
	o.t = t
	dir := t.TempDir()
	seedConfig(t, s.az, dir+"/azure")
	o.env = nil
	for _, kv := range s.env {
		switch {
		case strings.HasPrefix(kv, "AZURE_CONFIG_DIR="):
			kv = "AZURE_CONFIG_DIR=" + dir + "/azure"
		case strings.HasPrefix(kv, "HOME="):
			kv = "HOME=" + dir
		}
		o.env = append(o.env, kv)
	}
	return &o
}

// graphURL is a Graph v1.0 URL with a $filter.
func graphURL(collection, filter string) string {
	return "https://graph.microsoft.com/v1.0/" + collection + "?$filter=" + url.PathEscape(filter)
}
