package keyvault

import (
	"context"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func apiKey(e *env) string {
	var k string
	e.w.View(func(s *world.State) { k = s.Site(e.names.ThirdPartySite).FunctionKeys["default"] })
	return k
}

// The first GetSecret of a fresh client is a challenge (no Authorization,
// 401), a token request, and the authorized retry; later calls go straight
// to the vault with the cached token.
func TestFirstGetSecretIsChallengeTokenCall(t *testing.T) {
	e := newEnv(t)
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, e.vaultScope())
	client := e.secrets(e.credential(scenario.LabelLocalDev))
	if n := len(e.rec.exchanges()); n != 0 {
		t.Fatalf("creating credential and client made %d requests, want 0", n)
	}

	resp, err := client.GetSecret(context.Background(), scenario.SecretName, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *resp.Value != apiKey(e) {
		t.Fatalf("value = %q, want the function key", *resp.Value)
	}
	all := e.rec.exchanges()
	kv := vaultExchanges(all)
	if len(kv) != 2 {
		t.Fatalf("vault requests = %d, want 2 (challenge, call): %+v", len(kv), all)
	}
	if kv[0].authorized || kv[0].status != 401 || kv[0].path != "/secrets/"+scenario.SecretName+"/" {
		t.Errorf("first vault request = %+v, want unauthenticated 401 on /secrets/%s/", kv[0], scenario.SecretName)
	}
	var tenant string
	e.w.View(func(s *world.State) { tenant = s.TenantID })
	want := `Bearer authorization="https://login.microsoftonline.com/` + tenant + `", resource="https://vault.azure.net"`
	if kv[0].challenge != want {
		t.Errorf("challenge = %q, want %q", kv[0].challenge, want)
	}
	if !kv[1].authorized || kv[1].status != 200 {
		t.Errorf("second vault request = %+v, want authorized 200", kv[1])
	}
	var tokenCalls int
	for _, x := range all {
		if strings.HasSuffix(x.path, "/oauth2/v2.0/token") {
			tokenCalls++
		}
		if x.host != kv[0].host && x.status >= 400 {
			t.Errorf("login exchange failed: %+v", x)
		}
	}
	if tokenCalls != 1 {
		t.Errorf("token requests = %d, want 1", tokenCalls)
	}
	// The vault's exchanges come in order challenge → (login) → call.
	if all[0].host != kv[0].host || all[len(all)-1].host != kv[1].host {
		t.Errorf("exchange order = %+v", all)
	}

	n := e.lastNotes()
	if n.SandboxID != e.w.ID() || n.Authn == nil || !n.Authn.OK || n.Authz == nil || !n.Authz.Allowed {
		t.Errorf("notes of the call = %+v", n)
	}
	if n.Token == nil || n.Token.Claims["aud"] != "https://vault.azure.net" {
		t.Errorf("notes token = %+v", n.Token)
	}
	if !strings.Contains(n.Authn.Subject, "oid="+e.label(scenario.LabelLocalDev)) {
		t.Errorf("authn subject = %q", n.Authn.Subject)
	}

	e.rec.reset()
	if _, err := client.GetSecret(context.Background(), scenario.SecretName, "", nil); err != nil {
		t.Fatal(err)
	}
	if xs := e.rec.exchanges(); len(xs) != 1 || !xs[0].authorized || xs[0].status != 200 {
		t.Errorf("warm call exchanges = %+v, want one authorized 200", xs)
	}
}
