package entra

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func getToken(t *testing.T, cred azcore.TokenCredential, scope string) (azcore.AccessToken, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
}

// verifyWithJWKS fetches the tenant's JWKS over the wire and verifies raw
// with a standard JWT library.
func verifyWithJWKS(t *testing.T, opts azcore.ClientOptions, tid, raw string) jwt.MapClaims {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://login.microsoftonline.com/"+tid+"/discovery/v2.0/keys", nil)
	resp, err := opts.Transport.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("keys: %d %s", resp.StatusCode, doc)
	}
	pubs := jwksKeys(t, doc)
	tok, err := jwt.Parse(raw, func(tk *jwt.Token) (any, error) {
		k, ok := pubs[tk.Header["kid"].(string)]
		if !ok {
			t.Fatalf("kid %v not in JWKS", tk.Header["kid"])
		}
		return k, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return tok.Claims.(jwt.MapClaims)
}

func TestClientSecretCredential(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-csc")
	tid := w.TenantID()
	appID, secret := keychain(w, scenario.LabelLocalDev)
	opts := &azidentity.ClientSecretCredentialOptions{ClientOptions: s.clientOptions()}

	t.Run("token verifies against JWKS", func(t *testing.T) {
		cred, err := azidentity.NewClientSecretCredential(tid, appID, secret, opts)
		if err != nil {
			t.Fatal(err)
		}
		at, err := getToken(t, cred, "https://vault.azure.net/.default")
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Until(at.ExpiresOn); d < 59*time.Minute || d > 61*time.Minute {
			t.Fatalf("ExpiresOn in %v", d)
		}
		c := verifyWithJWKS(t, s.clientOptions(), tid, at.Token)
		if c["aud"] != ResourceKeyVault || c["appid"] != appID || c["iss"] != V1Issuer(tid) || c["idtyp"] != "app" {
			t.Fatalf("claims %v", c)
		}
		// MSAL did instance discovery (left on) and OIDC discovery.
		seen := strings.Join(s.requests(), "\n")
		for _, want := range []string{"GET login.microsoftonline.com/common/discovery/instance",
			"GET login.microsoftonline.com/" + tid + "/v2.0/.well-known/openid-configuration",
			"POST login.microsoftonline.com/" + tid + "/oauth2/v2.0/token"} {
			if !strings.Contains(seen, want) {
				t.Errorf("no %q in\n%s", want, seen)
			}
		}
	})

	fails := []struct {
		name, tenant, client, secret, want string
	}{
		{"wrong secret", tid, appID, secret + "x", "AADSTS7000215"},
		{"unknown client", tid, world.NewGUID(), secret, "AADSTS700016"},
		{"unknown tenant", world.NewGUID(), appID, secret, "AADSTS90002"},
		{"tenant by domain wrong secret", "", appID, "nope", "AADSTS7000215"},
	}
	for _, tc := range fails {
		t.Run(tc.name, func(t *testing.T) {
			tenant := tc.tenant
			if tenant == "" {
				w.View(func(st *world.State) { tenant = st.TenantDomain })
			}
			cred, err := azidentity.NewClientSecretCredential(tenant, tc.client, tc.secret, opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = getToken(t, cred, "https://vault.azure.net/.default")
			t.Logf("SDK error: %v", err)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}

	t.Run("expired secret", func(t *testing.T) {
		w2 := newWorld(t, reg, "sbx-csc-expired")
		appID, secret := keychain(w2, scenario.LabelLocalDev)
		if err := w2.Update(context.Background(), func(tx *world.Tx) error {
			tx.State.ClockOffset = scenario.SecretLifetime + 24*time.Hour
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		cred, err := azidentity.NewClientSecretCredential(w2.TenantID(), appID, secret, opts)
		if err != nil {
			t.Fatal(err)
		}
		_, err = getToken(t, cred, "https://vault.azure.net/.default")
		if err == nil || !strings.Contains(err.Error(), "AADSTS7000222") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestManagedIdentityAppService(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-appsvc")
	mi := principal(t, w, scenario.LabelMainApp)
	var header string
	w.View(func(st *world.State) {
		header = st.Site(scenario.ResourcesOf(st).MainSite).IdentityHeader
	})
	t.Setenv("IDENTITY_ENDPOINT", AppServiceIdentityEndpoint)
	t.Setenv("IDENTITY_HEADER", header)
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: s.clientOptions()})
	if err != nil {
		t.Fatal(err)
	}
	// msal-go caches MI tokens process-wide per resource: each MI test uses
	// its own resource so no test sees another's token.
	at, err := getToken(t, cred, "https://vault.azure.net/.default")
	if err != nil {
		t.Fatal(err)
	}
	c := verifyWithJWKS(t, s.clientOptions(), w.TenantID(), at.Token)
	if c["oid"] != mi.ObjectID || c["xms_mirid"] != mi.ResourceID || c["appid"] != mi.AppID || c["aud"] != ResourceKeyVault {
		t.Fatalf("claims %v", c)
	}
	if d := time.Until(at.ExpiresOn); d < 23*time.Hour {
		t.Fatalf("MI token lives %v", d)
	}

	t.Run("wrong header", func(t *testing.T) {
		t.Setenv("IDENTITY_HEADER", "not-a-site")
		cred, _ := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: s.clientOptions()})
		_, err := getToken(t, cred, "https://management.azure.com/.default")
		if err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unassigned user identity", func(t *testing.T) {
		cred, _ := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: s.clientOptions(), ID: azidentity.ClientID(world.NewGUID())})
		_, err := getToken(t, cred, "https://management.azure.com/.default")
		if err == nil || !strings.Contains(err.Error(), "No managed identity found") {
			t.Fatalf("err = %v", err)
		}
	})
}

func mainSite(w *world.World) (name string) {
	w.View(func(st *world.State) { name = scenario.ResourcesOf(st).MainSite })
	return
}

func TestManagedIdentityIMDS(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-imds")
	mi := principal(t, w, scenario.LabelMainApp)
	onSite := world.Origin{SandboxID: w.ID(), Via: "runner", Site: mainSite(w)}

	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: s.clientOptionsFrom(onSite)})
	if err != nil {
		t.Fatal(err)
	}
	at, err := getToken(t, cred, "https://storage.azure.com/.default")
	if err != nil {
		t.Fatal(err)
	}
	c := verifyWithJWKS(t, s.clientOptions(), w.TenantID(), at.Token)
	if c["oid"] != mi.ObjectID || c["xms_mirid"] != mi.ResourceID || c["aud"] != ResourceStorage {
		t.Fatalf("claims %v", c)
	}

	t.Run("selected by object id", func(t *testing.T) {
		cred, _ := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: s.clientOptionsFrom(onSite), ID: azidentity.ObjectID(mi.ObjectID)})
		at, err := getToken(t, cred, "https://storage.azure.com/.default")
		if err != nil {
			t.Fatal(err)
		}
		if c := verifyWithJWKS(t, s.clientOptions(), w.TenantID(), at.Token); c["oid"] != mi.ObjectID {
			t.Fatalf("claims %v", c)
		}
	})
	t.Run("workstation has no identity", func(t *testing.T) {
		cred, _ := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: s.clientOptionsFrom(world.Origin{SandboxID: w.ID(), Via: "runner"})})
		_, err := getToken(t, cred, "https://management.azure.com/.default")
		if err == nil || !strings.Contains(err.Error(), "Identity not found") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unassigned client id", func(t *testing.T) {
		cred, _ := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ClientOptions: s.clientOptionsFrom(onSite), ID: azidentity.ClientID(world.NewGUID())})
		_, err := getToken(t, cred, "https://management.azure.com/.default")
		if err == nil || !strings.Contains(err.Error(), "the requested identity isn't assigned to this resource") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestDefaultAzureCredential(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	s := newSim(reg)
	w := newWorld(t, reg, "sbx-dac")
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TOKEN_CREDENTIALS",
		"AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "AZURE_USERNAME"} {
		t.Setenv(k, "") // restores the old value after the test
		os.Unsetenv(k)
	}
	t.Run("environment credential", func(t *testing.T) {
		appID, secret := keychain(w, scenario.LabelLocalDev)
		t.Setenv("AZURE_TENANT_ID", w.TenantID())
		t.Setenv("AZURE_CLIENT_ID", appID)
		t.Setenv("AZURE_CLIENT_SECRET", secret)
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: s.clientOptions()})
		if err != nil {
			t.Fatal(err)
		}
		at, err := getToken(t, cred, "https://management.azure.com/.default")
		if err != nil {
			t.Fatal(err)
		}
		if c := verifyWithJWKS(t, s.clientOptions(), w.TenantID(), at.Token); c["appid"] != appID || c["aud"] != ResourceARM {
			t.Fatalf("claims %v", c)
		}
	})
	t.Run("managed identity on the site", func(t *testing.T) {
		mi := principal(t, w, scenario.LabelMainApp)
		onSite := world.Origin{SandboxID: w.ID(), Via: "runner", Site: mainSite(w)}
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: s.clientOptionsFrom(onSite)})
		if err != nil {
			t.Fatal(err)
		}
		at, err := getToken(t, cred, "https://management.azure.com/.default")
		if err != nil {
			t.Fatal(err)
		}
		if c := verifyWithJWKS(t, s.clientOptions(), w.TenantID(), at.Token); c["oid"] != mi.ObjectID || c["xms_mirid"] != mi.ResourceID {
			t.Fatalf("claims %v", c)
		}
	})
}
