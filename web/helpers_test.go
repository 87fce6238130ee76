package web

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/sim"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// env is a web application on a real store in a temporary directory.
type env struct {
	t    testing.TB
	path string // the database file
	db   *store.DB
	reg  *world.Registry
	book *trace.Book
	// sandboxes is the lifecycle service the app runs on.
	sandboxes *sandboxes.Service
	// real, when set, offers real-mode sandboxes.
	real sandboxes.RealAzure
	app  *Server
	srv  *httptest.Server
	// python makes open give the player a Python runner reaching cloud
	// (python_test.go); py is the one it made.
	python func(e *env, cloud *sim.Cloud) *lessons.Python
	py     *lessons.Python
	// now, when set, is the workshops' clock (end times).
	now func() time.Time
	// limits are the sandbox creation limits (zero: the defaults).
	limits sandboxes.Limits
	// traceLimit is how many exchanges the book keeps (zero: 500).
	traceLimit int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "sandbox.db")}
	e.open()
	return e
}

// open starts the application over the database file (as cmd/sandbox does:
// the worlds and traces in it are loaded first).
func (e *env) open() {
	t := e.t
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, e.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.reg = world.NewRegistry(nil, sandboxes.Persister{Store: db})
	e.book = trace.NewBook(cmp.Or(e.traceLimit, 500), db)
	e.sandboxes, err = sandboxes.New(sandboxes.Config{Store: db, Cloud: sandboxes.NewSimulated(e.reg), Book: e.book, Real: e.real, Limits: e.limits})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.sandboxes.Restore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if worlds, _ := db.AllWorlds(ctx); n != len(worlds) {
		t.Fatalf("restored %d of %d sandboxes", n, len(worlds))
	}
	cloud, err := sim.New(sim.Config{Registry: e.reg, Book: e.book})
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://127.0.0.1:8080")
	if e.python != nil {
		e.py = e.python(e, cloud)
	}
	e.app, err = New(Config{
		Python:           e.py,
		Store:            db,
		Sandboxes:        e.sandboxes,
		Cloud:            lessons.FromSim(cloud),
		CACertPEM:        []byte("-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n"),
		BaseURL:          base,
		IdentityEndpoint: "http://169.254.129.2:8081/msi/token",
		Key:              []byte("a fixed key: kept across restart"),
		Now:              e.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.app)
	t.Cleanup(e.srv.Close)
	t.Cleanup(e.app.StopPrograms)
}

// restart stops the application and starts a new one over the same
// database file: nothing in memory survives. Browsers keep their cookies.
func (e *env) restart() {
	e.t.Helper()
	e.srv.Close()
	e.app.CloseStreams() // also stops the workshop scheduler
	if err := e.db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

// browser is a client with its own cookie jar: one learner.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)

// visit opens the home page: it creates the learner and picks up the CSRF
// token.
func (b *browser) visit() string {
	b.e.t.Helper()
	res := b.do("GET", "/", nil, nil)
	if res.StatusCode != 200 {
		b.e.t.Fatalf("GET / = %d: %s", res.StatusCode, res.body)
	}
	m := csrfMeta.FindStringSubmatch(res.body)
	if m == nil || m[1] == "" {
		b.e.t.Fatalf("no CSRF token in home page")
	}
	b.csrf = m[1]
	return res.body
}

type response struct {
	*http.Response
	body string
}

func (b *browser) do(method, path string, body io.Reader, hdr map[string]string) response {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return response{Response: res, body: string(data)}
}

// api sends a JSON API request authenticated by the session (with the CSRF
// header).
func (b *browser) api(method, path, body string) response {
	b.e.t.Helper()
	h := map[string]string{"Accept": "application/json", "X-CSRF-Token": b.csrf}
	var r io.Reader
	if body != "" {
		h["Content-Type"] = "application/json"
		r = strings.NewReader(body)
	}
	return b.do(method, path, r, h)
}

// bearer sends a JSON API request with an access key and no cookies.
func (e *env) bearer(key, method, path, body string) response {
	e.t.Helper()
	b := &browser{e: e, c: http.DefaultClient}
	h := map[string]string{"Accept": "application/json"}
	if key != "" {
		h["Authorization"] = "Bearer " + key
	}
	var r io.Reader
	if body != "" {
		h["Content-Type"] = "application/json"
		r = strings.NewReader(body)
	}
	return b.do(method, path, r, h)
}

// createAnon creates a sandbox without a session (curl style).
func (e *env) createAnon(scenario string) sandboxJSON {
	e.t.Helper()
	body := ""
	if scenario != "" {
		body = `{"scenario":"` + scenario + `"}`
	}
	res := e.bearer("", "POST", "/api/sandboxes", body)
	if res.StatusCode != 201 {
		e.t.Fatalf("create: %d %s", res.StatusCode, res.body)
	}
	return decode[sandboxJSON](e.t, res.body)
}

func decode[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T: %v in %s", v, err, s)
	}
	return v
}

// apiError decodes an error body, failing unless it has the right shape.
func apiError(t testing.TB, res response) errorDetail {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error Content-Type = %q, body %s", ct, res.body)
	}
	var b struct {
		Error *errorDetail `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(res.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil || b.Error == nil || b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("not an error body (%v): %s", err, res.body)
	}
	return *b.Error
}
