package web

import (
	"context"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func TestSandboxCreateReturnsConnectionDetails(t *testing.T) {
	e := newEnv(t)
	res := e.bearer("", "POST", "/api/sandboxes", `{"scenario":"walkthrough"}`)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", res.StatusCode, res.body)
	}
	// Exactly the documented fields, no more.
	fields := decode[map[string]any](t, res.body)
	want := []string{"id", "accessKey", "proxyPassword", "tenantId", "subscriptionId", "proxyUrl", "caCertUrl", "resourceGroup",
		"keyVaultUrl", "secretName", "queueUrl", "thirdPartyApiUrl", "appServiceSite", "principals",
		"developer", "identityEndpoint"}
	if len(fields) != len(want) {
		t.Errorf("got %d fields, want %d: %v", len(fields), len(want), fields)
	}
	for _, f := range want {
		if _, ok := fields[f]; !ok {
			t.Errorf("missing field %q", f)
		}
	}
	sb := decode[sandboxJSON](t, res.body)
	if res.Header.Get("Location") != "/api/sandboxes/"+sb.ID {
		t.Errorf("Location = %q", res.Header.Get("Location"))
	}
	var names scenario.Resources
	e.reg.Get(sb.ID).View(func(s *world.State) { names = scenario.ResourcesOf(s) })
	checks := map[string][2]string{
		"tenantId":         {sb.TenantID, ""},
		"subscriptionId":   {sb.SubscriptionID, ""},
		"proxyUrl":         {sb.ProxyURL, "http://127.0.0.1:8080"},
		"caCertUrl":        {sb.CACertURL, "http://127.0.0.1:8080/ca.pem"},
		"resourceGroup":    {sb.ResourceGroup, "auth-scenario-rg"},
		"keyVaultUrl":      {sb.KeyVaultURL, "https://" + names.Vault + ".vault.azure.net"},
		"secretName":       {sb.SecretName, scenario.SecretName},
		"queueUrl":         {sb.QueueURL, "https://" + names.StorageAccount + ".queue.core.windows.net/messages"},
		"thirdPartyApiUrl": {sb.ThirdPartyAPIURL, "https://" + names.ThirdPartySite + ".azurewebsites.net/api/RandomNumber"},
		"appServiceSite":   {sb.AppServiceSite, names.MainSite},
	}
	for name, c := range checks {
		if c[1] == "" {
			if !guid.MatchString(c[0]) {
				t.Errorf("%s = %q, want a GUID", name, c[0])
			}
		} else if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	for label, p := range map[string]*principalJSON{"owner": sb.Principals.Owner, "localDev": sb.Principals.LocalDev} {
		if p == nil || !guid.MatchString(p.ClientID) || !guid.MatchString(p.ObjectID) || len(p.ClientSecret) < 20 {
			t.Errorf("principal %s = %+v", label, p)
		}
	}
	if sb.Developer == nil || !strings.HasPrefix(sb.Developer.UserPrincipalName, "developer@") || sb.Developer.Password == "" {
		t.Errorf("developer = %+v", sb.Developer)
	}
	if ie := sb.IdentityEndpoint; ie == nil || ie.Site != names.MainSite || ie.Header == "" || ie.Endpoint == "" {
		t.Errorf("identityEndpoint = %+v", ie)
	}
	if len(sb.AccessKey) != 43 {
		t.Errorf("access key %q: want 43 characters", sb.AccessKey)
	}

	// The access key reads it back; the store has it with its world.
	got := e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID, "")
	if got.StatusCode != 200 || !reflect.DeepEqual(decode[sandboxJSON](t, got.body), sb) {
		t.Errorf("GET by bearer = %d %s", got.StatusCode, got.body)
	}
	row, err := e.db.Sandbox(context.Background(), sb.ID)
	if err != nil || row.LearnerID != "" || row.Scenario != "walkthrough" {
		t.Errorf("stored row = %+v, %v", row, err)
	}
	data, err := e.db.World(context.Background(), sb.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, err := world.Load(data)
	if err != nil || st.TenantID != sb.TenantID || st.Vault(names.Vault) == nil {
		t.Errorf("stored world: %v tenant %s", err, st.TenantID)
	}
}

func TestSandboxCreateDefaultsAndEmptyScenario(t *testing.T) {
	e := newEnv(t)
	def := e.createAnon("")
	if def.KeyVaultURL == "" {
		t.Errorf("no body should build the walkthrough: %+v", def)
	}
	empty := e.createAnon("empty")
	if empty.KeyVaultURL != "" || empty.QueueURL != "" || empty.ResourceGroup != "" || empty.IdentityEndpoint != nil {
		t.Errorf("empty scenario shows resources: %+v", empty)
	}
	if empty.Principals.Owner == nil || empty.Principals.LocalDev == nil {
		t.Errorf("empty scenario lacks principals: %+v", empty.Principals)
	}
	if def.TenantID == empty.TenantID || def.ID == empty.ID || def.AccessKey == empty.AccessKey {
		t.Error("two sandboxes share identifiers")
	}
}

func TestSessionLearnerOwnsSandboxes(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.visit()
	u := mustURL(e.srv.URL)
	var session *http.Cookie
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || len(session.Value) != 43 {
		t.Fatalf("no session cookie: %v", b.c.Jar.Cookies(u))
	}

	if res := b.api("GET", "/api/sandboxes", ""); res.StatusCode != 200 || !strings.Contains(res.body, `"sandboxes":[]`) {
		t.Fatalf("empty list = %d %s", res.StatusCode, res.body)
	}
	res := b.api("POST", "/api/sandboxes", `{"scenario":"walkthrough"}`)
	if res.StatusCode != 201 {
		t.Fatalf("create = %d %s", res.StatusCode, res.body)
	}
	sb := decode[sandboxJSON](t, res.body)
	list := decode[sandboxListResponse](t, b.api("GET", "/api/sandboxes", "").body)
	if len(list.Sandboxes) != 1 || list.Sandboxes[0].ID != sb.ID {
		t.Fatalf("list = %+v", list)
	}
	if res := b.api("GET", "/api/sandboxes/"+sb.ID, ""); res.StatusCode != 200 {
		t.Errorf("GET by session = %d", res.StatusCode)
	}
	// The access key lists just its own sandbox.
	bl := decode[sandboxListResponse](t, e.bearer(sb.AccessKey, "GET", "/api/sandboxes", "").body)
	if len(bl.Sandboxes) != 1 || bl.Sandboxes[0].ID != sb.ID {
		t.Errorf("bearer list = %+v", bl)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	e := newEnv(t)
	res := e.browser().do("GET", "/", nil, nil)
	var found bool
	for _, c := range res.Cookies() {
		if c.Name != sessionCookie {
			continue
		}
		found = true
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure on http", c)
		}
	}
	if !found {
		t.Fatal("no session cookie on first visit")
	}

	// An https public URL makes the cookie Secure.
	e.app.secure = true
	res = e.browser().do("GET", "/", nil, nil)
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie && !c.Secure {
			t.Errorf("session cookie not Secure behind https: %+v", c)
		}
	}
}

