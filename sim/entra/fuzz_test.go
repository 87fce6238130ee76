package entra

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func FuzzTokenEndpoint(f *testing.F) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(f, reg, "sbx-fuzz")
	appID, secret := keychain(w, scenario.LabelLocalDev)
	user := principal(f, w, scenario.LabelDeveloper)
	f.Add(w.TenantID(), "grant_type=client_credentials&client_id="+appID+"&client_secret="+secret+"&scope=https://vault.azure.net/.default")
	f.Add(w.TenantID(), "grant_type=password&client_id="+AzureCLIClientID+"&username="+user.UserPrincipalName+"&password=x&scope=https://vault.azure.net/.default")
	f.Add("organizations", "grant_type=password&username=a@b&password=x&client_id=1&scope=openid")
	f.Add(w.TenantID(), "grant_type=refresh_token&client_id=x&refresh_token=1.Aabc.def&scope=https://vault.azure.net/.default")
	f.Add(w.TenantID(), "%zz&&==;grant_type")
	f.Add("common", "grant_type=client_credentials&scope=%20%20/.default")
	f.Fuzz(func(t *testing.T, tenant, body string) {
		if tenant == "" {
			tenant = w.TenantID()
		}
		req := httptest.NewRequest(http.MethodPost, "https://login.microsoftonline.com/"+url.PathEscape(tenant)+"/oauth2/v2.0/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 && (rec.Code < 400 || rec.Code > 499) {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		// A tenant holding "/" makes another path: a plain 404, like Entra.
		if rec.Code != 200 && rec.Code != 404 && !strings.Contains(rec.Body.String(), `"error_codes":[`) {
			t.Fatalf("not an Entra error: %s", rec.Body)
		}
	})
}

func FuzzValidate(f *testing.F) {
	ks := testKeys()
	w := newWorld(f, nil, "sbx-fuzz-val")
	good, _, err := NewIssuer(ks).Issue(w, principal(f, w, scenario.LabelLocalDev), ResourceKeyVault, w.Now())
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	f.Add(good)
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.e30.AAAA")
	f.Add("..")
	v := NewValidator(ks)
	f.Fuzz(func(t *testing.T, raw string) {
		c, verr := v.Validate(raw, w, ResourceKeyVault)
		if verr == nil && (c == nil || c.Aud != ResourceKeyVault) {
			t.Fatalf("accepted %q with claims %+v", raw, c)
		}
		if verr == nil && raw != good {
			// Only a token we signed can pass.
			if _, err := NewValidator(ks).Validate(raw, w, ResourceKeyVault); err != nil {
				t.Fatal("non-deterministic validation")
			}
		}
	})
}
