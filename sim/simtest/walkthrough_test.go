package simtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// mainApp is the walkthrough's main app as code running on its App Service
// site: a managed-identity credential, a secrets client, the third-party API
// and a queue client, all through one in-process transport at origin o.
type mainApp struct {
	http    *http.Client
	secrets *azsecrets.Client
	queue   *azqueue.QueueClient
}

func newMainApp(tb testing.TB, e *env, b *box, cred azcore.TokenCredential, o world.Origin) *mainApp {
	tb.Helper()
	return newMainAppWith(tb, b, cred, e.runner(o))
}

func newMainAppWith(tb testing.TB, b *box, cred azcore.TokenCredential, hc *http.Client) *mainApp {
	tb.Helper()
	sc, err := azsecrets.NewClient(b.vaultURL(), cred, &azsecrets.ClientOptions{ClientOptions: opts(hc)})
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := azqueue.NewServiceClient(b.queueServiceURL(), cred, &azqueue.ClientOptions{ClientOptions: opts(hc)})
	if err != nil {
		tb.Fatal(err)
	}
	return &mainApp{http: hc, secrets: sc, queue: svc.NewQueueClient(scenario.QueueName)}
}

// callAPI calls the third-party API with its key and returns the number.
func (a *mainApp) callAPI(ctx context.Context, url, key string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("x-functions-key", key)
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, errors.New("third-party API: " + resp.Status)
	}
	return strconv.Atoi(strings.TrimSpace(string(body)))
}

// appServiceIdentity sets the environment App Service gives code on site
// (IDENTITY_ENDPOINT / IDENTITY_HEADER) for the duration of the test.
func appServiceIdentity(t *testing.T, b *box) {
	site, _ := b.site(b.names.MainSite)
	t.Setenv("IDENTITY_ENDPOINT", entra.AppServiceIdentityEndpoint)
	t.Setenv("IDENTITY_HEADER", site.IdentityHeader)
}

// responseCode is the error code of an SDK call's *azcore.ResponseError.
func responseCode(t *testing.T, err error) (int, string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a *azcore.ResponseError", err)
	}
	return re.StatusCode, re.ErrorCode
}

