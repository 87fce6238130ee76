package arm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/inproc"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// cloud is the services under test behind a host router, as the front door
// routes them.
type cloud struct {
	reg  *world.Registry
	iss  *entra.Issuer
	arm  *Service
	sts  *entra.Service
	opts azcore.ClientOptions
}

func newCloud(t testing.TB) *cloud {
	t.Helper()
	ks := entratest.Keys(t)
	reg := world.NewRegistry(nil, nil)
	c := &cloud{reg: reg, iss: entra.NewIssuer(ks), arm: New(reg, entra.NewValidator(ks))}
	c.sts = entra.NewService(reg, c.iss)
	c.opts = azcore.ClientOptions{Transport: &http.Client{Transport: &inproc.Transport{Handler: c}}}
	return c
}

func (c *cloud) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	switch {
	case host == service.HostARM:
		c.arm.ServeHTTP(rw, r)
	case entra.IsAuthorityHost(host):
		c.sts.ServeHTTP(rw, r)
	default:
		http.Error(rw, "no such host", http.StatusBadGateway)
	}
}

func (c *cloud) world(t testing.TB, id string) *world.World {
	t.Helper()
	w, err := scenario.Build(context.Background(), c.reg, id, scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// cred is the real azidentity credential of a scenario principal.
func (c *cloud) cred(t testing.TB, w *world.World, label string) azcore.TokenCredential {
	t.Helper()
	var appID, secret string
	w.View(func(s *world.State) {
		appID, secret = s.Principals[s.Labels[label]].AppID, s.Keychain[label]
	})
	cred, err := azidentity.NewClientSecretCredential(w.TenantID(), appID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: c.opts})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func (c *cloud) armOptions() *arm.ClientOptions { return &arm.ClientOptions{ClientOptions: c.opts} }

// token mints an ARM token for a labelled principal directly.
func (c *cloud) token(t testing.TB, w *world.World, label, resource string, now time.Time) string {
	t.Helper()
	p := principal(w, label)
	tok, _, err := c.iss.Issue(w, &p, resource, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func principal(w *world.World, label string) world.Principal {
	var p world.Principal
	w.View(func(s *world.State) { p = *s.Principals[s.Labels[label]] })
	return p
}

func label(w *world.World, l string) string {
	var v string
	w.View(func(s *world.State) { v = s.Labels[l] })
	return v
}

func vaultID(w *world.World) string {
	var id string
	w.View(func(s *world.State) {
		id = s.VaultID(s.Vault(scenario.ResourcesOf(s).Vault))
	})
	return id
}

// call sends one raw request to ARM and decodes the error envelope, if any.
type result struct {
	status int
	header http.Header
	body   []byte
	code   string
	msg    string
}

func (c *cloud) call(t testing.TB, method, path, token, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, "https://"+service.HostARM+path, rd)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	c.arm.ServeHTTP(rec, r)
	res := result{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(res.body, &e) == nil {
		res.code, res.msg = e.Error.Code, e.Error.Message
	}
	return res
}

// sdkError extracts ARM's code and message from an SDK error.
func sdkError(t testing.TB, err error) (status int, code, msg string) {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not a ResponseError", err)
	}
	b, _ := io.ReadAll(re.RawResponse.Body)
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	if e.Error.Code != re.ErrorCode {
		t.Errorf("SDK ErrorCode %q, body code %q", re.ErrorCode, e.Error.Code)
	}
	return re.StatusCode, e.Error.Code, e.Error.Message
}
