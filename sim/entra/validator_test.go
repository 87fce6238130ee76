package entra

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestValidate(t *testing.T) {
	ks := testKeys()
	reg := world.NewRegistry(nil, nil)
	w := newWorld(t, reg, "sbx-val")
	other := newWorld(t, reg, "sbx-val-other")
	iss := NewIssuer(ks)
	v := NewValidator(ks)
	now := w.Now()
	p := principal(t, w, scenario.LabelLocalDev)
	good, _, err := iss.Issue(w, p, ResourceKeyVault, now)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, _ := iss.Issue(other, principal(t, other, scenario.LabelLocalDev), ResourceKeyVault, other.Now())
	expired, _, _ := iss.Issue(w, p, ResourceKeyVault, now.Add(-2*time.Hour))
	future, _, _ := iss.Issue(w, p, ResourceKeyVault, now.Add(time.Hour))
	justExpired, _, _ := iss.IssueWith(w, p, IssueOptions{Resource: ResourceKeyVault, Now: now.Add(-time.Hour), Lifetime: time.Hour - 4*time.Minute})

	parts := strings.Split(good, ".")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(good, claims); err != nil {
		t.Fatal(err)
	}
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	hsTok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hsTok.Header["kid"] = ks.ActiveKID()
	hs, err := hsTok.SignedString(ks.active().priv.PublicKey.N.Bytes()) // key confusion attack
	if err != nil {
		t.Fatal(err)
	}
	otherKS, err := GenerateKeySet()
	if err != nil {
		t.Fatal(err)
	}
	unknownKid, _, _ := NewIssuer(otherKS).Issue(w, p, ResourceKeyVault, now)
	sig := []byte(parts[2])
	if sig[10] == 'A' {
		sig[10] = 'B'
	} else {
		sig[10] = 'A'
	}
	tampered := parts[0] + "." + parts[1] + "." + string(sig)
	// Swapped payload, original signature.
	forged := parts[0] + "." + strings.Split(foreign, ".")[1] + "." + parts[2]

	cases := []struct {
		name, raw, kind, expected, found string
		auds                             []string
	}{
		{"good", good, "", "", "", []string{ResourceKeyVault}},
		{"good with slash audience", good, "", "", "", []string{"https://vault.azure.net/"}},
		{"within skew", justExpired, "", "", "", []string{ResourceKeyVault}},
		{"not a jwt", "abc", InvalidMalformed, "", "", nil},
		{"garbage segments", "a.b.c", InvalidMalformed, "", "", nil},
		{"alg none", none, InvalidAlgorithm, "RS256", "none", nil},
		{"HS256 with public key", hs, InvalidAlgorithm, "RS256", "HS256", nil},
		{"unknown kid", unknownKid, InvalidSignature, "", otherKS.ActiveKID(), nil},
		{"tampered signature", tampered, InvalidSignature, "", ks.ActiveKID(), nil},
		{"swapped payload", forged, InvalidSignature, "", ks.ActiveKID(), nil},
		{"other world's token", foreign, InvalidIssuer, V1Issuer(w.TenantID()), V1Issuer(other.TenantID()), []string{ResourceKeyVault}},
		{"wrong audience", good, InvalidAudience, ResourceStorage, ResourceKeyVault, []string{ResourceStorage}},
		{"expired", expired, InvalidLifetime, "", "", []string{ResourceKeyVault}},
		{"not yet valid", future, InvalidLifetime, "", "", []string{ResourceKeyVault}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, verr := v.Validate(tc.raw, w, tc.auds...)
			if tc.kind == "" {
				if verr != nil {
					t.Fatalf("rejected: %v", verr)
				}
				if c.OID != p.ObjectID || c.AppID != p.AppID || c.Expires.IsZero() || c.Caller() != "appid="+p.AppID+";oid="+p.ObjectID+";iss="+V1Issuer(w.TenantID()) {
					t.Fatalf("claims %+v", c)
				}
				return
			}
			if verr == nil {
				t.Fatal("accepted")
			}
			if verr.Kind != tc.kind || verr.Detail == "" {
				t.Fatalf("kind %q (%v), want %q", verr.Kind, verr, tc.kind)
			}
			if tc.expected != "" && verr.Expected != tc.expected {
				t.Fatalf("expected %q, want %q", verr.Expected, tc.expected)
			}
			if tc.found != "" && verr.Found != tc.found {
				t.Fatalf("found %q, want %q", verr.Found, tc.found)
			}
		})
	}

	t.Run("rotation keeps old tokens valid", func(t *testing.T) {
		ks2, _ := ParseKeySet(ks.PEM())
		old, _, _ := NewIssuer(ks2).Issue(w, p, ResourceKeyVault, now)
		if err := ks2.Rotate(); err != nil {
			t.Fatal(err)
		}
		fresh, _, _ := NewIssuer(ks2).Issue(w, p, ResourceKeyVault, now)
		for _, tok := range []string{old, fresh} {
			if _, verr := NewValidator(ks2).Validate(tok, w, ResourceKeyVault); verr != nil {
				t.Fatal(verr)
			}
		}
		if strings.Split(fresh, ".")[0] == strings.Split(old, ".")[0] {
			t.Fatal("rotation did not change the signing key")
		}
	})

	t.Run("sandbox clock moves", func(t *testing.T) {
		w3 := newWorld(t, reg, "sbx-val-clock")
		tok, _, _ := iss.Issue(w3, principal(t, w3, scenario.LabelLocalDev), ResourceKeyVault, w3.Now())
		if _, verr := v.Validate(tok, w3, ResourceKeyVault); verr != nil {
			t.Fatal(verr)
		}
		_ = w3.Update(context.Background(), func(tx *world.Tx) error { tx.State.ClockOffset = 2 * time.Hour; return nil })
		if _, verr := v.Validate(tok, w3, ResourceKeyVault); verr == nil || verr.Kind != InvalidLifetime {
			t.Fatalf("after clock move: %v", verr)
		}
	})
}

