package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim"
	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Key generation is slow: the tests share one CA and one key set.
var (
	fixOnce sync.Once
	fixCA   *CA
	fixKeys *entra.KeySet
	fixErr  error
)

func fixtures(tb testing.TB) (*CA, *entra.KeySet) {
	fixOnce.Do(func() {
		if fixCA, fixErr = NewCA(); fixErr != nil {
			return
		}
		fixKeys, fixErr = entra.GenerateKeySet()
	})
	if fixErr != nil {
		tb.Fatal(fixErr)
	}
	return fixCA, fixKeys
}

// env is a cloud with two walkthrough sandboxes behind a proxy on a real
// listener. Proxy credentials are "<sandbox id>:pw-<sandbox id>".
type env struct {
	tb    testing.TB
	cloud *sim.Cloud
	ca    *CA
	proxy *Proxy
	srv   *httptest.Server
	boxes map[string]*world.World
}

func newEnv(tb testing.TB, ids ...string) *env {
	tb.Helper()
	ca, keys := fixtures(tb)
	c, err := sim.New(sim.Config{Registry: world.NewRegistry(nil, nil), Keys: keys})
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{tb: tb, cloud: c, ca: ca, boxes: map[string]*world.World{}}
	for _, id := range ids {
		w, err := scenario.Build(context.Background(), c.Registry(), id, scenario.Walkthrough)
		if err != nil {
			tb.Fatal(err)
		}
		e.boxes[id] = w
	}
	e.proxy = New(ca, c, func(user, pass string) (string, bool) {
		if _, ok := e.boxes[user]; ok && pass == "pw-"+user {
			return user, true
		}
		return "", false
	})
	e.srv = httptest.NewServer(e.proxy)
	tb.Cleanup(func() {
		e.srv.Close()
		e.proxy.Close()
	})
	return e
}

func (e *env) tenant(id string) string { return e.boxes[id].TenantID() }

func (e *env) names(id string) scenario.Resources {
	var r scenario.Resources
	e.boxes[id].View(func(st *world.State) { r = scenario.ResourcesOf(st) })
	return r
}

// client returns an HTTP client using the proxy, with creds in the proxy URL
// when user is set.
func (e *env) client(user string) *http.Client {
	pu, _ := url.Parse(e.srv.URL)
	if user != "" {
		pu.User = url.UserPassword(user, "pw-"+user)
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(pu),
		TLSClientConfig: &tls.Config{RootCAs: e.ca.Pool()},
	}}
}

// raw sends one request line + headers straight to the proxy and reads the
// response.
func (e *env) raw(t *testing.T, req string) (*http.Response, string) {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(req, " ") // a 200 to CONNECT has no body
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodConnect && resp.StatusCode == http.StatusOK {
		return resp, "" // the tunnel is open; there is no body to read
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestDiscoveryThroughProxy(t *testing.T) {
	e := newEnv(t, "sbx-a")
	u := "https://login.microsoftonline.com/" + e.tenant("sbx-a") + "/v2.0/.well-known/openid-configuration"
	resp, err := e.client("sbx-a").Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, decode %v", resp.StatusCode, err)
	}
	if !strings.Contains(doc.Issuer, e.tenant("sbx-a")) || !strings.HasPrefix(doc.TokenEndpoint, "https://login.microsoftonline.com/") {
		t.Errorf("doc %+v", doc)
	}
	if resp.TLS == nil || resp.TLS.PeerCertificates[0].DNSNames[0] != "login.microsoftonline.com" {
		t.Errorf("not served over TLS with a minted leaf")
	}
	exs := e.cloud.Book().List("sbx-a", 0)
	if len(exs) != 1 || exs[0].Via != "proxy" || exs[0].URL != u {
		t.Errorf("trace: %+v", exs)
	}
}

func TestProxyRefusals(t *testing.T) {
	e := newEnv(t, "sbx-a")
	bad := base64.StdEncoding.EncodeToString([]byte("sbx-a:wrong"))
	good := base64.StdEncoding.EncodeToString([]byte("sbx-a:pw-sbx-a"))
	tests := []struct {
		name, req string
		status    int
		body      string
	}{
		{"foreign host", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
			http.StatusForbidden, "this sandbox only proxies the simulated Azure hosts; example.com is not one"},
		{"foreign absolute-form", "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
			http.StatusForbidden, "example.com is not one"},
		{"other port", "CONNECT login.microsoftonline.com:8443 HTTP/1.1\r\nHost: login.microsoftonline.com:8443\r\n\r\n",
			http.StatusForbidden, "port 443 only"},
		{"bad credentials", "CONNECT login.microsoftonline.com:443 HTTP/1.1\r\nHost: login.microsoftonline.com:443\r\nProxy-Authorization: Basic " + bad + "\r\n\r\n",
			http.StatusProxyAuthRequired, "not valid"},
		{"not basic", "CONNECT login.microsoftonline.com:443 HTTP/1.1\r\nHost: login.microsoftonline.com:443\r\nProxy-Authorization: Bearer x\r\n\r\n",
			http.StatusProxyAuthRequired, "not valid"},
		{"origin-form", "GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n", http.StatusBadRequest, "this is a proxy"},
		{"good credentials", "CONNECT login.microsoftonline.com:443 HTTP/1.1\r\nHost: login.microsoftonline.com:443\r\nProxy-Authorization: Basic " + good + "\r\n\r\n",
			http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.raw(t, tc.req)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.body) {
				t.Fatalf("got %d %q", resp.StatusCode, body)
			}
			if tc.status == http.StatusProxyAuthRequired && resp.Header.Get("Proxy-Authenticate") != `Basic realm="azure-auth-sandbox"` {
				t.Errorf("Proxy-Authenticate = %q", resp.Header.Get("Proxy-Authenticate"))
			}
		})
	}
	// Through a Go client the refusal is an error, not a tunnel.
	if _, err := e.client("").Get("https://example.com/"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("client error = %v", err)
	}
}

