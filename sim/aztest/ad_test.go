package aztest_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/aztest"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// az ad sp create-for-rbac (without a role), az ad sp show/list/delete,
// az ad app create/show/delete, az ad app credential reset/list: Microsoft
// Graph through the CLI, and the new service principal's secret working at
// Entra.
func TestAzAppRegistrations(t *testing.T) {
	t.Parallel()
	s := aztest.New(t, "sbx-az-ad")
	s.LoginOwner()
	tenant := s.W.TenantID()

	seq := s.LastSeq()
	sp := s.OK("ad", "sp", "create-for-rbac", "--name", "learner-app")
	appID, password := aztest.Field(sp, "appId"), aztest.Field(sp, "password")
	if appID == "" || password == "" || aztest.Field(sp, "tenant") != tenant || aztest.Field(sp, "displayName") != "learner-app" {
		t.Fatalf("create-for-rbac %v", sp)
	}
	s.AddSecret(password)
	exs := s.Since(seq)
	// az looks for an existing app and service principal by name first.
	aztest.Sent(t, exs, "GET", "/v1.0/servicePrincipals?$filter=displayName", http.StatusOK)
	aztest.Sent(t, exs, "GET", "/v1.0/applications?$filter=startswith", http.StatusOK)
	aztest.Sent(t, exs, "POST", "/v1.0/applications", http.StatusCreated)
	aztest.Sent(t, exs, "POST", "/addPassword", http.StatusOK)
	aztest.Sent(t, exs, "POST", "/v1.0/servicePrincipals", http.StatusCreated)

	shown := s.OK("ad", "sp", "show", "--id", appID)
	spID := aztest.Field(shown, "id")
	if aztest.Field(shown, "appId") != appID || aztest.Field(shown, "servicePrincipalType") != "Application" || spID == "" {
		t.Errorf("sp show %v", shown)
	}
	aztest.Sent(t, s.Since(seq), "GET", "servicePrincipalNames%2Fany", http.StatusOK)
	if l := aztest.List(s.OK("ad", "sp", "list", "--display-name", "learner-")); len(l) != 1 || aztest.Field(l[0], "appId") != appID {
		t.Errorf("sp list --display-name: %v", l)
	}

	app := s.OK("ad", "app", "show", "--id", appID)
	if aztest.Field(app, "appId") != appID || aztest.Field(app, "displayName") != "learner-app" {
		t.Errorf("app show %v", app)
	}
	creds := aztest.List(s.OK("ad", "app", "credential", "list", "--id", appID))
	if len(creds) != 1 || aztest.Field(creds[0], "hint") != password[:3] || aztest.Field(creds[0], "keyId") == "" {
		t.Errorf("credential list %v", creds)
	}

	// The new principal signs in with its secret (it has no role yet).
	t.Run("the new secret works at Entra", func(t *testing.T) {
		other := s.For(t)
		other.Fails([]string{"No subscriptions found for " + appID},
			"login", "--service-principal", "-u", appID, "-p="+password, "--tenant", tenant)
	})

	reset := s.OK("ad", "app", "credential", "reset", "--id", appID)
	newPassword := aztest.Field(reset, "password")
	if newPassword == "" || newPassword == password || aztest.Field(reset, "appId") != appID {
		t.Fatalf("credential reset %v", reset)
	}
	s.AddSecret(newPassword)
	t.Run("the old secret no longer works", func(t *testing.T) {
		other := s.For(t)
		other.Fails([]string{"AADSTS7000215"}, "login", "--service-principal", "-u", appID, "-p="+password, "--tenant", tenant)
	})

	// az ad app create is idempotent by display name: the second call
	// finds the app (startswith filter) and patches it.
	created := s.OK("ad", "app", "create", "--display-name", "learner-api")
	again := s.OK("ad", "app", "create", "--display-name", "learner-api")
	if aztest.Field(created, "appId") == "" || aztest.Field(again, "appId") != aztest.Field(created, "appId") {
		t.Errorf("app create twice: %v then %v", created, again)
	}
	aztest.Sent(t, s.Since(seq), "PATCH", "/v1.0/applications/"+aztest.Field(created, "id"), http.StatusNoContent)
	s.OK("ad", "app", "delete", "--id", aztest.Field(created, "appId"))

	s.OK("ad", "sp", "delete", "--id", appID)
	s.Fails([]string{"Resource '" + appID + "' does not exist"}, "ad", "sp", "show", "--id", appID)

	t.Run("localDev may not register apps", func(t *testing.T) {
		other := s.For(t)
		localDev := s.Principal(scenario.LabelLocalDev)
		// --allow-no-subscriptions: localDev has no role, so no subscription.
		other.OK("login", "--service-principal", "-u", localDev.AppID, "-p="+s.Secret(scenario.LabelLocalDev), "--tenant", tenant, "--allow-no-subscriptions")
		other.Fails([]string{"Insufficient privileges"}, "ad", "app", "create", "--display-name", "not-allowed")
	})
}

// graphURL is a Graph v1.0 URL with a $filter.
func graphURL(collection, filter string) string {
	return "https://graph.microsoft.com/v1.0/" + collection + "?$filter=" + url.PathEscape(filter)
}
