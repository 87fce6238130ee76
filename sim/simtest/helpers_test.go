package simtest_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/azure-auth-sandbox/sandbox/sim"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/proxy"
	"github.com/azure-auth-sandbox/sandbox/sim/proxy/proxytest"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// miLifetime caps runner managed-identity tokens: msal-go never caches a
// token valid for 5 minutes or less, so its process-wide managed-identity
// cache never hands one test's (or sandbox's) token to another.
const miLifetime = 5 * time.Minute

// env is one simulated cloud with walkthrough sandboxes and, on demand, the
// proxy in front of it.
type env struct {
	tb    testing.TB
	cloud *sim.Cloud
	boxes map[string]*box
	ca    *proxy.CA
	srv   *httptest.Server // the proxy; nil until withProxy
}

// box is one walkthrough sandbox.
type box struct {
	id    string
	w     *world.World
	names scenario.Resources
}

func newEnv(tb testing.TB, ids ...string) *env {
	tb.Helper()
	keys, ca := entratest.Keys(tb), proxytest.CA(tb)
	c, err := sim.New(sim.Config{Registry: world.NewRegistry(nil, nil), Keys: keys, RunnerMITokenLifetime: miLifetime})
	if err != nil {
		tb.Fatal(err)
	}
	e := &env{tb: tb, cloud: c, boxes: map[string]*box{}, ca: ca}
	for _, id := range ids {
		w, err := scenario.Build(context.Background(), c.Registry(), id, scenario.Walkthrough)
		if err != nil {
			tb.Fatal(err)
		}
		b := &box{id: id, w: w}
		w.View(func(st *world.State) { b.names = scenario.ResourcesOf(st) })
		e.boxes[id] = b
	}
	return e
}

// accessKey is the proxy password of sandbox id in these tests.
func accessKey(id string) string { return "key-" + id }

// withProxy starts the proxy (Basic credentials sandboxID:accessKey).
func (e *env) withProxy() *env {
	p := proxy.New(e.ca, e.cloud, func(user, pass string) (string, bool) {
		if _, ok := e.boxes[user]; ok && pass == accessKey(user) {
			return user, true
		}
		return "", false
	})
	e.srv = httptest.NewServer(p)
	e.tb.Cleanup(func() {
		e.srv.Close()
		p.Close()
	})
	return e
}

// proxyURL is the proxy's URL, with sandbox id's credentials when id is set.
func (e *env) proxyURL(id string) *url.URL {
	u, _ := url.Parse(e.srv.URL)
	if id != "" {
		u.User = url.UserPassword(id, accessKey(id))
	}
	return u
}

// proxyClient is an HTTP client that reaches the cloud through the proxy
// over real TLS, trusting the sandbox CA, as sandbox id.
func (e *env) proxyClient(id string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:           http.ProxyURL(e.proxyURL(id)),
		TLSClientConfig: &tls.Config{RootCAs: e.ca.Pool()},
	}}
}

// runner is origin o's in-process HTTP client.
func (e *env) runner(o world.Origin) *http.Client {
	return &http.Client{Transport: e.cloud.Transport(o)}
}

// opts are SDK client options over the given HTTP client, with retries off
// so a denied call costs one exchange.
func opts(c *http.Client) azcore.ClientOptions {
	return azcore.ClientOptions{Transport: c, Retry: policy.RetryOptions{MaxRetries: -1}}
}

func (b *box) label(l string) (objectID string) {
	b.w.View(func(st *world.State) { objectID = st.Labels[l] })
	return
}

func (b *box) principal(l string) (p world.Principal) {
	b.w.View(func(st *world.State) { p = *st.Principals[st.Labels[l]] })
	return
}

func (b *box) secret(l string) (v string) {
	b.w.View(func(st *world.State) { v = st.Keychain[l] })
	return
}

func (b *box) site(name string) (s world.Site, id string) {
	b.w.View(func(st *world.State) {
		site := st.Site(name)
		s, id = *site, st.SiteID(site)
	})
	return
}

func (b *box) vaultURL() string { return "https://" + b.names.Vault + ".vault.azure.net" }

func (b *box) queueServiceURL() string {
	return "https://" + b.names.StorageAccount + ".queue.core.windows.net/"
}

func (b *box) apiURL() string {
	return "https://" + b.names.ThirdPartySite + ".azurewebsites.net/api/" + scenario.FunctionName
}

// onSite is the origin of code running on the sandbox's main app site.
func (b *box) onSite(step string) world.Origin {
	return world.Origin{SandboxID: b.id, Via: "runner", Site: b.names.MainSite, Step: step}
}

// grant assigns role to the labelled principal at scope (world op, as the
// portal or az would), returning the assignment.
func (b *box) grant(tb testing.TB, label, role string, scope func(st *world.State) string) rbac.Assignment {
	tb.Helper()
	var a rbac.Assignment
	err := b.w.Update(context.Background(), func(tx *world.Tx) error {
		p := tx.State.Principals[tx.State.Labels[label]]
		a = tx.AddRoleAssignment(rbac.Assignment{
			Scope: scope(tx.State), RoleDefinitionID: role, PrincipalID: p.ObjectID, PrincipalType: p.Type(),
		})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func (b *box) vaultScope(st *world.State) string { return st.VaultID(st.Vault(b.names.Vault)) }

func (b *box) queueScope(st *world.State) string {
	return st.QueueScope(st.StorageAccount(b.names.StorageAccount), scenario.QueueName)
}

func (b *box) accountScope(st *world.State) string {
	return st.StorageAccountID(st.StorageAccount(b.names.StorageAccount))
}

// since returns the sandbox's exchanges recorded after seq.
func (e *env) since(id string, seq int64) []trace.Exchange { return e.cloud.Book().List(id, seq) }

// lastSeq is the sequence number of the sandbox's newest exchange (0 if none).
func (e *env) lastSeq(id string) int64 {
	exs := e.cloud.Book().List(id, 0)
	if len(exs) == 0 {
		return 0
	}
	return exs[len(exs)-1].Seq
}

func describe(exs []trace.Exchange) string {
	var b strings.Builder
	for _, ex := range exs {
		b.WriteString("\n  " + ex.Via + " [" + string(ex.Service) + "] " + ex.Method + " " + ex.URL + " → " + http.StatusText(ex.Status))
	}
	return b.String()
}

// find returns the exchanges of service with the given status.
func find(exs []trace.Exchange, svc service.Name, status int) []trace.Exchange {
	var out []trace.Exchange
	for _, ex := range exs {
		if ex.Service == svc && ex.Status == status {
			out = append(out, ex)
		}
	}
	return out
}

// claim returns a string claim of a decoded token ("" when absent).
func claim(tok *trace.Token, name string) string {
	if tok == nil {
		return ""
	}
	s, _ := tok.Claims[name].(string)
	return s
}

// signedJWT matches a complete JWT (header, claims and signature): the trace
// may keep a token's decoded claims but never a usable token.
var signedJWT = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}`)

// assertNoSecrets fails when the trace, as the browser would get it (JSON),
// holds a usable token or any of the given secret values.
func assertNoSecrets(t *testing.T, exs []trace.Exchange, secrets ...string) {
	t.Helper()
	for _, ex := range exs {
		raw, err := json.Marshal(ex)
		if err != nil {
			t.Fatal(err)
		}
		if m := signedJWT.Find(raw); m != nil {
			t.Errorf("%s %s: a signed token is in the trace: %.40s…", ex.Method, ex.URL, m)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(string(raw), s) {
				t.Errorf("%s %s: secret %.3s… is in the trace", ex.Method, ex.URL, s)
			}
		}
	}
}