func TestAbsoluteForm(t *testing.T) {
	e := newEnv(t, "sbx-a")
	vault := e.names("sbx-a").Vault
	// Plain HTTP to anything but the managed-identity endpoints is refused
	// before it reaches the cloud: Azure speaks HTTPS there, and a secret
	// posted in clear must not get a token.
	for _, u := range []string{
		"http://" + vault + ".vault.azure.net/secrets/x/?api-version=2026-04-01",
		"http://login.microsoftonline.com/" + e.tenant("sbx-a") + "/oauth2/v2.0/token",
		"http://management.azure.com/subscriptions?api-version=2022-12-01",
		"http://169.254.169.254:8080/metadata/identity/oauth2/token",
	} {
		resp, err := e.client("sbx-a").Post(u, "application/x-www-form-urlencoded", strings.NewReader("client_secret=s3cret"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "use HTTPS") {
			t.Errorf("%s over plain HTTP: %d %q", u, resp.StatusCode, b)
		}
	}
	if exs := e.cloud.Book().List("sbx-a", 0); len(exs) != 0 {
		t.Errorf("refused plain-HTTP requests reached the cloud: %s", describe(exs))
	}
	// IMDS from a workstation: no HTTP answer at all.
	resp, err := e.client("sbx-a").Get("http://169.254.169.254/metadata/identity/oauth2/token")
	if err == nil {
		resp.Body.Close()
		t.Errorf("IMDS answered %d through the proxy", resp.StatusCode)
	}
	for _, ex := range e.cloud.Book().List("sbx-a", 0) {
		if strings.Contains(ex.URL, "169.254.169.254") {
			t.Errorf("unreachable request recorded: %s", ex.URL)
		}
	}
}

// A program through the proxy that presents a site's IDENTITY_HEADER acts
// as code on that site: App Service's identity endpoint answers it, and the
// header decides (missing 400, another sandbox's 401, the site's own 200).
func TestAppServiceIdentityThroughProxy(t *testing.T) {
	e := newEnv(t, "sbx-a", "sbx-b")
	header := func(id string) (h string) {
		e.boxes[id].View(func(st *world.State) { h = st.Site(e.names(id).MainSite).IdentityHeader })
		return h
	}
	u := entra.AppServiceIdentityEndpoint + "?api-version=" + entra.AppServiceAPIVersion + "&resource=" + url.QueryEscape("https://vault.azure.net")
	tests := []struct {
		name, user, header string
		status             int
	}{
		{"no header", "sbx-a", "", http.StatusBadRequest},
		{"wrong header", "sbx-a", "0123456789abcdef0123456789abcdef", http.StatusUnauthorized},
		{"another sandbox's site", "sbx-a", header("sbx-b"), http.StatusUnauthorized},
		{"the sandbox's site", "sbx-a", header("sbx-a"), http.StatusOK},
		{"without proxy credentials", "", header("sbx-a"), http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			if tc.header != "" {
				req.Header.Set("X-IDENTITY-HEADER", tc.header)
			}
			resp, err := e.client(tc.user).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("= %d %v", resp.StatusCode, body)
			}
			if tc.status == http.StatusOK && (body["access_token"] == nil || body["token_type"] != "Bearer") {
				t.Errorf("token answer %v", body)
			}
			if tc.status != http.StatusOK && body["message"] == nil {
				t.Errorf("error answer %v", body)
			}
		})
	}
	var tokens int
	for _, ex := range e.cloud.Book().List("sbx-a", 0) {
		if strings.HasPrefix(ex.URL, entra.AppServiceIdentityEndpoint) && ex.Status == http.StatusOK && ex.Via == "proxy" {
			tokens++
		}
	}
	// The anonymous request was answered but is in no trace.
	if tokens != 1 {
		t.Errorf("sbx-a's trace has %d issued managed-identity tokens via the proxy, want 1", tokens)
	}
}

