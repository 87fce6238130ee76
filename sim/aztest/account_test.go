package aztest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/aztest"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
)

// az login (service principal, wrong secret, a principal without roles, the
// developer user with -u/-p), az account show and get-access-token.
func TestAzLoginAndAccount(t *testing.T) {
	t.Parallel()
	s := aztest.New(t, "sbx-az-login")
	owner := s.Principal(scenario.LabelOwner)
	localDev := s.Principal(scenario.LabelLocalDev)
	dev := s.Principal(scenario.LabelDeveloper)
	tenant, sub := s.W.TenantID(), s.W.SubscriptionID()

	t.Run("wrong secret: AADSTS7000215 from Entra", func(t *testing.T) {
		s := s.With(t)
		s.Fails([]string{"AADSTS7000215", localDev.AppID},
			"login", "--service-principal", "-u", localDev.AppID, "-p=not-the-secret", "--tenant", tenant)
		aztest.Sent(t, s.Since(0), "POST", "/"+tenant+"/oauth2/v2.0/token", http.StatusUnauthorized)
	})
	t.Run("a principal without roles sees no subscription", func(t *testing.T) {
		s := s.With(t)
		s.Fails([]string{"No subscriptions found for " + localDev.AppID},
			"login", "--service-principal", "-u", localDev.AppID, "-p="+s.Secret(scenario.LabelLocalDev), "--tenant", tenant)
	})
	t.Run("owner service principal", func(t *testing.T) {
		s := s.With(t)
		seq := s.LastSeq()
		out := aztest.List(s.OK("login", "--service-principal", "-u", owner.AppID, "-p="+s.Secret(scenario.LabelOwner), "--tenant", tenant))
		if len(out) != 1 || aztest.Field(out[0], "id") != sub || aztest.Field(out[0], "tenantId") != tenant ||
			aztest.Field(out[0], "user", "type") != "servicePrincipal" || aztest.Field(out[0], "user", "name") != owner.AppID {
			t.Fatalf("login output %v", out)
		}
		exs := s.Since(seq)
		aztest.Sent(t, exs, "POST", "/"+tenant+"/oauth2/v2.0/token", http.StatusOK)
		aztest.Sent(t, exs, "GET", "management.azure.com/subscriptions?api-version=", http.StatusOK)
	})
	t.Run("account show", func(t *testing.T) {
		s := s.With(t)
		acct := s.OK("account", "show")
		if aztest.Field(acct, "id") != sub || aztest.Field(acct, "name") == "" || aztest.Field(acct, "state") != "Enabled" || aztest.Field(acct, "isDefault") != "true" {
			t.Errorf("account %v", acct)
		}
	})
	t.Run("get-access-token for Key Vault", func(t *testing.T) {
		s := s.With(t)
		tok := s.OK("account", "get-access-token", "--resource", "https://vault.azure.net")
		claims := jwtClaims(t, aztest.Field(tok, "accessToken"))
		if claims["aud"] != "https://vault.azure.net" || claims["appid"] != owner.AppID || claims["tid"] != tenant ||
			aztest.Field(tok, "tokenType") != "Bearer" || aztest.Field(tok, "subscription") != sub {
			t.Errorf("token %v claims %v", tok, claims)
		}
	})
	t.Run("developer user with -u/-p", func(t *testing.T) {
		s := s.With(t)
		seq := s.LastSeq()
		out := aztest.List(s.OK("login", "-u", dev.UserPrincipalName, "-p="+s.Secret(scenario.LabelDeveloper)))
		if len(out) != 1 || aztest.Field(out[0], "user", "type") != "user" || aztest.Field(out[0], "user", "name") != dev.UserPrincipalName ||
			aztest.Field(out[0], "id") != sub {
			t.Fatalf("login output %v", out)
		}
		exs := s.Since(seq)
		aztest.Sent(t, exs, "GET", "/common/userrealm/", http.StatusOK)
		aztest.Sent(t, exs, "GET", "management.azure.com/tenants?", http.StatusOK)
		tok := s.OK("account", "get-access-token")
		if c := jwtClaims(t, aztest.Field(tok, "accessToken")); c["upn"] != dev.UserPrincipalName || c["oid"] != dev.ObjectID {
			t.Errorf("user token claims %v", c)
		}
	})
	t.Run("developer user with a wrong password", func(t *testing.T) {
		s := s.With(t)
		s.Fails([]string{"AADSTS50126"}, "login", "-u", dev.UserPrincipalName, "-p=wrong-password")
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
	s := aztest.New(t, "sbx-az-groups")
	s.LoginOwner()
	g := s.OK("group", "show", "--name", scenario.ResourceGroup)
	if aztest.Field(g, "id") != s.RGID() || aztest.Field(g, "properties", "provisioningState") != "Succeeded" {
		t.Errorf("show %v", g)
	}
	seq := s.LastSeq()
	g = s.OK("group", "create", "--name", "learner-rg", "--location", "westeurope")
	if aztest.Field(g, "name") != "learner-rg" || aztest.Field(g, "location") != "westeurope" {
		t.Errorf("create %v", g)
	}
	aztest.Sent(t, s.Since(seq), "PUT", "/resourcegroups/learner-rg?api-version=", http.StatusCreated)
	s.OK("group", "delete", "--name", "learner-rg", "--yes")
	s.Fails([]string{"ResourceGroupNotFound", "learner-rg"}, "group", "show", "--name", "learner-rg")
	s.Fails([]string{"InvalidResourceGroup"}, "group", "create", "--name", "bad name!", "--location", "eastus")
}
