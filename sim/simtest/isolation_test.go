package simtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// staticCred hands out one fixed token whatever is asked: a stolen token.
type staticCred struct{ tok azcore.AccessToken }

func (c staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return c.tok, nil
}

// secretCred is the labelled app's client-secret credential at tenant.
func secretCred(t testing.TB, b *box, tenant, label string, hc *http.Client) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant, b.principal(label).AppID, b.secret(label),
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts(hc)})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func getToken(t testing.TB, cred azcore.TokenCredential, scope string) (azcore.AccessToken, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{scope}})
}

// appServiceToken is what code on a site does by hand with IDENTITY_ENDPOINT
// and IDENTITY_HEADER (the App Service protocol, no MSAL cache involved).
func appServiceToken(hc *http.Client, header, resource string) (int, string, error) {
	u := entra.AppServiceIdentityEndpoint + "?api-version=" + entra.AppServiceAPIVersion + "&resource=" + url.QueryEscape(resource)
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("X-IDENTITY-HEADER", header)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body.AccessToken, nil
}

// TestIsolationTwoSandboxes: two walkthrough sandboxes in one cloud. A's
// tokens are rejected by B's vault and queue (issuer), A's app is unknown in
// B's tenant, and nothing A does (in process or through the proxy with its
// proxy credentials) lands in B's trace.
func TestIsolationTwoSandboxes(t *testing.T) {
	e := newEnv(t, "sbx-a", "sbx-b").withProxy()
	a, b := e.boxes["sbx-a"], e.boxes["sbx-b"]
	if a.w.TenantID() == b.w.TenantID() || a.names.Vault == b.names.Vault {
		t.Fatal("sandboxes share a tenant or a vault name")
	}
	// Both apps may read their own vault: any refusal below is isolation,
	// not a missing role.
	for _, x := range []*box{a, b} {
		x.grant(t, scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, x.vaultScope)
		x.grant(t, scenario.LabelLocalDev, rbac.RoleStorageQueueDataContributor, x.accountScope)
	}
	bBefore := len(e.since(b.id, 0))
	bLive, stop := e.cloud.Book().Subscribe(b.id) // what B's browser would stream
	defer stop()
	ctx := context.Background()

	ways := []struct {
		name string
		hc   *http.Client
		via  string
	}{
		{"in process", e.runner(world.Origin{SandboxID: a.id, Step: "isolation"}), "runner"},
		{"proxy", e.proxyClient(a.id), "proxy"},
	}
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			seq := e.lastSeq(a.id)
			credA := secretCred(t, a, a.w.TenantID(), scenario.LabelLocalDev, way.hc)
			kvTok, err := getToken(t, credA, entra.ResourceKeyVault+"/.default")
			if err != nil {
				t.Fatal(err)
			}
			stTok, err := getToken(t, credA, entra.ResourceStorage+"/.default")
			if err != nil {
				t.Fatal(err)
			}

			t.Run("A's token at B's vault: AKV10032", func(t *testing.T) {
				// A's own vault accepts it.
				own, _ := azsecrets.NewClient(a.vaultURL(), staticCred{kvTok}, &azsecrets.ClientOptions{ClientOptions: opts(way.hc)})
				if _, err := own.GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
					t.Fatalf("A's token at A's vault: %v", err)
				}
				// The SDK with the stolen token: the 401 is the issuer's.
				sc, _ := azsecrets.NewClient(b.vaultURL(), staticCred{kvTok}, &azsecrets.ClientOptions{
					ClientOptions: opts(way.hc), DisableChallengeResourceVerification: true})
				_, err := sc.GetSecret(ctx, scenario.SecretName, "", nil)
				if err == nil || !strings.Contains(err.Error(), "AKV10032") {
					t.Fatalf("GetSecret at B with A's token: %v", err)
				}
				// The raw wire, token on the first request.
				req, _ := http.NewRequest(http.MethodGet, b.vaultURL()+"/secrets/"+scenario.SecretName+"?api-version=7.5", nil)
				req.Header.Set("Authorization", "Bearer "+kvTok.Token)
				resp, err := way.hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "AKV10032: Invalid issuer") ||
					!strings.Contains(resp.Header.Get("WWW-Authenticate"), b.w.TenantID()) {
					t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
				}
			})

			t.Run("A's token at B's queue: InvalidAuthenticationInfo", func(t *testing.T) {
				svc, _ := azqueue.NewServiceClient(b.queueServiceURL(), staticCred{stTok}, &azqueue.ClientOptions{ClientOptions: opts(way.hc)})
				_, err := svc.NewQueueClient(scenario.QueueName).EnqueueMessage(ctx, "from A", nil)
				var re *azcore.ResponseError
				if !asResponseError(err, &re) || re.StatusCode != http.StatusUnauthorized || re.ErrorCode != "InvalidAuthenticationInfo" {
					t.Fatalf("EnqueueMessage at B with A's token: %v", err)
				}
			})

			t.Run("A's app unknown in B's tenant: AADSTS700016", func(t *testing.T) {
				cred := secretCred(t, a, b.w.TenantID(), scenario.LabelLocalDev, way.hc)
				_, err := getToken(t, cred, entra.ResourceKeyVault+"/.default")
				if err == nil || !strings.Contains(err.Error(), "AADSTS700016") || !strings.Contains(err.Error(), a.principal(scenario.LabelLocalDev).AppID) {
					t.Fatalf("token at B's tenant with A's client ID: %v", err)
				}
			})

			exs := e.since(a.id, seq)
			if len(exs) == 0 {
				t.Fatal("A's trace recorded nothing")
			}
			for _, ex := range exs {
				if ex.SandboxID != a.id || ex.Via != way.via {
					t.Errorf("A's trace has %s %s of sandbox %q via %q", ex.Method, ex.URL, ex.SandboxID, ex.Via)
				}
			}
			var sawB bool
			for _, ex := range exs {
				sawB = sawB || strings.Contains(ex.URL, b.names.Vault)
			}
			if !sawB {
				t.Errorf("A's calls to B's vault are not in A's trace:%s", describe(exs))
			}
		})
	}
	if got := e.since(b.id, 0); len(got) != bBefore {
		t.Errorf("B's trace gained A's exchanges:%s", describe(got[bBefore:]))
	}
	select {
	case ex := <-bLive:
		t.Errorf("B's live trace received %s %s", ex.Method, ex.URL)
	default:
	}
}

