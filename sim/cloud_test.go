package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/google/uuid"

	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

type sandbox struct {
	w     *world.World
	names scenario.Resources
	st    func(fn func(*world.State))
}

func (s sandbox) label(l string) (id, secret, tenant string) {
	s.w.View(func(st *world.State) { id, secret, tenant = st.Labels[l], st.Keychain[l], st.TenantID })
	return
}

// clientID returns the application (client) ID of a labelled principal.
func (s sandbox) clientID(l string) string {
	var id string
	s.w.View(func(st *world.State) { id = st.Principals[st.Labels[l]].AppID })
	return id
}

func newCloud(tb testing.TB, svc Services) *Cloud {
	tb.Helper()
	c, err := New(Config{Registry: world.NewRegistry(nil, nil), Keys: entratest.Keys(tb), Services: svc})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func addSandbox(tb testing.TB, c *Cloud, id string) sandbox {
	tb.Helper()
	w, err := scenario.Build(context.Background(), c.Registry(), id, scenario.Walkthrough)
	if err != nil {
		tb.Fatal(err)
	}
	s := sandbox{w: w}
	w.View(func(st *world.State) { s.names = scenario.ResourcesOf(st) })
	return s
}

func grantSecretsUser(tb testing.TB, s sandbox, label string) {
	tb.Helper()
	oid, _, _ := s.label(label)
	err := s.w.Update(context.Background(), func(tx *world.Tx) error {
		v := tx.State.Vault(s.names.Vault)
		tx.AddRoleAssignment(rbac.Assignment{
			Scope: tx.State.VaultID(v), RoleDefinitionID: rbac.RoleKeyVaultSecretsUser, PrincipalID: oid,
		})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func TestOwns(t *testing.T) {
	c := newCloud(t, Services{})
	for host, want := range map[string]bool{
		"login.microsoftonline.com":   true,
		"169.254.129.2:8081":          true,
		"kv-anything.vault.azure.net": true,
		"GRAPH.microsoft.com:443":     true,
		"a.b.vault.azure.net":         false,
		"example.com":                 false,
		"":                            false,
	} {
		if got := c.Owns(host); got != want {
			t.Errorf("Owns(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestReach(t *testing.T) {
	c := newCloud(t, Services{})
	s := addSandbox(t, c, "sbx-reach")
	workstation := world.Origin{Via: "runner"}
	onSite := world.Origin{Via: "runner", SandboxID: "sbx-reach", Site: s.names.MainSite}
	onVM := world.Origin{Via: "runner", SandboxID: "sbx-reach", Site: "vm-reach"}
	if err := s.w.Update(context.Background(), func(tx *world.Tx) error {
		_, err := tx.NewSite(scenario.ResourceGroup, "vm-reach", "vm")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		host    string
		o       world.Origin
		wantErr string
	}{
		{"imds from workstation", "169.254.169.254", workstation, "dial tcp 169.254.169.254:80: connect: no route to host"},
		{"imds on an App Service site", "169.254.169.254", onSite, "dial tcp 169.254.169.254:80: connect: no route to host"},
		{"imds on a vm", "169.254.169.254", onVM, ""},
		{"app service endpoint on a site", "169.254.129.2:8081", onSite, ""},
		{"app service endpoint from workstation", "169.254.129.2:8081", workstation, "dial tcp 169.254.129.2:8081: connect: no route to host"},
		{"app service endpoint through the proxy", "169.254.129.2:8081", world.Origin{Via: "proxy", SandboxID: "sbx-reach"}, ""},
		{"imds through the proxy", "169.254.169.254", world.Origin{Via: "proxy", SandboxID: "sbx-reach"}, "no route to host"},
		{"existing vault", s.names.Vault + ".vault.azure.net", workstation, ""},
		{"existing vault any case", strings.ToUpper(s.names.Vault) + ".VAULT.azure.net:443", workstation, ""},
		{"unknown vault", "nope.vault.azure.net", workstation, "dial tcp: lookup nope.vault.azure.net: no such host"},
		{"unknown account", "nope.queue.core.windows.net", workstation, "no such host"},
		{"existing site", s.names.ThirdPartySite + ".azurewebsites.net", workstation, ""},
		{"unknown site", "nope.azurewebsites.net", workstation, "no such host"},
		{"login", "login.microsoftonline.com", workstation, ""},
		{"foreign", "example.com", workstation, "not a simulated Azure host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Reach(tc.host, tc.o)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Reach: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Reach = %v, want %q", err, tc.wantErr)
			}
			var op *net.OpError
			if !errors.As(err, &op) {
				t.Errorf("error is %T, want *net.OpError", err)
			}
		})
	}
}

func get(t *testing.T, rt http.RoundTripper, url string) (*http.Response, string, error) {
	t.Helper()
	resp, err := (&http.Client{Transport: rt}).Get(url)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

// stub records the origin it saw and answers as a service owning sandbox id.
// It names no service: the front door does, from the host.
func stub(id string, seen *world.Origin) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen != nil {
			*seen = world.OriginFrom(r.Context())
		}
		n := trace.NotesFrom(r.Context())
		n.SandboxID = id
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, `{"access_token":"secret-token-value"}`)
	})
}

func TestFrontDoorRecords(t *testing.T) {
	var seen world.Origin
	c := newCloud(t, Services{ARM: stub("owner-sbx", &seen)})
	rt := c.Transport(world.Origin{SandboxID: "caller", Step: "s1"})

	resp, _, err := get(t, rt, "https://management.azure.com/subscriptions?api-version=2022-12-01")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusTeapot {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if seen.Via != "runner" || seen.SandboxID != "caller" {
		t.Errorf("service saw origin %+v", seen)
	}
	exs := c.Book().List("caller", 0)
	if len(exs) != 1 {
		t.Fatalf("caller's trace has %d exchanges", len(exs))
	}
	ex := exs[0]
	checks := []struct {
		name string
		ok   bool
	}{
		{"url", ex.URL == "https://management.azure.com/subscriptions?api-version=2022-12-01"},
		{"via/step", ex.Via == "runner" && ex.Step == "s1"},
		{"service", ex.Service == service.ARM},
		{"status", ex.Status == http.StatusTeapot},
		{"masked body", strings.Contains(ex.ResponseBody, "sec"+trace.Masked) && !strings.Contains(ex.ResponseBody, "secret-token-value")},
		{"headers", ex.ResponseHeaders.Get("Content-Type") == "application/json"},
		{"times", !ex.Time.IsZero() && !ex.SimTime.IsZero()},
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			if !ck.ok {
				t.Errorf("exchange %+v", ex)
			}
		})
	}
	if got := c.Book().List("owner-sbx", 0); len(got) != 0 {
		t.Errorf("resource owner's trace got the caller's exchange")
	}

	// Without an origin sandbox (anonymous proxy traffic) the exchange is
	// answered but recorded nowhere, not even by the resource's owner.
	rec := &discard{h: http.Header{}}
	req, _ := http.NewRequest("GET", "https://management.azure.com/x", nil)
	c.ServeHTTP(rec, req)
	if rec.status != http.StatusTeapot {
		t.Errorf("anonymous request answered %d", rec.status)
	}
	if got := c.Book().List("owner-sbx", 0); len(got) != 0 {
		t.Errorf("owner's trace has %d exchanges of anonymous traffic, want 0", len(got))
	}
}

type discard struct {
	h      http.Header
	status int
	body   strings.Builder
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(s int)   { d.status = s }
func (d *discard) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = 200
	}
	return d.body.Write(p)
}

