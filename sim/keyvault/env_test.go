package keyvault

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/inproc"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// env is a registry with one walkthrough sandbox, the Entra and Key Vault
// services behind a host router, and an HTTP client reaching them in process.
type env struct {
	tb     testing.TB
	reg    *world.Registry
	w      *world.World
	iss    *entra.Issuer
	kv     *Service
	names  scenario.Resources
	rec    *recorder
	client *http.Client
	router http.Handler

	mu    sync.Mutex
	notes []*trace.Notes // notes of each vault request, in order
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	keys := entratest.Keys(tb)
	e := &env{tb: tb, reg: world.NewRegistry(nil, nil), iss: entra.NewIssuer(keys)}
	w, err := scenario.Build(context.Background(), e.reg, "sbx-kv", scenario.Walkthrough)
	if err != nil {
		tb.Fatal(err)
	}
	e.w = w
	w.View(func(s *world.State) { e.names = scenario.ResourcesOf(s) })
	e.kv = New(e.reg, entra.NewValidator(keys))
	login := entra.NewService(e.reg, e.iss)
	e.router = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(r.Host)
		if h, _, ok := strings.Cut(host, ":"); ok {
			host = h
		}
		switch {
		case host == "login.microsoftonline.com":
			login.ServeHTTP(rw, r)
		case strings.HasSuffix(host, service.SuffixKeyVault):
			n := &trace.Notes{}
			e.mu.Lock()
			e.notes = append(e.notes, n)
			e.mu.Unlock()
			e.kv.ServeHTTP(rw, r.WithContext(trace.WithNotes(r.Context(), n)))
		default:
			http.Error(rw, "no such host "+host, http.StatusBadGateway)
		}
	})
	e.rec = &recorder{next: &inproc.Transport{Handler: e.router}}
	e.client = &http.Client{Transport: e.rec}
	return e
}

func (e *env) vaultURL() string { return "https://" + e.names.Vault + service.SuffixKeyVault }

func (e *env) label(l string) string {
	var id string
	e.w.View(func(s *world.State) { id = s.Labels[l] })
	return id
}

func (e *env) principal(l string) *world.Principal {
	var p world.Principal
	e.w.View(func(s *world.State) { p = *s.Principals[s.Labels[l]] })
	return &p
}

// credential is a ClientSecretCredential of a labelled app, talking to the
// simulated Entra ID.
func (e *env) credential(l string) azcore.TokenCredential {
	e.tb.Helper()
	var tenant, appID, secret string
	e.w.View(func(s *world.State) {
		tenant, appID, secret = s.TenantID, s.Principals[s.Labels[l]].AppID, s.Keychain[l]
	})
	cred, err := azidentity.NewClientSecretCredential(tenant, appID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: e.clientOptions()})
	if err != nil {
		e.tb.Fatal(err)
	}
	return cred
}

func (e *env) clientOptions() azcore.ClientOptions {
	return azcore.ClientOptions{Transport: e.client, Retry: policy.RetryOptions{MaxRetries: -1}}
}

func (e *env) secrets(cred azcore.TokenCredential) *azsecrets.Client {
	e.tb.Helper()
	c, err := azsecrets.NewClient(e.vaultURL(), cred, &azsecrets.ClientOptions{ClientOptions: e.clientOptions()})
	if err != nil {
		e.tb.Fatal(err)
	}
	return c
}

// grant assigns a built-in role to a labelled principal at scope.
func (e *env) grant(l, role, scope string) rbac.Assignment {
	e.tb.Helper()
	var a rbac.Assignment
	err := e.w.Update(context.Background(), func(tx *world.Tx) error {
		a = tx.AddRoleAssignment(rbac.Assignment{Scope: scope, RoleDefinitionID: role, PrincipalID: tx.State.Labels[l]})
		return nil
	})
	if err != nil {
		e.tb.Fatal(err)
	}
	return a
}

func (e *env) vaultScope() string {
	var id string
	e.w.View(func(s *world.State) { id = s.VaultID(s.Vault(e.names.Vault)) })
	return id
}

func (e *env) rgScope() string {
	var id string
	e.w.View(func(s *world.State) { id = s.ResourceGroupID(scenario.ResourceGroup) })
	return id
}

// useAccessPolicies switches the vault to the access-policy model.
func (e *env) useAccessPolicies(policies ...world.AccessPolicy) {
	e.tb.Helper()
	err := e.w.Update(context.Background(), func(tx *world.Tx) error {
		v := tx.State.Vault(e.names.Vault)
		v.EnableRbacAuthorization = false
		v.AccessPolicies = policies
		return nil
	})
	if err != nil {
		e.tb.Fatal(err)
	}
}

// advance moves the sandbox clock.
func (e *env) advance(d time.Duration) {
	_ = e.w.Update(context.Background(), func(tx *world.Tx) error {
		tx.State.ClockOffset += d
		return nil
	})
}

// token mints an access token for a labelled principal directly.
func (e *env) token(l, resource string) string {
	e.tb.Helper()
	tok, _, err := e.iss.Issue(e.w, e.principal(l), resource, e.w.Now())
	if err != nil {
		e.tb.Fatal(err)
	}
	return tok
}

// lastNotes returns the notes of the latest vault request.
func (e *env) lastNotes() *trace.Notes {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.notes) == 0 {
		e.tb.Fatal("no vault request was served")
	}
	return e.notes[len(e.notes)-1]
}

// response is a raw answer of the vault.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) errorCode() (code, message, inner string) {
	var b kvError
	_ = json.Unmarshal(r.body, &b)
	if b.Error.InnerError != nil {
		inner = b.Error.InnerError.Code
	}
	return b.Error.Code, b.Error.Message, inner
}

// do sends one raw request to the vault (path may include a query).
func (e *env) do(method, path, token, body string) response {
	e.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.vaultURL()+path, rd)
	if err != nil {
		e.tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// recorder is a transport that remembers every exchange.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

type exchange struct {
	method, host, path string
	authorized         bool
	status             int
	challenge          string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	x := exchange{method: req.Method, host: req.URL.Host, path: req.URL.Path, authorized: req.Header.Get("Authorization") != ""}
	if resp != nil {
		x.status = resp.StatusCode
		x.challenge = resp.Header.Get("WWW-Authenticate")
	}
	r.mu.Lock()
	r.log = append(r.log, x)
	r.mu.Unlock()
	return resp, err
}

func (r *recorder) exchanges() []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.log...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.log = nil
	r.mu.Unlock()
}

// vault returns the exchanges with vault hosts.
func vaultExchanges(xs []exchange) []exchange {
	var out []exchange
	for _, x := range xs {
		if strings.HasSuffix(strings.Split(x.host, ":")[0], service.SuffixKeyVault) {
			out = append(out, x)
		}
	}
	return out
}

func mustResponseError(tb testing.TB, err error, status int) *azcore.ResponseError {
	tb.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		tb.Fatalf("want *azcore.ResponseError %d, got %v", status, err)
	}
	if re.StatusCode != status {
		tb.Fatalf("status = %d, want %d: %v", re.StatusCode, status, err)
	}
	return re
}