// TestWalkthroughOnAppService is the walkthrough end to end: code on the main
// App Service site authenticates with its system-assigned managed identity
// (App Service protocol, the real azidentity ManagedIdentityCredential),
// reads the third-party key from Key Vault once Key Vault Secrets User is
// granted, calls the third-party API with it, and sends a queue message,
// which is refused (AuthorizationPermissionMismatch) until Storage Queue Data
// Message Sender is granted. The trace shows every exchange with its service,
// authentication and authorization decision; every token is the site's.
func TestWalkthroughOnAppService(t *testing.T) {
	e := newEnv(t, "sbx-walk")
	b := e.boxes["sbx-walk"]
	appServiceIdentity(t, b)
	mi := b.principal(scenario.LabelMainApp)
	_, siteID := b.site(b.names.MainSite)
	if mi.ResourceID != siteID {
		t.Fatalf("MI resource %q, site %q", mi.ResourceID, siteID)
	}
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts(e.runner(b.onSite("credential")))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	app := newMainApp(t, e, b, cred, b.onSite("walkthrough"))
	if n := len(e.since(b.id, 0)); n != 0 {
		t.Fatalf("constructors sent %d requests", n)
	}

	// 1. No role yet: the vault refuses the site's identity.
	_, err = app.secrets.GetSecret(ctx, scenario.SecretName, "", nil)
	if status, code := responseCode(t, err); status != http.StatusForbidden || code != "Forbidden" || !strings.Contains(err.Error(), "ForbiddenByRbac") {
		t.Fatalf("GetSecret without a role: %v", err)
	}
	denied := e.since(b.id, 0)
	kvDenied := find(denied, "keyvault", http.StatusForbidden)
	if len(kvDenied) != 1 {
		t.Fatalf("want one 403 from the vault:%s", describe(denied))
	}

	// 2. Grant Key Vault Secrets User on the vault, read the key.
	kvGrant := b.grant(t, scenario.LabelMainApp, rbac.RoleKeyVaultSecretsUser, b.vaultScope)
	seq := e.lastSeq(b.id)
	got, err := app.secrets.GetSecret(ctx, scenario.SecretName, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	key := *got.Value
	site, _ := b.site(b.names.ThirdPartySite)
	if key != site.FunctionKeys["default"] {
		t.Fatalf("secret is not the third-party API's key")
	}
	afterGrant := e.since(b.id, seq)

	// 3. Call the third-party API with it.
	n, err := app.callAPI(ctx, b.apiURL(), key)
	if err != nil || n < 1 || n > 1000 {
		t.Fatalf("RandomNumber = %d, %v", n, err)
	}
	if resp, err := app.http.Get(b.apiURL() + "?code=" + key); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("RandomNumber with ?code=: %v", err)
	} else {
		resp.Body.Close()
	}
	if _, err := app.callAPI(ctx, b.apiURL(), "wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("RandomNumber with a wrong key: %v", err)
	}

	// 4. Send a message: 403 until the sender role is granted, then 201.
	seq = e.lastSeq(b.id)
	msg := "random number " + strconv.Itoa(n)
	_, err = app.queue.EnqueueMessage(ctx, msg, nil)
	if status, code := responseCode(t, err); status != http.StatusForbidden || code != "AuthorizationPermissionMismatch" {
		t.Fatalf("EnqueueMessage without a role: %v", err)
	}
	qGrant := b.grant(t, scenario.LabelMainApp, rbac.RoleStorageQueueMessageSender, b.queueScope)
	sent, err := app.queue.EnqueueMessage(ctx, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent.Messages) != 1 || sent.Messages[0].MessageID == nil {
		t.Fatalf("enqueue answer %+v", sent)
	}
	var stored string
	b.w.View(func(st *world.State) {
		q := st.StorageAccount(b.names.StorageAccount).Queues[scenario.QueueName]
		if len(q.Messages) == 1 {
			stored = q.Messages[0].Text
		}
	})
	if stored != msg {
		t.Fatalf("queue holds %q, want %q", stored, msg)
	}

	all := e.since(b.id, 0)
	t.Logf("trace:%s", describe(all))

	t.Run("every exchange is the site's, in process", func(t *testing.T) {
		for _, ex := range all {
			if ex.SandboxID != b.id || ex.Via != "runner" || ex.Site != b.names.MainSite {
				t.Errorf("%s %s: sandbox %q via %q site %q", ex.Method, ex.URL, ex.SandboxID, ex.Via, ex.Site)
			}
			if ex.Service == "" {
				t.Errorf("%s %s: no service", ex.Method, ex.URL)
			}
		}
	})

	t.Run("no usable secret in the trace", func(t *testing.T) {
		site, _ := b.site(b.names.MainSite)
		assertNoSecrets(t, all, key, site.IdentityHeader)
	})

	t.Run("managed identity via the App Service endpoint", func(t *testing.T) {
		var mis []trace.Exchange
		for _, ex := range all {
			if ex.Service == "managed-identity" {
				mis = append(mis, ex)
			}
		}
		if len(mis) < 2 { // one token for the vault, one for storage
			t.Fatalf("managed-identity exchanges:%s", describe(all))
		}
		auds := map[string]bool{}
		for _, ex := range mis {
			if ex.Status != http.StatusOK || !strings.HasPrefix(ex.URL, entra.AppServiceIdentityEndpoint+"?") {
				t.Errorf("MI exchange %s → %d", ex.URL, ex.Status)
			}
			if ex.Authn == nil || !ex.Authn.OK || !strings.Contains(ex.Authn.Subject, "oid="+mi.ObjectID) {
				t.Errorf("MI authn %+v", ex.Authn)
			}
			if ex.RequestHeaders.Get("X-IDENTITY-HEADER") == "" {
				t.Errorf("MI request without the identity header")
			}
			if claim(ex.Issued, "xms_mirid") != siteID || claim(ex.Issued, "oid") != mi.ObjectID || claim(ex.Issued, "tid") != b.w.TenantID() {
				t.Errorf("issued token claims %v", ex.Issued)
			}
			auds[claim(ex.Issued, "aud")] = true
		}
		if !auds[entra.ResourceKeyVault] || !auds[entra.ResourceStorage] {
			t.Errorf("issued audiences %v", auds)
		}
	})

	t.Run("vault: challenge, denied, allowed", func(t *testing.T) {
		first := denied[0]
		if first.Service != "keyvault" || first.Status != http.StatusUnauthorized || first.Token != nil ||
			first.Authn == nil || first.Authn.OK || first.Authn.Code != "AKV10000" {
			t.Errorf("first exchange is not the vault's challenge: %+v", first)
		}
		d := kvDenied[0]
		if d.Authn == nil || !d.Authn.OK || d.Authz == nil || d.Authz.Allowed || d.Authz.Model != "rbac" ||
			d.Authz.Action != "Microsoft.KeyVault/vaults/secrets/getSecret/action" || !d.Authz.DataAction {
			t.Fatalf("403 decision %+v", d.Authz)
		}
		// The engine considers the caller's own assignments (and its
		// groups'): the identity has none yet.
		if len(d.Authz.Considered) != 0 || d.Authz.Matched != nil || d.Authz.Summary == "" {
			t.Errorf("denied decision considered %+v, matched %+v, summary %q", d.Authz.Considered, d.Authz.Matched, d.Authz.Summary)
		}
		if s := d.Authz.Suggestion; s == nil || s.RoleID != rbac.RoleKeyVaultSecretsUser || s.PrincipalID != mi.ObjectID {
			t.Errorf("suggestion %+v", d.Authz.Suggestion)
		}
		ok := find(afterGrant, "keyvault", http.StatusOK)
		if len(ok) != 1 {
			t.Fatalf("vault 200s after the grant:%s", describe(afterGrant))
		}
		a := ok[0].Authz
		if a == nil || !a.Allowed || a.Matched == nil || a.Matched.AssignmentID != kvGrant.ID || a.Matched.RoleID != rbac.RoleKeyVaultSecretsUser {
			t.Fatalf("allowed decision %+v", a)
		}
		if !containsAssignment(a.Considered, kvGrant.ID, true) {
			t.Errorf("the granting assignment is not among those considered: %+v", a.Considered)
		}
		for _, ex := range []trace.Exchange{d, ok[0]} {
			if claim(ex.Token, "xms_mirid") != siteID || claim(ex.Token, "aud") != entra.ResourceKeyVault {
				t.Errorf("vault call token %v", ex.Token)
			}
		}
		if strings.Contains(ok[0].ResponseBody, key) {
			t.Errorf("the secret value is in the trace unmasked")
		}
	})

	t.Run("third-party API", func(t *testing.T) {
		apis := find(all, "webapp", http.StatusOK)
		if len(apis) != 2 || apis[0].Authn == nil || !apis[0].Authn.OK || apis[0].Authz != nil {
			t.Fatalf("webapp 200s:%s", describe(all))
		}
		if apis[0].ResponseBody != strconv.Itoa(n) {
			t.Errorf("API body %q, want %d", apis[0].ResponseBody, n)
		}
		if strings.Contains(apis[0].RequestHeaders.Get("x-functions-key"), key) {
			t.Errorf("function key unmasked in the trace")
		}
		bad := find(all, "webapp", http.StatusUnauthorized)
		if len(bad) != 1 || bad[0].Authn == nil || bad[0].Authn.OK {
			t.Errorf("webapp 401s %+v", bad)
		}
	})

	t.Run("queue: denied then allowed", func(t *testing.T) {
		qs := e.since(b.id, seq)
		den := find(qs, "queue", http.StatusForbidden)
		if len(den) != 1 {
			t.Fatalf("queue 403s:%s", describe(qs))
		}
		d := den[0]
		if d.ResponseHeaders.Get("x-ms-error-code") != "AuthorizationPermissionMismatch" ||
			d.Authn == nil || !d.Authn.OK || d.Authz == nil || d.Authz.Allowed || len(d.Authz.Considered) == 0 {
			t.Errorf("queue 403: authn %+v authz %+v", d.Authn, d.Authz)
		}
		if !strings.Contains(d.Authz.Action, "queues/messages/") {
			t.Errorf("queue 403 action %q", d.Authz.Action)
		}
		// The vault grant was considered and explained: not on this scope.
		var kv *rbac.Considered
		for i, c := range d.Authz.Considered {
			if c.AssignmentID == kvGrant.ID {
				kv = &d.Authz.Considered[i]
			}
		}
		if kv == nil || kv.Matched || kv.Reason != rbac.ReasonScopeNotAncestor || kv.Explanation == "" {
			t.Errorf("queue 403 considered %+v", d.Authz.Considered)
		}
		created := find(qs, "queue", http.StatusCreated)
		if len(created) != 1 {
			t.Fatalf("queue 201s:%s", describe(qs))
		}
		a := created[0].Authz
		if a == nil || !a.Allowed || a.Matched == nil || a.Matched.AssignmentID != qGrant.ID || a.Matched.RoleID != rbac.RoleStorageQueueMessageSender {
			t.Errorf("queue 201 decision %+v", a)
		}
		for _, ex := range []trace.Exchange{d, created[0]} {
			if claim(ex.Token, "xms_mirid") != siteID || claim(ex.Token, "aud") != entra.ResourceStorage {
				t.Errorf("queue call token %v", ex.Token)
			}
		}
	})
}

func containsAssignment(cs []rbac.Considered, id string, matched bool) bool {
	for _, c := range cs {
		if c.AssignmentID == id && c.Matched == matched {
			return true
		}
	}
	return false
}