func TestCSRFRequiredForSessionRequests(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.visit()
	sb := decode[sandboxJSON](t, b.api("POST", "/api/sandboxes", "").body)
	cases := []struct {
		name, method, path, body string
	}{
		{"create", "POST", "/api/sandboxes", ""},
		{"delete", "DELETE", "/api/sandboxes/" + sb.ID, ""},
		{"reset", "POST", "/api/sandboxes/" + sb.ID + "/reset", ""},
		{"clock", "POST", "/api/sandboxes/" + sb.ID + "/clock", `{"advanceSeconds":1}`},
		{"form create", "POST", "/sandboxes", ""},
		{"form name", "POST", "/learner/name", ""},
	}
	for _, tc := range cases {
		for _, token := range []string{"", "wrong-token"} {
			t.Run(tc.name+"/"+token, func(t *testing.T) {
				h := map[string]string{"Content-Type": "application/json"}
				if token != "" {
					h["X-CSRF-Token"] = token
				}
				res := b.do(tc.method, tc.path, strings.NewReader(tc.body), h)
				if res.StatusCode != http.StatusForbidden || apiError(t, res).Code != CodeCSRF {
					t.Fatalf("%s without a valid token = %d %s", tc.path, res.StatusCode, res.body)
				}
			})
		}
	}
	// A cross-site browser request is refused even with a token.
	res := b.do("POST", "/api/sandboxes", nil, map[string]string{"X-CSRF-Token": b.csrf, "Sec-Fetch-Site": "cross-site"})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site = %d %s", res.StatusCode, res.body)
	}
	// Nothing changed.
	if _, err := e.db.Sandbox(context.Background(), sb.ID); err != nil {
		t.Errorf("sandbox gone after refused requests: %v", err)
	}
	list := decode[sandboxListResponse](t, b.api("GET", "/api/sandboxes", "").body)
	if len(list.Sandboxes) != 1 {
		t.Errorf("refused create created: %d sandboxes", len(list.Sandboxes))
	}
	// A same-origin browser request passes on Sec-Fetch-Site alone.
	res = b.do("POST", "/api/sandboxes", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if res.StatusCode != http.StatusCreated {
		t.Errorf("same-origin = %d %s", res.StatusCode, res.body)
	}
}

