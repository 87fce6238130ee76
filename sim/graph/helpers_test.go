package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/inproc"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// env is one walkthrough sandbox with Entra and Graph behind a host router.
type env struct {
	tb     testing.TB
	reg    *world.Registry
	w      *world.World
	iss    *entra.Issuer
	client *http.Client
	tenant string

	mu    sync.Mutex
	notes *trace.Notes // of the last Graph request
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	keys := entratest.Keys(tb)
	e := &env{tb: tb, reg: world.NewRegistry(nil, nil), iss: entra.NewIssuer(keys)}
	w, err := scenario.Build(context.Background(), e.reg, "sbx-graph", scenario.Walkthrough)
	if err != nil {
		tb.Fatal(err)
	}
	e.w, e.tenant = w, w.TenantID()
	g := New(e.reg, entra.NewValidator(keys))
	login := entra.NewService(e.reg, e.iss)
	router := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch strings.ToLower(r.Host) {
		case "login.microsoftonline.com":
			login.ServeHTTP(rw, r)
		case service.HostGraph:
			n := &trace.Notes{}
			g.ServeHTTP(rw, r.WithContext(trace.WithNotes(r.Context(), n)))
			e.mu.Lock()
			e.notes = n
			e.mu.Unlock()
		default:
			http.NotFound(rw, r)
		}
	})
	e.client = &http.Client{Transport: &inproc.Transport{Handler: router}}
	return e
}

func (e *env) lastNotes() *trace.Notes {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.notes
}

func (e *env) options() azcore.ClientOptions { return azcore.ClientOptions{Transport: e.client} }

// credential is a client secret credential of an app; a fresh one has no
// token cache.
func (e *env) credential(appID, secret string) *azidentity.ClientSecretCredential {
	e.tb.Helper()
	c, err := azidentity.NewClientSecretCredential(e.tenant, appID, secret, &azidentity.ClientSecretCredentialOptions{ClientOptions: e.options()})
	if err != nil {
		e.tb.Fatal(err)
	}
	return c
}

// labelled returns the credential of a scenario principal holding a secret.
func (e *env) labelled(label string) *azidentity.ClientSecretCredential {
	var appID, secret string
	e.w.View(func(st *world.State) {
		appID, secret = st.Principals[st.Labels[label]].AppID, st.Keychain[label]
	})
	return e.credential(appID, secret)
}

// token gets a token for scope.
func (e *env) token(c azcore.TokenCredential, scope string) (string, error) {
	tk, err := c.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{scope}})
	return tk.Token, err
}

func (e *env) graphToken(c azcore.TokenCredential) string {
	e.tb.Helper()
	tk, err := e.token(c, "https://graph.microsoft.com/.default")
	if err != nil {
		e.tb.Fatal(err)
	}
	return tk
}

// answer is a decoded Graph response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (a answer) errorCode() string {
	m, _ := a.body["error"].(map[string]any)
	s, _ := m["code"].(string)
	return s
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// call sends one Graph request with token (none when empty) and raw body.
func (e *env) call(token, method, path, body string) answer {
	e.tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "https://"+service.HostGraph+path, rd)
	if err != nil {
		e.tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("client-request-id", "c0ffee00-0000-0000-0000-000000000001")
	resp, err := e.client.Do(req)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, &a.body); err != nil {
			e.tb.Fatalf("%s %s: body is not JSON: %q", method, path, b)
		}
	}
	return a
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