func TestProxyStripsProxyAuthorization(t *testing.T) {
	e := newEnv(t, "sbx-a")
	var seen http.Header
	var origin world.Origin
	p := New(e.ca, ownsAll{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, origin = r.Header.Clone(), world.OriginFrom(r.Context())
	})}, func(u, p string) (string, bool) { return "sbx-" + u, p == "pw" })
	defer p.Close()
	srv := httptest.NewServer(p)
	defer srv.Close()
	pu, _ := url.Parse(srv.URL)
	pu.User = url.UserPassword("z", "pw")
	cl := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	resp, err := cl.Get("http://management.azure.com/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if seen.Get("Proxy-Authorization") != "" || origin.SandboxID != "sbx-z" || origin.Via != "proxy" {
		t.Errorf("cloud saw %v, origin %+v", seen, origin)
	}
}

type ownsAll struct{ http.Handler }

func (ownsAll) Owns(string) bool { return true }

func (ownsAll) PlainHTTP(string, string) bool { return true }

func TestSandboxIsolation(t *testing.T) {
	e := newEnv(t, "sbx-a", "sbx-b")
	get := func(user, u string) {
		t.Helper()
		resp, err := e.client(user).Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	disc := func(id string) string {
		return "https://login.microsoftonline.com/" + e.tenant(id) + "/v2.0/.well-known/openid-configuration"
	}
	get("sbx-a", disc("sbx-a"))
	get("sbx-b", disc("sbx-b"))
	get("", "https://"+e.names("sbx-b").Vault+".vault.azure.net/secrets/x/?api-version=2026-04-01")
	get("sbx-a", "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/v2.0/authorize")

	for id, wantHosts := range map[string][]string{
		"sbx-a": {e.tenant("sbx-a"), "common/discovery"},
		"sbx-b": {e.tenant("sbx-b")}, // not the anonymous GET of its vault
	} {
		exs := e.cloud.Book().List(id, 0)
		if len(exs) != len(wantHosts) {
			t.Errorf("%s has %d exchanges, want %d", id, len(exs), len(wantHosts))
			continue
		}
		for i, ex := range exs {
			if ex.SandboxID != id || !strings.Contains(ex.URL, wantHosts[i]) {
				t.Errorf("%s exchange %d: %s", id, i, ex.URL)
			}
		}
	}
}

func TestCA(t *testing.T) {
	ca, _ := fixtures(t)
	loaded, err := LoadCA(ca.CertPEM(), ca.KeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Certificate().Subject.CommonName != CACommonName || !loaded.Certificate().IsCA {
		t.Errorf("root %v", loaded.Certificate().Subject)
	}
	tests := []struct{ host, verify string }{
		{"login.microsoftonline.com", "login.microsoftonline.com"},
		{"KV.vault.azure.net.", "kv.vault.azure.net"},
		{"169.254.169.254", "169.254.169.254"},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			c1, err := loaded.Leaf(tc.host)
			if err != nil {
				t.Fatal(err)
			}
			c2, _ := loaded.Leaf(tc.host)
			if c1 != c2 {
				t.Errorf("leaf minted twice")
			}
			if err := c1.Leaf.VerifyHostname(tc.verify); err != nil {
				t.Error(err)
			}
			if _, err := c1.Leaf.Verify(x509VerifyOpts(loaded)); err != nil {
				t.Errorf("leaf does not chain to the root: %v", err)
			}
		})
	}
	if _, err := LoadCA(ca.CertPEM(), mustOtherKey(t)); err == nil {
		t.Errorf("LoadCA accepted a key of another CA")
	}
	if _, err := LoadCA([]byte("junk"), ca.KeyPEM()); err == nil {
		t.Errorf("LoadCA accepted junk")
	}
}

// Closing the proxy ends its tunnels and its internal server: no goroutine
// outlives it.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	ca, keys := fixtures(t)
	c, err := sim.New(sim.Config{Registry: world.NewRegistry(nil, nil), Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	p := New(ca, c, nil)
	srv := httptest.NewServer(p)
	pu, _ := url.Parse(srv.URL)
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}
	for range 3 { // open tunnels, left idle (kept alive) on purpose
		resp, err := (&http.Client{Transport: tr}).Get("https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/v2.0/authorize")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections() // next Get opens a new tunnel
	}
	resp, _ := (&http.Client{Transport: tr}).Get("https://login.microsoftonline.com/common/discovery/instance?api-version=1.1")
	if resp != nil {
		resp.Body.Close()
	}
	srv.Close()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// lockedBuffer is a log sink safe for the proxy's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The proxy logs to the logger it was given (the server's, at its
// --log-level): a tunnel whose client does not speak TLS is a debug line.
func TestProxyLogsToItsLogger(t *testing.T) {
	e := newEnv(t, "sbx-a")
	var buf lockedBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := New(e.ca, ownsAll{http.NotFoundHandler()}, nil, WithLogger(log))
	defer p.Close()
	srv := httptest.NewServer(p)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "CONNECT kv.vault.azure.net:443 HTTP/1.1\r\nHost: kv.vault.azure.net:443\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	conn.Write([]byte("this is not a TLS client hello\r\n\r\n"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "component=proxy") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if out := buf.String(); !strings.Contains(out, "component=proxy") || !strings.Contains(out, "TLS handshake error") {
		t.Fatalf("log = %q", out)
	}
}
