package entra

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestKeySetPEMRoundTripAndRotate(t *testing.T) {
	ks, err := GenerateKeySet()
	if err != nil {
		t.Fatal(err)
	}
	first := ks.ActiveKID()
	// kid is the base64url SHA-1 of the certificate, as Entra's.
	der := ks.active().certDER
	sum := sha1.Sum(der)
	if first != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Fatalf("kid %q is not the cert thumbprint", first)
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := ks.Rotate(); err != nil {
			t.Fatal(err)
		}
	}
	kids := ks.KIDs()
	if len(kids) != 3 || kids[0] != ks.ActiveKID() {
		t.Fatalf("after rotation kids = %v", kids)
	}
	for _, k := range kids {
		if k == first {
			t.Fatalf("oldest key %q should have been dropped", first)
		}
	}
	back, err := ParseKeySet(ks.PEM())
	if err != nil {
		t.Fatal(err)
	}
	if got := back.KIDs(); len(got) != 3 || got[0] != kids[0] || got[2] != kids[2] {
		t.Fatalf("parsed kids %v, want %v", got, kids)
	}
	if string(back.JWKS()) != string(ks.JWKS()) {
		t.Fatal("JWKS differs after PEM round trip")
	}
	for _, bad := range []string{"", "garbage", string(ks.PEM()[:200])} {
		if _, err := ParseKeySet([]byte(bad)); err == nil {
			t.Errorf("ParseKeySet(%.20q) succeeded", bad)
		}
	}
}

func TestIssueVerifiesWithJWTLibrary(t *testing.T) {
	ks := testKeys()
	w := newWorld(t, nil, "sbx-issue")
	tid := tenantOf(w)
	now := w.Now()
	cases := []struct {
		label, resource, wantAud, idtyp, appidacr string
	}{
		{"localDev", "https://vault.azure.net/.default", ResourceKeyVault, "app", "1"},
		{"mainApp", "https://storage.azure.com/", ResourceStorage, "app", "2"},
		{"developer", "https://management.azure.com/", ResourceARM, "user", "0"},
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			p := principal(t, w, tc.label)
			raw, exp, err := NewIssuer(ks).Issue(w, p, tc.resource, now)
			if err != nil {
				t.Fatal(err)
			}
			if d := exp.Sub(now.Truncate(time.Second)); d != LifetimeClientCredentials && d != LifetimeManagedIdentity {
				t.Fatalf("lifetime %v", d)
			}
			pubs := jwksKeys(t, ks.JWKS())
			tok, err := jwt.Parse(raw, func(tk *jwt.Token) (any, error) {
				if tk.Header["x5t"] != tk.Header["kid"] {
					t.Errorf("x5t != kid")
				}
				return pubs[tk.Header["kid"].(string)], nil
			}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
			if err != nil {
				t.Fatal(err)
			}
			c := tok.Claims.(jwt.MapClaims)
			if c["aud"] != tc.wantAud || c["iss"] != "https://sts.windows.net/"+tid+"/" || c["tid"] != tid ||
				c["oid"] != p.ObjectID || c["sub"] != p.ObjectID || c["ver"] != "1.0" || c["idtyp"] != tc.idtyp || c["appidacr"] != tc.appidacr {
				t.Fatalf("claims %v", c)
			}
			switch p.Kind {
			case world.KindUser:
				if c["appid"] != AzureCLIClientID || c["upn"] != p.UserPrincipalName || c["scp"] != "user_impersonation" {
					t.Fatalf("user claims %v", c)
				}
			case world.KindSystemAssigned:
				if c["xms_mirid"] != p.ResourceID || c["appid"] != p.AppID || p.ResourceID == "" {
					t.Fatalf("MI claims %v", c)
				}
			default:
				if c["appid"] != p.AppID || c["xms_mirid"] != nil {
					t.Fatalf("app claims %v", c)
				}
			}
			// Our own validator agrees.
			vc, verr := NewValidator(ks).Validate(raw, w, tc.wantAud)
			if verr != nil {
				t.Fatal(verr)
			}
			if vc.OID != p.ObjectID || vc.Aud != tc.wantAud {
				t.Fatalf("validated claims %+v", vc)
			}
		})
	}
	if _, _, err := NewIssuer(ks).Issue(w, principal(t, w, "localDev"), "https://example.com", now); err == nil {
		t.Fatal("unknown resource issued")
	}
}

func TestJWKSShape(t *testing.T) {
	ks := testKeys()
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(ks.JWKSForTenant("tid-1"), &doc); err != nil {
		t.Fatal(err)
	}
	k := doc.Keys[0]
	for _, f := range []string{"kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"} {
		if _, ok := k[f]; !ok {
			t.Errorf("jwk lacks %s", f)
		}
	}
	if k["issuer"] != "https://login.microsoftonline.com/tid-1/v2.0" || k["e"] != "AQAB" {
		t.Fatalf("jwk %v", k)
	}
}