func TestClockAdvance(t *testing.T) {
	e := newEnv(t)
	sb := e.createAnon("")
	before := time.Now()
	res := e.bearer(sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/clock", `{"advanceSeconds":3600}`)
	if res.StatusCode != 200 {
		t.Fatalf("clock = %d %s", res.StatusCode, res.body)
	}
	got := decode[clockResponse](t, res.body)
	if got.ClockOffsetSeconds != 3600 {
		t.Errorf("offset = %d", got.ClockOffsetSeconds)
	}
	if d := got.SandboxTime.Sub(before); d < time.Hour || d > time.Hour+time.Minute {
		t.Errorf("sandbox time %v is %v ahead", got.SandboxTime, d)
	}
	res = e.bearer(sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/clock", `{"advanceSeconds":0}`)
	if decode[clockResponse](t, res.body).ClockOffsetSeconds != 3600 {
		t.Errorf("advance 0 changed the clock: %s", res.body)
	}
	data, _ := e.db.World(context.Background(), sb.ID)
	st, _ := world.Load(data)
	if st.ClockOffset != time.Hour {
		t.Errorf("stored offset = %v, want 1h", st.ClockOffset)
	}
}

func TestSandboxReset(t *testing.T) {
	e := newEnv(t)
	sb := e.createAnon("")
	ctx := context.Background()
	e.book.Record(ctx, &trace.Exchange{SandboxID: sb.ID, Method: "GET", URL: "https://x.vault.azure.net/secrets/a", Status: 401})
	e.bearer(sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/clock", `{"advanceSeconds":60}`)

	res := e.bearer(sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/reset", "")
	if res.StatusCode != 200 {
		t.Fatalf("reset = %d %s", res.StatusCode, res.body)
	}
	after := decode[sandboxJSON](t, res.body)
	if after.ID != sb.ID || after.AccessKey != sb.AccessKey {
		t.Errorf("reset changed id/key: %s/%s", after.ID, after.AccessKey)
	}
	if after.TenantID == sb.TenantID || after.Principals.LocalDev.ClientSecret == sb.Principals.LocalDev.ClientSecret {
		t.Error("reset kept the old world")
	}
	if e.reg.ByTenant(sb.TenantID) != nil {
		t.Error("old tenant still registered")
	}
	tr := decode[traceResponse](t, e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace", "").body)
	if len(tr.Exchanges) != 0 {
		t.Errorf("trace not cleared: %d", len(tr.Exchanges))
	}
	if exs, _ := e.db.Exchanges(ctx, sb.ID, 0); len(exs) != 0 {
		t.Errorf("stored trace not cleared: %d", len(exs))
	}
	// Sequence numbers go on: a client polling with ?after= sees what
	// comes after the reset.
	e.book.Record(ctx, &trace.Exchange{SandboxID: sb.ID, Method: "GET", URL: "https://x.vault.azure.net/secrets/b", Status: 401})
	tr = decode[traceResponse](t, e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace?after=1", "").body)
	if len(tr.Exchanges) != 1 || tr.Exchanges[0].Seq != 2 {
		t.Errorf("after reset, trace?after=1 = %+v", tr.Exchanges)
	}
	data, _ := e.db.World(ctx, sb.ID)
	st, _ := world.Load(data)
	if st.TenantID != after.TenantID || st.ClockOffset != 0 {
		t.Errorf("stored world after reset: tenant %s offset %v", st.TenantID, st.ClockOffset)
	}
	// The same scenario is rebuilt.
	empty := e.createAnon("empty")
	r2 := decode[sandboxJSON](t, e.bearer(empty.AccessKey, "POST", "/api/sandboxes/"+empty.ID+"/reset", "{}").body)
	if r2.KeyVaultURL != "" {
		t.Errorf("reset of an empty sandbox built the walkthrough")
	}
}

func TestSandboxDelete(t *testing.T) {
	e := newEnv(t)
	sb := e.createAnon("")
	res := e.bearer(sb.AccessKey, "DELETE", "/api/sandboxes/"+sb.ID, "")
	if res.StatusCode != http.StatusNoContent || res.body != "" {
		t.Fatalf("delete = %d %q", res.StatusCode, res.body)
	}
	if e.reg.Get(sb.ID) != nil || e.reg.ByTenant(sb.TenantID) != nil {
		t.Error("world still registered")
	}
	if _, err := e.db.Sandbox(context.Background(), sb.ID); err == nil {
		t.Error("row still stored")
	}
	res = e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID, "")
	if res.StatusCode != 404 || apiError(t, res).Code != CodeNotFound {
		t.Errorf("GET after delete = %d %s", res.StatusCode, res.body)
	}
	// The vault name is free again: a new sandbox could take it.
	sfxFree := e.reg.ByName(world.NameVault, strings.TrimSuffix(strings.TrimPrefix(sb.KeyVaultURL, "https://"), ".vault.azure.net"))
	if sfxFree != nil {
		t.Error("vault name still claimed")
	}
}