func TestFrontDoorErrors(t *testing.T) {
	c, err := New(Config{Registry: world.NewRegistry(nil, nil), Keys: entratest.Keys(t), MaxRequestBody: 10,
		Services: Services{ARM: stub("s", nil)}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, host, body string
		status           int
		code             string
	}{
		{"unknown host", "example.com", "", http.StatusBadGateway, "HostNotSimulated"},
		{"body too large", "management.azure.com", strings.Repeat("x", 11), http.StatusRequestEntityTooLarge, "RequestBodyTooLarge"},
		{"body at limit", "management.azure.com", strings.Repeat("x", 10), http.StatusTeapot, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("PUT", "https://"+tc.host+"/x", io.NopCloser(strings.NewReader(tc.body)))
			req.ContentLength = -1 // make the limit count, not the header
			d := &discard{h: http.Header{}}
			c.ServeHTTP(d, req)
			if d.status != tc.status || !strings.Contains(d.body.String(), tc.code) {
				t.Errorf("got %d %s", d.status, d.body.String())
			}
		})
	}
	if _, err := New(Config{}); err == nil {
		t.Errorf("New without registry succeeded")
	}
}

func TestTransportUnreachable(t *testing.T) {
	c := newCloud(t, Services{})
	s := addSandbox(t, c, "sbx-t")
	rt := c.Transport(world.Origin{SandboxID: "sbx-t"})
	for _, u := range []string{
		"http://169.254.169.254/metadata/identity/oauth2/token",
		"https://nope.vault.azure.net/secrets/x/?api-version=2026-04-01",
		"https://example.com/",
	} {
		t.Run(u, func(t *testing.T) {
			if _, _, err := get(t, rt, u); err == nil {
				t.Fatal("request succeeded")
			}
		})
	}
	// App Service has no IMDS; a virtual machine's probe gets an answer.
	if _, _, err := get(t, c.Transport(world.Origin{SandboxID: "sbx-t", Site: s.names.MainSite}), "http://169.254.169.254/metadata/identity/oauth2/token"); err == nil {
		t.Error("IMDS answered code on an App Service site")
	}
	if err := s.w.Update(context.Background(), func(tx *world.Tx) error {
		tx.State.Site(s.names.MainSite).Kind = "vm"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	resp, _, err := get(t, c.Transport(world.Origin{SandboxID: "sbx-t", Site: s.names.MainSite}), "http://169.254.169.254/metadata/identity/oauth2/token")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("IMDS probe status %d, want 400", resp.StatusCode)
	}
	if len(c.Book().List("sbx-t", 0)) != 1 {
		t.Errorf("unreachable requests were recorded")
	}
}

// secretClient returns an azsecrets client for a labelled principal, through
// the in-process transport.
func secretClient(t testing.TB, c *Cloud, s sandbox, label string, o world.Origin) *azsecrets.Client {
	_, secret, tenant := s.label(label)
	opts := azcore.ClientOptions{Transport: &http.Client{Transport: c.Transport(o)}}
	cred, err := azidentity.NewClientSecretCredential(tenant, s.clientID(label), secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := azsecrets.NewClient("https://"+s.names.Vault+".vault.azure.net", cred, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestGetSecretInProcess(t *testing.T) {
	c := newCloud(t, Services{})
	s := addSandbox(t, c, "sbx-a")
	other := addSandbox(t, c, "sbx-b")
	ctx := context.Background()
	cl := secretClient(t, c, s, scenario.LabelLocalDev, world.Origin{SandboxID: "sbx-a"})
	if n := len(c.Book().List("sbx-a", 0)); n != 0 {
		t.Fatalf("constructors sent %d requests", n)
	}

	_, err := cl.GetSecret(ctx, scenario.SecretName, "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusForbidden || re.ErrorCode != "Forbidden" {
		t.Fatalf("GetSecret without role: %v", err)
	}
	grantSecretsUser(t, s, scenario.LabelLocalDev)
	got, err := cl.GetSecret(ctx, scenario.SecretName, "", nil)
	if err != nil {
		t.Fatalf("GetSecret with role: %v", err)
	}
	var want string
	s.w.View(func(st *world.State) { want = st.Site(s.names.ThirdPartySite).FunctionKeys["default"] })
	if got.Value == nil || *got.Value != want {
		t.Errorf("secret value mismatch")
	}

	exs := c.Book().List("sbx-a", 0)
	var lines []string
	for _, ex := range exs {
		lines = append(lines, ex.Method+" "+string(ex.Service)+" "+http.StatusText(ex.Status))
		if strings.Contains(ex.ResponseBody, want) || strings.Contains(ex.RequestBody, s.clientSecret(scenario.LabelLocalDev)) {
			t.Errorf("trace holds a secret: %s", ex.URL)
		}
	}
	if len(exs) < 4 || exs[0].Service != "keyvault" || exs[0].Status != http.StatusUnauthorized {
		t.Fatalf("trace does not start with the vault challenge: %q", lines)
	}
	last := exs[len(exs)-1]
	if last.Status != http.StatusOK || last.Token == nil || last.Authz == nil || !last.Authz.Allowed || last.Via != "runner" {
		t.Errorf("last exchange %+v", last)
	}
	if n := len(c.Book().List(other.w.ID(), 0)); n != 0 {
		t.Errorf("other sandbox's trace has %d exchanges", n)
	}
}

func (s sandbox) clientSecret(l string) string {
	_, secret, _ := s.label(l)
	return secret
}

// BenchmarkGetSecretFirst: a full first GetSecret in process (challenge,
// discovery, token, call, trace) with a fresh credential and client.
func BenchmarkGetSecretFirst(b *testing.B) {
	c := newCloud(b, Services{})
	s := addSandbox(b, c, "sbx-bench")
	grantSecretsUser(b, s, scenario.LabelLocalDev)
	ctx := context.Background()
	for b.Loop() {
		cl := secretClient(b, c, s, scenario.LabelLocalDev, world.Origin{SandboxID: "sbx-bench"})
		if _, err := cl.GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetSecretWarm: GetSecret with a cached token.
func BenchmarkGetSecretWarm(b *testing.B) {
	c := newCloud(b, Services{})
	s := addSandbox(b, c, "sbx-bench")
	grantSecretsUser(b, s, scenario.LabelLocalDev)
	ctx := context.Background()
	cl := secretClient(b, c, s, scenario.LabelLocalDev, world.Origin{SandboxID: "sbx-bench"})
	if _, err := cl.GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := cl.GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInProcess: the OIDC discovery document through Transport.
func BenchmarkInProcess(b *testing.B) {
	c := newCloud(b, Services{})
	s := addSandbox(b, c, "sbx-bench")
	_, _, tenant := s.label(scenario.LabelLocalDev)
	cl := &http.Client{Transport: c.Transport(world.Origin{SandboxID: "sbx-bench"})}
	url := "https://login.microsoftonline.com/" + tenant + "/v2.0/.well-known/openid-configuration"
	for b.Loop() {
		resp, err := cl.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
}

// The lesson's core path in process: the owner grants localDev Key Vault
// Secrets User on the vault through ARM (armauthorization SDK), then localDev
// reads the secret; every exchange lands on the sandbox's trace.
func TestGrantThroughARMThenRead(t *testing.T) {
	c := newCloud(t, Services{})
	s := addSandbox(t, c, "sbx-arm")
	ctx := context.Background()
	o := world.Origin{SandboxID: "sbx-arm", Step: "grant"}
	opts := azcore.ClientOptions{Transport: &http.Client{Transport: c.Transport(o)}}
	_, ownerSecret, tenant := s.label(scenario.LabelOwner)
	cred, err := azidentity.NewClientSecretCredential(tenant, s.clientID(scenario.LabelOwner), ownerSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	sub := s.w.SubscriptionID()
	ra, err := armauthorization.NewRoleAssignmentsClient(sub, cred, &arm.ClientOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	devOID, _, _ := s.label(scenario.LabelLocalDev)
	var vaultID string
	s.w.View(func(st *world.State) { vaultID = st.VaultID(st.Vault(s.names.Vault)) })
	_, err = ra.Create(ctx, vaultID, uuid.NewString(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{
			RoleDefinitionID: to.Ptr("/subscriptions/" + sub + "/providers/Microsoft.Authorization/roleDefinitions/" + rbac.RoleKeyVaultSecretsUser),
			PrincipalID:      to.Ptr(devOID),
		},
	}, nil)
	if err != nil {
		t.Fatalf("owner's role assignment through ARM: %v", err)
	}
	if _, err := secretClient(t, c, s, scenario.LabelLocalDev, world.Origin{SandboxID: "sbx-arm"}).GetSecret(ctx, scenario.SecretName, "", nil); err != nil {
		t.Fatalf("GetSecret after the grant: %v", err)
	}
	var armPut bool
	for _, ex := range c.Book().List("sbx-arm", 0) {
		if ex.Service == "arm" && ex.Method == http.MethodPut && ex.Status == http.StatusCreated && ex.Step == "grant" && ex.Authz != nil {
			armPut = true
		}
	}
	if !armPut {
		t.Errorf("the ARM PUT with its authorization decision is not on the trace")
	}
}

type failingSink struct{}

func (failingSink) QueueExchange(*trace.Exchange) error { return errors.New("disk full") }
func (failingSink) Flush(context.Context) error         { return nil }

// The front door warns on the logger it was given (the server's, at its
// --log-level) when the trace's sink fails.
func TestFrontDoorLogsToItsLogger(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	c, err := New(Config{Registry: world.NewRegistry(nil, nil), Keys: entratest.Keys(t),
		Book: trace.NewBook(0, failingSink{}), Logger: log, Services: Services{ARM: stub("s", nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := get(t, c.Transport(world.Origin{SandboxID: "s"}), "https://management.azure.com/subscriptions"); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "trace not stored") || !strings.Contains(out, "disk full") {
		t.Fatalf("log = %q", out)
	}
}

// The front door masks the trace's own copies of the headers in place
// (trace.Book.RecordOwned): every secret of the exchange is masked in the
// trace, while the request the caller handed in and the headers the
// response was written with keep their values.
func TestFrontDoorMasksItsOwnCopies(t *testing.T) {
	const (
		bearer     = "bearer-credential-0123456789"
		identity   = "identity-header-0123456789"
		cookie     = "session=cookie-0123456789"
		setCookie  = "session=set-cookie-0123456789"
		formSecret = "form-client-secret-0123456789"
		token      = "access-token-0123456789"
		accountKey = "account-key-0123456789"
		sig        = "query-signature-0123456789"
	)
	secrets := []string{bearer, identity, cookie, setCookie, formSecret, token, accountKey, sig}
	var seenHeader http.Header
	var seenBody string
	c := newCloud(t, Services{ARM: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		trace.NotesFrom(r.Context()).SandboxID = "caller"
		seenHeader = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		seenBody = string(b)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", setCookie)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"access_token":"`+token+`","conn":"AccountName=a;AccountKey=`+accountKey+`;EndpointSuffix=core.windows.net"}`)
	})})
	body := "grant_type=client_credentials&client_secret=" + formSecret
	req, _ := http.NewRequestWithContext(world.WithOrigin(context.Background(), world.Origin{SandboxID: "caller", Via: "runner"}),
		"POST", "https://management.azure.com/x?api-version=1&sig="+sig, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("X-Identity-Header", identity)
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sent := req.Header.Clone()
	d := &discard{h: http.Header{}}
	c.ServeHTTP(d, req)
	if d.status != http.StatusOK {
		t.Fatalf("status %d: %s", d.status, d.body.String())
	}
	if !reflect.DeepEqual(seenHeader, sent) || seenBody != body {
		t.Errorf("the service saw\n%v %q\nwant the request as sent\n%v %q", seenHeader, seenBody, sent, body)
	}
	if !reflect.DeepEqual(req.Header, sent) {
		t.Errorf("the caller's request headers changed:\n%v\nwant\n%v", req.Header, sent)
	}
	if got := d.h.Get("Set-Cookie"); got != setCookie {
		t.Errorf("the response's Set-Cookie became %q", got)
	}
	exs := c.Book().List("caller", 0)
	if len(exs) != 1 {
		t.Fatalf("%d exchanges recorded", len(exs))
	}
	ex := exs[0]
	dump, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(dump), s) {
			t.Errorf("%q survived in the trace:\n%s", s, dump)
		}
	}
	for name, got := range map[string]string{
		"Authorization":     ex.RequestHeaders.Get("Authorization"),
		"X-Identity-Header": ex.RequestHeaders.Get("X-Identity-Header"),
		"Cookie":            ex.RequestHeaders.Get("Cookie"),
		"Set-Cookie":        ex.ResponseHeaders.Get("Set-Cookie"),
	} {
		if !strings.HasSuffix(got, trace.Masked) {
			t.Errorf("%s in the trace is %q, want it masked", name, got)
		}
	}
	if !strings.Contains(ex.RequestBody, "client_secret=***") || !strings.Contains(ex.ResponseBody, `"access_token":"acc`+trace.Masked) ||
		!strings.Contains(ex.ResponseBody, "AccountKey=acc"+trace.Masked) || !strings.Contains(ex.URL, "sig=que"+trace.Masked) {
		t.Errorf("trace lost what it masks:\n%s", dump)
	}
}
