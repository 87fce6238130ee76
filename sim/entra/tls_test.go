package entra

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// redirectTransport sends every request to one TLS server, keeping the URL's
// host in the Host header so the router still sees login.microsoftonline.com.
type redirectTransport struct {
	addr string
	next http.RoundTripper
}

func (t redirectTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.Host = r.URL.Host
	r2.URL.Host = t.addr
	return t.next.RoundTrip(r2)
}

func TestClientSecretCredentialOverTLS(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-tls")
	srv := httptest.NewTLSServer(s)
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport).Clone() // trusts srv's certificate
	opts := azcore.ClientOptions{Transport: &http.Client{Transport: redirectTransport{srv.Listener.Addr().String(), base}}}
	appID, secret := keychain(w, scenario.LabelLocalDev)

	cred, err := azidentity.NewClientSecretCredential(w.TenantID(), appID, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	at, err := getToken(t, cred, "https://vault.azure.net/.default")
	if err != nil {
		t.Fatal(err)
	}
	if c := verifyWithJWKS(t, opts, w.TenantID(), at.Token); c["appid"] != appID || c["aud"] != ResourceKeyVault {
		t.Fatalf("claims %v", c)
	}
	if seen := strings.Join(s.requests(), "\n"); !strings.Contains(seen, "GET login.microsoftonline.com/common/discovery/instance") {
		t.Fatalf("no instance discovery over TLS:\n%s", seen)
	}

	bad, _ := azidentity.NewClientSecretCredential(w.TenantID(), appID, "wrong", &azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if _, err := getToken(t, bad, "https://vault.azure.net/.default"); err == nil || !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Fatalf("err = %v", err)
	}
}