// TestIsolationConcurrentProxyClients: two sandboxes' programs read their own
// secrets through the proxy at the same time, each with its own proxy
// credentials; each trace holds exactly its own exchanges.
func TestIsolationConcurrentProxyClients(t *testing.T) {
	e := newEnv(t, "sbx-p-a", "sbx-p-b").withProxy()
	const rounds = 8
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for _, x := range e.boxes {
		x.grant(t, scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsUser, x.vaultScope)
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := e.proxyClient(x.id)
			cred, err := azidentity.NewClientSecretCredential(x.w.TenantID(), x.principal(scenario.LabelLocalDev).AppID,
				x.secret(scenario.LabelLocalDev), &azidentity.ClientSecretCredentialOptions{ClientOptions: opts(hc)})
			if err != nil {
				errs <- err
				return
			}
			for range rounds {
				// A new client each round: a challenge, a token (MSAL's
				// cache is per credential) and the call, each time.
				sc, _ := azsecrets.NewClient(x.vaultURL(), cred, &azsecrets.ClientOptions{ClientOptions: opts(hc)})
				if _, err := sc.GetSecret(context.Background(), scenario.SecretName, "", nil); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, x := range e.boxes {
		exs := e.since(x.id, 0)
		ok := 0
		for _, ex := range exs {
			if ex.SandboxID != x.id || ex.Via != "proxy" {
				t.Errorf("%s's trace: %s %s of %q", x.id, ex.Method, ex.URL, ex.SandboxID)
			}
			if ex.Service == "keyvault" && ex.Status == http.StatusOK {
				ok++
				if !strings.Contains(ex.URL, x.names.Vault) || claim(ex.Token, "tid") != x.w.TenantID() {
					t.Errorf("%s's trace has another sandbox's call %s", x.id, ex.URL)
				}
			}
		}
		if ok != rounds {
			t.Errorf("%s: %d successful reads in the trace, want %d:%s", x.id, ok, rounds, describe(exs))
		}
	}
}

func asResponseError(err error, target **azcore.ResponseError) bool {
	return errors.As(err, target)
}

// TestIsolationManagedIdentitiesConcurrently: the system-assigned identities
// of two sandboxes' main sites get tokens at the same time in one process,
// through IMDS (the real azidentity credential; msal-go's process-wide cache
// is kept out by the runner's 5-minute token cap) and through the App Service
// endpoint; every token carries its own tenant and site, and each sandbox's
// trace holds only its own site's exchanges.
func TestIsolationManagedIdentitiesConcurrently(t *testing.T) {
	e := newEnv(t, "sbx-mi-a", "sbx-mi-b")
	boxes := []*box{e.boxes["sbx-mi-a"], e.boxes["sbx-mi-b"]}
	for _, b := range boxes {
		// Only a virtual machine reaches IMDS (App Service has none): let
		// the main site's compute stand in for one, identity and all.
		if err := b.w.Update(context.Background(), func(tx *world.Tx) error {
			tx.State.Site(b.names.MainSite).Kind = "vm"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	type want struct{ tid, mirid, oid string }
	wants := map[string]want{}
	for _, b := range boxes {
		_, siteID := b.site(b.names.MainSite)
		wants[b.id] = want{b.w.TenantID(), siteID, b.label(scenario.LabelMainApp)}
	}
	check := func(id, tok string) string {
		c := trace.DecodeJWT(tok)
		w := wants[id]
		if claim(c, "tid") != w.tid || claim(c, "xms_mirid") != w.mirid || claim(c, "oid") != w.oid {
			return id + " got claims " + claim(c, "tid") + " " + claim(c, "xms_mirid")
		}
		return ""
	}
	const rounds = 10
	var wg sync.WaitGroup
	errs := make(chan string, rounds*len(boxes)*4)
	resources := []string{entra.ResourceKeyVault, entra.ResourceStorage}
	for r := range rounds {
		for _, b := range boxes {
			wg.Add(2)
			go func() { // IMDS, origin = the site
				defer wg.Done()
				o := b.onSite("imds")
				cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts(e.runner(o))})
				if err != nil {
					errs <- err.Error()
					return
				}
				tok, err := getToken(t, cred, resources[r%2]+"/.default")
				if err != nil {
					errs <- b.id + ": " + err.Error()
					return
				}
				if msg := check(b.id, tok.Token); msg != "" {
					errs <- "imds: " + msg
				}
			}()
			go func() { // App Service endpoint, the site's own header
				defer wg.Done()
				site, _ := b.site(b.names.MainSite)
				status, tok, err := appServiceToken(e.runner(b.onSite("appservice")), site.IdentityHeader, resources[r%2])
				if err != nil || status != http.StatusOK {
					errs <- b.id + ": app service " + http.StatusText(status)
					return
				}
				if msg := check(b.id, tok); msg != "" {
					errs <- "app service: " + msg
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	for _, b := range boxes {
		exs := e.since(b.id, 0)
		if len(exs) != rounds*2 {
			t.Errorf("%s: %d exchanges, want %d:%s", b.id, len(exs), rounds*2, describe(exs))
		}
		for _, ex := range exs {
			if ex.Site != b.names.MainSite || ex.Service != "managed-identity" || ex.Status != http.StatusOK ||
				claim(ex.Issued, "tid") != b.w.TenantID() {
				t.Errorf("%s's trace: %s %s site %q → %d", b.id, ex.Method, ex.URL, ex.Site, ex.Status)
			}
		}
	}
}

// TestIsolationSiteIdentityBoundToItsSite: code of sandbox A cannot get
// sandbox B's managed identity, whether it claims to run on B's site (IMDS)
// or presents B's site's IDENTITY_HEADER from A's site (App Service): the
// identity endpoints are local to the machine the code runs on.
func TestIsolationSiteIdentityBoundToItsSite(t *testing.T) {
	e := newEnv(t, "sbx-x-a", "sbx-x-b")
	a, b := e.boxes["sbx-x-a"], e.boxes["sbx-x-b"]
	bSite, _ := b.site(b.names.MainSite)

	t.Run("IMDS: A's runner claiming B's VM", func(t *testing.T) {
		// Make B's compute a VM, so IMDS would answer if the origin's
		// site were looked up anywhere but in A's own world.
		if err := b.w.Update(context.Background(), func(tx *world.Tx) error {
			tx.State.Site(b.names.MainSite).Kind = "vm"
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		o := world.Origin{SandboxID: a.id, Via: "runner", Site: b.names.MainSite}
		req, _ := http.NewRequest(http.MethodGet, "http://"+service.HostIMDS+"/metadata/identity/oauth2/token?api-version=2018-02-01&resource="+url.QueryEscape(entra.ResourceKeyVault), nil)
		req.Header.Set("Metadata", "true")
		resp, err := e.runner(o).Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Fatalf("A's code reached IMDS as B's VM: %d %s", resp.StatusCode, body)
		}
		if !strings.Contains(err.Error(), "no route to host") {
			t.Fatalf("unexpected error: %v", err)
		}
	})
	t.Run("App Service: B's header from A's site", func(t *testing.T) {
		status, tok, err := appServiceToken(e.runner(a.onSite("steal")), bSite.IdentityHeader, entra.ResourceKeyVault)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusUnauthorized || tok != "" {
			t.Fatalf("A's code got %d and a token for %q", status, claim(trace.DecodeJWT(tok), "xms_mirid"))
		}
	})
	t.Run("App Service: B's own header from B's site still works", func(t *testing.T) {
		status, tok, err := appServiceToken(e.runner(b.onSite("own")), bSite.IdentityHeader, entra.ResourceKeyVault)
		if err != nil || status != http.StatusOK || claim(trace.DecodeJWT(tok), "tid") != b.w.TenantID() {
			t.Fatalf("%d %v", status, err)
		}
	})
	if n := len(e.since(b.id, 0)); n != 1 {
		t.Errorf("B's trace has %d exchanges, want only B's own token request", n)
	}
}