// TestSandboxIsolation: a token from sandbox A, presented to sandbox B's
// resource server, fails on its issuer, and A's principals cannot sign in
// at B's tenant.
func TestSandboxIsolation(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	a := newWorld(t, reg, "sbx-a")
	b := newWorld(t, reg, "sbx-b")
	appA, secretA := keychain(a, scenario.LabelLocalDev)
	rec, _ := post(s, a.TenantID(), map[string][]string{"grant_type": {"client_credentials"}, "client_id": {appA},
		"client_secret": {secretA}, "scope": {"https://vault.azure.net/.default"}})
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	tok := jsonField(t, rec.Body.Bytes(), "access_token")
	v := NewValidator(s.keys)
	if _, verr := v.Validate(tok, a, ResourceKeyVault); verr != nil {
		t.Fatalf("A rejects its own token: %v", verr)
	}
	_, verr := v.Validate(tok, b, ResourceKeyVault)
	if verr == nil || verr.Kind != InvalidIssuer || verr.Found != V1Issuer(a.TenantID()) || verr.Expected != V1Issuer(b.TenantID()) {
		t.Fatalf("B: %+v", verr)
	}
	// A's app is unknown in B's tenant.
	rec, _ = post(s, b.TenantID(), map[string][]string{"grant_type": {"client_credentials"}, "client_id": {appA},
		"client_secret": {secretA}, "scope": {"https://vault.azure.net/.default"}})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "AADSTS700016") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

// A token whose signature was verified once is not verified again, but its
// lifetime, audience and issuer still are, on every use: the memo never
// lets an expired or misdirected token through.
func TestValidateRemembersOnlyTheSignature(t *testing.T) {
	ks := testKeys()
	reg := world.NewRegistry(nil, nil)
	w := newWorld(t, reg, "sbx-memo")
	other := newWorld(t, reg, "sbx-memo-other")
	v := NewValidator(ks)
	tok, _, err := NewIssuer(ks).Issue(w, principal(t, w, scenario.LabelLocalDev), ResourceKeyVault, w.Now())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		c, verr := v.Validate(tok, w, ResourceKeyVault)
		if verr != nil || c.Aud != ResourceKeyVault {
			t.Fatalf("use %d: %v", i, verr)
		}
		c.Aud = "changed by a caller" // a caller's copy: the memo keeps its own
	}
	if len(v.verified) != 1 {
		t.Errorf("memo holds %d tokens, want 1", len(v.verified))
	}
	if _, verr := v.Validate(tok, w, ResourceStorage); verr == nil || verr.Kind != InvalidAudience {
		t.Errorf("remembered token for another audience: %v", verr)
	}
	if _, verr := v.Validate(tok, other, ResourceKeyVault); verr == nil || verr.Kind != InvalidIssuer {
		t.Errorf("remembered token in another tenant: %v", verr)
	}
	if err := w.Update(context.Background(), func(tx *world.Tx) error {
		tx.State.ClockOffset = 2 * time.Hour
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, verr := v.Validate(tok, w, ResourceKeyVault); verr == nil || verr.Kind != InvalidLifetime {
		t.Errorf("remembered token after it expired: %v", verr)
	}
	// Bounded: a flood of distinct tokens does not grow it without limit.
	for i := range maxVerified + 10 {
		tok, _, _ := NewIssuer(ks).Issue(w, principal(t, w, scenario.LabelLocalDev), ResourceKeyVault, w.Now().Add(time.Duration(i)*time.Second))
		v.Validate(tok, w, ResourceKeyVault)
	}
	if len(v.verified) > maxVerified {
		t.Errorf("memo holds %d tokens, more than %d", len(v.verified), maxVerified)
	}
}
