package entra

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func BenchmarkIssue(b *testing.B) {
	w := newWorld(b, nil, "sbx-bench")
	p := principal(b, w, scenario.LabelLocalDev)
	iss := NewIssuer(testKeys())
	now := w.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := iss.Issue(w, p, ResourceKeyVault, now); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkTokenEndpoint(b *testing.B) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(b, reg, "sbx-bench-ep")
	appID, secret := keychain(w, scenario.LabelLocalDev)
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret},
		"scope":  {"https://vault.azure.net/.default openid offline_access profile"},
		"claims": {`{"access_token":{"xms_cc":{"values":["CP1"]}}}`}}.Encode()
	target := "https://login.microsoftonline.com/" + w.TenantID() + "/oauth2/v2.0/token"
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body.String())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkValidate(b *testing.B) {
	ks := testKeys()
	w := newWorld(b, nil, "sbx-bench-val")
	tok, _, err := NewIssuer(ks).Issue(w, principal(b, w, scenario.LabelLocalDev), ResourceKeyVault, w.Now())
	if err != nil {
		b.Fatal(err)
	}
	v := NewValidator(ks)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, verr := v.Validate(tok, w, ResourceKeyVault); verr != nil {
			b.Fatal(verr)
		}
	}
}

// BenchmarkSignCeiling is the bare RS256 signature Issue is bounded by.
func BenchmarkSignCeiling(b *testing.B) {
	k := testKeys().active()
	sum := sha256.Sum256([]byte("header.payload"))
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(rand.Reader, k.priv, crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
}
