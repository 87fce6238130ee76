package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/store"
)

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	res := e.bearer("", "GET", "/healthz", "")
	if res.StatusCode != 200 || strings.TrimSpace(res.body) != `{"status":"ok"}` {
		t.Fatalf("healthz = %d %s", res.StatusCode, res.body)
	}
	e.db.Close()
	res = e.bearer("", "GET", "/healthz", "")
	if res.StatusCode != http.StatusServiceUnavailable || apiError(t, res).Code != CodeUnavailable {
		t.Fatalf("healthz with a closed store = %d %s", res.StatusCode, res.body)
	}
}

func TestCACert(t *testing.T) {
	e := newEnv(t)
	res := e.bearer("", "GET", "/ca.pem", "")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/x-pem-file" ||
		!strings.HasPrefix(res.body, "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("ca.pem = %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/api/sandboxes", "/api/nope", "/healthz", "/static/css/app.css", "/ca.pem"} {
		t.Run(path, func(t *testing.T) {
			res := e.browser().do("GET", path, nil, nil)
			want := map[string]string{
				"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
			}
			for k, v := range want {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if res.Header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	res := b.do("GET", "/healthz", nil, map[string]string{"X-Request-Id": "abc-123"})
	if got := res.Header.Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("plain client ID not kept: %q", got)
	}
	res = b.do("GET", "/healthz", nil, map[string]string{"X-Request-Id": "bad id\twith spaces"})
	if got := res.Header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
		t.Errorf("junk client ID kept: %q", got)
	}
	a := b.do("GET", "/healthz", nil, nil).Header.Get("X-Request-Id")
	c := b.do("GET", "/healthz", nil, nil).Header.Get("X-Request-Id")
	if a == "" || a == c {
		t.Errorf("generated IDs %q %q", a, c)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newEnv(t)
	for path, ct := range map[string]string{"/static/css/app.css": "text/css", "/static/js/htmx.min.js": "javascript"} {
		res := e.bearer("", "GET", path, "")
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), ct) || len(res.body) < 100 {
			t.Errorf("%s = %d %q (%d bytes)", path, res.StatusCode, res.Header.Get("Content-Type"), len(res.body))
		}
	}
	if res := e.bearer("", "GET", "/static/nope.js", ""); res.StatusCode != 404 {
		t.Errorf("missing asset = %d", res.StatusCode)
	}
}

// Finding: every cookieless GET / created a learner row. A page view now
// only starts a session; the learner row comes with the first action.
func TestLearnerCreatedOnFirstActionNotOnPageView(t *testing.T) {
	e := newEnv(t)
	u := mustURL(e.srv.URL)
	session := func(b *browser) string {
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == sessionCookie {
				return c.Value
			}
		}
		return ""
	}
	b := e.browser()
	// A stale or planted cookie of the wrong shape is replaced.
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: "stale-token-from-a-wiped-server", Path: "/"}})
	for _, path := range []string{"/", "/lessons", "/lessons/auth-at-the-call"} {
		if res := b.do("GET", path, nil, nil); res.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, res.StatusCode)
		}
	}
	b.visit()
	v := session(b)
	if v == "" || v == "stale-token-from-a-wiped-server" {
		t.Fatalf("session cookie %q", v)
	}
	if _, err := e.db.LearnerBySession(context.Background(), v); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("page views created a learner (err %v)", err)
	}
	for i := 0; i < 20; i++ { // cookieless visits: none leaves a row
		nb := e.browser()
		nb.visit()
		if _, err := e.db.LearnerBySession(context.Background(), session(nb)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("visit %d created a learner (err %v)", i, err)
		}
	}
	if res := b.form("/learner/name", url.Values{"displayName": {"Ada"}}, false); res.StatusCode >= 400 {
		t.Fatalf("rename = %d %s", res.StatusCode, res.body)
	}
	l, err := e.db.LearnerBySession(context.Background(), v)
	if err != nil || l.DisplayName != "Ada" {
		t.Fatalf("first action: learner %+v, %v", l, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLogsCarryRequestIDsAndNoSecrets(t *testing.T) {
	e := newEnv(t)
	var logs syncBuffer
	e.app.log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := e.browser()
	b.visit()
	sb := decode[sandboxJSON](t, b.api("POST", "/api/sandboxes", "").body)
	e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace?after=0", "")
	e.bearer(sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/clock", `{"advanceSeconds":-5}`)
	e.bearer("wrong-"+sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID, "")
	var session string
	for _, c := range b.c.Jar.Cookies(mustURL(e.srv.URL)) {
		if c.Name == sessionCookie {
			session = c.Value
		}
	}
	out := logs.String()
	for name, secret := range map[string]string{
		"access key": sb.AccessKey, "session": session, "csrf": b.csrf,
		"owner secret": sb.Principals.Owner.ClientSecret, "password": sb.Developer.Password,
	} {
		if secret == "" || strings.Contains(out, secret) {
			t.Errorf("%s in logs (or empty)", name)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var requests int
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line not JSON: %s", l)
		}
		if rec["msg"] == "request" {
			requests++
			if id, _ := rec["request_id"].(string); id == "" {
				t.Errorf("request line without request_id: %s", l)
			}
			if rec["status"] == nil || rec["path"] == nil || rec["method"] == nil {
				t.Errorf("request line lacks fields: %s", l)
			}
		}
	}
	if requests != 5 {
		t.Errorf("%d request lines, want 5:\n%s", requests, out)
	}
}
