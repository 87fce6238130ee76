package aztest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// az login (service principal, wrong secret, a principal without roles, the
// developer user with -u/-p), az account show and get-access-token.
func TestAzLoginAndAccount(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, "sbx-az-login")
	owner := s.principal(scenario.LabelOwner)
	localDev := s.principal(scenario.LabelLocalDev)
	dev := s.principal(scenario.LabelDeveloper)
	tenant, sub := s.w.TenantID(), s.w.SubscriptionID()

	t.Run("wrong secret: AADSTS7000215 from Entra", func(t *testing.T) {
		s.t = t
		s.fails([]string{"AADSTS7000215", localDev.AppID},
			"login", "--service-principal", "-u", localDev.AppID, "-p=not-the-secret", "--tenant", tenant)
		sent(t, s.since(0), "POST", "/"+tenant+"/oauth2/v2.0/token", http.StatusUnauthorized)
	})
	t.Run("a principal without roles sees no subscription", func(t *testing.T) {
		s.t = t
		s.fails([]string{"No subscriptions found for " + localDev.AppID},
			"login", "--service-principal", "-u", localDev.AppID, "-p="+s.secret(scenario.LabelLocalDev), "--tenant", tenant)
	})
	t.Run("owner service principal", func(t *testing.T) {
		s.t = t
		seq := s.lastSeq()
		out := list(s.ok("login", "--service-principal", "-u", owner.AppID, "-p="+s.secret(scenario.LabelOwner), "--tenant", tenant))
		if len(out) != 1 || field(out[0], "id") != sub || field(out[0], "tenantId") != tenant ||
			field(out[0], "user", "type") != "servicePrincipal" || field(out[0], "user", "name") != owner.AppID {
			t.Fatalf("login output %v", out)
		}
		exs := s.since(seq)
		sent(t, exs, "POST", "/"+tenant+"/oauth2/v2.0/token", http.StatusOK)
		sent(t, exs, "GET", "management.azure.com/subscriptions?api-version=", http.StatusOK)
	})
	t.Run("account show", func(t *testing.T) {
		s.t = t
		acct := s.ok("account", "show")
		if field(acct, "id") != sub || field(acct, "name") == "" || field(acct, "state") != "Enabled" || field(acct, "isDefault") != "true" {
			t.Errorf("account %v", acct)
		}
	})
	t.Run("get-access-token for Key Vault", func(t *testing.T) {
		s.t = t
		tok := s.ok("account", "get-access-token", "--resource", "https://vault.azure.net")
		claims := jwtClaims(t, field(tok, "accessToken"))
		if claims["aud"] != "https://vault.azure.net" || claims["appid"] != owner.AppID || claims["tid"] != tenant ||
			field(tok, "tokenType") != "Bearer" || field(tok, "subscription") != sub {
			t.Errorf("token %v claims %v", tok, claims)
		}
	})
	t.Run("developer user with -u/-p", func(t *testing.T) {
		s.t = t
		seq := s.lastSeq()
		out := list(s.ok("login", "-u", dev.UserPrincipalName, "-p="+s.secret(scenario.LabelDeveloper)))
		if len(out) != 1 || field(out[0], "user", "type") != "user" || field(out[0], "user", "name") != dev.UserPrincipalName ||
			field(out[0], "id") != sub {
			t.Fatalf("login output %v", out)
		}
		exs := s.since(seq)
		sent(t, exs, "GET", "/common/userrealm/", http.StatusOK)
		sent(t, exs, "GET", "management.azure.com/tenants?", http.StatusOK)
		tok := s.ok("account", "get-access-token")
		if c := jwtClaims(t, field(tok, "accessToken")); c["upn"] != dev.UserPrincipalName || c["oid"] != dev.ObjectID {
			t.Errorf("user token claims %v", c)
		}
	})
	t.Run("developer user with a wrong password", func(t *testing.T) {
		s.t = t
		s.fails([]string{"AADSTS50126"}, "login", "-u", dev.UserPrincipalName, "-p=wrong-password")
	})
}

// jwtClaims decodes a JWT's claims (the signature is the sandbox's to check).
func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %.20q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// az group create/show/delete, and ARM's errors through the CLI.
func TestAzGroups(t *testing.T) {
	t.Parallel()
	s := newSandbox(t, "sbx-az-groups")
	s.loginOwner()
	g := s.ok("group", "show", "--name", scenario.ResourceGroup)
	if field(g, "id") != s.rgID() || field(g, "properties", "provisioningState") != "Succeeded" {
		t.Errorf("show %v", g)
	}
	seq := s.lastSeq()
	g = s.ok("group", "create", "--name", "learner-rg", "--location", "westeurope")
	if field(g, "name") != "learner-rg" || field(g, "location") != "westeurope" {
		t.Errorf("create %v", g)
	}
	sent(t, s.since(seq), "PUT", "/resourcegroups/learner-rg?api-version=", http.StatusCreated)
	s.fails([]string{"InvalidResourceGroupLocation"}, "group", "create", "--name", "learner-rg", "--location", "eastus")
	s.ok("group", "delete", "--name", "learner-rg", "--yes")
	s.fails([]string{"ResourceGroupNotFound", "learner-rg"}, "group", "show", "--name", "learner-rg")
	s.fails([]string{"InvalidResourceGroup"}, "group", "create", "--name", "bad name!", "--location", "eastus")
}
