package keyvault

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestBadTokens(t *testing.T) {
	e := newEnv(t)
	other, err := scenario.Build(context.Background(), e.reg, "sbx-other", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	var tenant, otherTenant string
	e.w.View(func(s *world.State) { tenant = s.TenantID })
	other.View(func(s *world.State) { otherTenant = s.TenantID })
	var otherDev world.Principal
	other.View(func(s *world.State) { otherDev = *s.Principals[s.Labels[scenario.LabelLocalDev]] })
	foreign, _, err := e.iss.Issue(other, &otherDev, entra.ResourceKeyVault, other.Now())
	if err != nil {
		t.Fatal(err)
	}
	rogueKeys, err := entra.GenerateKeySet()
	if err != nil {
		t.Fatal(err)
	}
	rogue, _, err := entra.NewIssuer(rogueKeys).Issue(e.w, e.principal(scenario.LabelLocalDev), entra.ResourceKeyVault, e.w.Now())
	if err != nil {
		t.Fatal(err)
	}
	expiring := e.token(scenario.LabelLocalDev, entra.ResourceKeyVault)

	tests := []struct {
		name    string
		token   func() string
		code    string
		message string
	}{
		{"missing", func() string { return "" }, "AKV10000", "AKV10000: Request is missing a Bearer or PoP token."},
		{"storage audience", func() string { return e.token(scenario.LabelLocalDev, entra.ResourceStorage) }, "AKV10022",
			"AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://storage.azure.com."},
		{"management audience", func() string { return e.token(scenario.LabelLocalDev, entra.ResourceARM) }, "AKV10022",
			"AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com/."},
		{"other sandbox's tenant", func() string { return foreign }, "AKV10032",
			"AKV10032: Invalid issuer. Expected one of https://sts.windows.net/" + tenant + "/, found https://sts.windows.net/" + otherTenant + "/."},
		{"signed by unknown key", func() string { return rogue }, "AKV10046", "AKV10046: Unable to resolve the key used for signature validation."},
		{"altered after signing", func() string { return tamper(e.token(scenario.LabelLocalDev, entra.ResourceKeyVault)) }, "AKV10033", "AKV10033: Signature validation failed."},
		{"malformed", func() string { return "not-a-jwt" }, "AKV10001", "AKV10001: Bearer token is malformed."},
		{"expired", func() string { e.advance(2 * time.Hour); return expiring }, "AKV10013", "AKV10013: Token is expired."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("GET", "/secrets/"+scenario.SecretName+"/?api-version=2026-04-01", tt.token(), "")
			code, msg, _ := r.errorCode()
			if r.status != 401 || code != "Unauthorized" || !strings.HasPrefix(msg, tt.message) {
				t.Fatalf("got %d %s, want 401 %q", r.status, r.body, tt.message)
			}
			want := `Bearer authorization="https://login.microsoftonline.com/` + tenant + `", resource="https://vault.azure.net"`
			if got := r.header.Get("WWW-Authenticate"); got != want {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
			n := e.lastNotes()
			if n.Authn == nil || n.Authn.OK || n.Authn.Code != tt.code || n.Authn.Reason == "" || n.Authz != nil {
				t.Errorf("notes = %+v / %+v", n.Authn, n.Authz)
			}
			if n.SandboxID != e.w.ID() {
				t.Errorf("sandbox = %q", n.SandboxID)
			}
		})
	}
}

func TestUnknownVault(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/secrets/x?api-version=7.4", "", "")
	if r.status != 401 {
		t.Fatalf("known vault: %d", r.status)
	}
	rec := e.client
	resp, err := rec.Get("https://nosuchvault" + service.SuffixKeyVault + "/secrets/x?api-version=7.4")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || e.lastNotes().SandboxID != "" {
		t.Errorf("unknown vault: %d, notes %+v", resp.StatusCode, e.lastNotes())
	}
}

func TestVaultName(t *testing.T) {
	for host, want := range map[string]string{
		"kv1.vault.azure.net":      "kv1",
		"KV1.Vault.Azure.Net:443":  "kv1",
		"kv1.vault.azure.net.":     "kv1",
		"a.b.vault.azure.net":      "",
		"vault.azure.net":          "",
		"kv1.vault.azure.net.evil": "",
		"":                         "",
	} {
		if got := VaultName(host); got != want {
			t.Errorf("VaultName(%q) = %q, want %q", host, got, want)
		}
	}
}

// tamper rewrites a token's payload (oid) and keeps the signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	b = bytes.Replace(b, []byte(`"oid":"`), []byte(`"oid":"0`), 1)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}
