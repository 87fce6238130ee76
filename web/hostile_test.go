package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sandboxes"
)

// Finding: the CSRF token was a double-submit cookie, so a planted _csrf
// cookie (another service on the same host name, any port) with the same
// form value passed. The token is now bound to the session.
func TestCSRFTokenBoundToSession(t *testing.T) {
	e := newEnv(t)
	victim := e.browser()
	victim.visit()
	attacker := e.browser()
	attacker.visit()
	u := mustURL(e.srv.URL)
	victim.c.Jar.SetCookies(u, []*http.Cookie{{Name: "_csrf", Value: "planted", Path: "/"}})
	for _, token := range []string{"planted", attacker.csrf, ""} {
		res := victim.do("POST", "/api/sandboxes", strings.NewReader(`{}`), map[string]string{
			"Content-Type": "application/json", "X-CSRF-Token": token})
		if res.StatusCode != http.StatusForbidden || apiError(t, res).Code != CodeCSRF {
			t.Errorf("token %q: %d %s", token, res.StatusCode, res.body)
		}
		res = victim.do("POST", "/sandboxes", strings.NewReader("_csrf="+token), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded"})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("form with token %q: %d", token, res.StatusCode)
		}
	}
	if victim.csrf == attacker.csrf {
		t.Fatal("two sessions share a CSRF token")
	}
	// The victim's own token works, and keeps working once the learner
	// exists (the session, not the learner row, is what it is bound to).
	for i := 0; i < 2; i++ {
		if res := victim.api("POST", "/api/sandboxes", ""); res.StatusCode != http.StatusCreated {
			t.Fatalf("own token, create %d: %d %s", i, res.StatusCode, res.body)
		}
	}
}

// Finding: GET /api/sandboxes/{id} (access key and secrets) had no
// Cache-Control: no-store; /static/ listed its directory.
func TestNoStoreAndNoDirectoryListing(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.visit()
	sb := e.createAnon("")
	for name, res := range map[string]response{
		"get":     e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID, ""),
		"list":    e.bearer(sb.AccessKey, "GET", "/api/sandboxes", ""),
		"create":  e.bearer("", "POST", "/api/sandboxes", ""),
		"reset":   e.bearer(sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/reset", ""),
		"trace":   e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace", ""),
		"har":     e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace.har", ""),
		"home":    b.do("GET", "/", nil, nil),
		"refusal": e.bearer("wrong", "GET", "/api/sandboxes/"+sb.ID, ""),
	} {
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q (status %d)", name, cc, res.StatusCode)
		}
	}
	for _, dir := range []string{"/static/", "/static/css/", "/static/js", "/static/img/"} {
		res := e.bearer("", "GET", dir, "")
		if res.StatusCode != http.StatusNotFound || strings.Contains(res.body, "<a href") {
			t.Errorf("%s = %d %q", dir, res.StatusCode, res.body)
		}
	}
	if res := e.bearer("", "GET", "/static/css/app.css", ""); res.StatusCode != http.StatusOK {
		t.Errorf("a file under /static/ = %d", res.StatusCode)
	}
}

// Finding: the proxy password was the access key, which also deletes and
// resets the sandbox. It is now a separate value that only tags traffic.
func TestProxyPasswordIsNotTheAccessKey(t *testing.T) {
	e := newEnv(t)
	sb := e.createAnon("")
	if sb.ProxyPassword == "" || sb.ProxyPassword == sb.AccessKey || len(sb.ProxyPassword) < 40 {
		t.Fatalf("proxy password %q, access key %q", sb.ProxyPassword, sb.AccessKey)
	}
	if id, ok := e.app.ProxyAuth(sb.ID, sb.ProxyPassword); !ok || id != sb.ID {
		t.Errorf("proxy password refused by the proxy")
	}
	other := e.createAnon("")
	for _, c := range [][2]string{{sb.ID, sb.AccessKey}, {sb.ID, other.ProxyPassword}, {other.ID, sb.ProxyPassword}, {sb.ID, ""}} {
		if _, ok := e.app.ProxyAuth(c[0], c[1]); ok {
			t.Errorf("proxy accepted %s:%s", c[0], c[1])
		}
	}
	// The proxy password opens nothing in the API.
	for _, req := range [][2]string{{"GET", ""}, {"DELETE", ""}, {"POST", "/reset"}} {
		if res := e.bearer(sb.ProxyPassword, req[0], "/api/sandboxes/"+sb.ID+req[1], ""); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s with the proxy password = %d", req[0]+req[1], res.StatusCode)
		}
	}
	// It survives a reset (the access key does too), so a running program
	// keeps its proxy settings.
	reset := decode[sandboxJSON](t, e.bearer(sb.AccessKey, "POST", "/api/sandboxes/"+sb.ID+"/reset", "").body)
	if reset.ProxyPassword != sb.ProxyPassword {
		t.Errorf("proxy password changed by reset")
	}
	// The home page shows it with the proxy lines, never the access key there.
	b := e.browser()
	b.visit()
	mine := decode[sandboxJSON](t, b.api("POST", "/api/sandboxes", "").body)
	home := b.do("GET", "/", nil, nil).body
	if !strings.Contains(home, "http://"+mine.ID+":"+mine.ProxyPassword+"@") || strings.Contains(home, mine.ID+":"+mine.AccessKey) {
		t.Errorf("home page proxy lines do not carry the proxy password")
	}
	// A deleted sandbox's password opens the proxy no more (ProxyAuth
	// remembers sandboxes between CONNECTs).
	if _, ok := e.app.ProxyAuth(sb.ID, sb.ProxyPassword); !ok {
		t.Fatalf("proxy password refused after a reset")
	}
	if res := e.bearer(sb.AccessKey, "DELETE", "/api/sandboxes/"+sb.ID, ""); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete = %d %s", res.StatusCode, res.body)
	}
	if _, ok := e.app.ProxyAuth(sb.ID, sb.ProxyPassword); ok {
		t.Errorf("proxy accepted a deleted sandbox's password")
	}
}

// Finding: anonymous creation had no limit. Beyond the address's burst the
// API answers 429 TooManyRequests with Retry-After (the limits themselves
// are tested in the sandboxes package).
func TestSandboxCreationRateLimited(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < sandboxes.DefaultPerAddressBurst; i++ {
		e.createAnon("")
	}
	res := e.bearer("", "POST", "/api/sandboxes", "")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || apiError(t, res).Code != CodeTooManyRequests {
		t.Fatalf("creation beyond the burst = %d Retry-After %q %s", res.StatusCode, res.Header.Get("Retry-After"), res.body)
	}
	// The form says so on the page instead of creating.
	b := e.browser()
	b.visit()
	page := b.form("/sandboxes", nil, false)
	if page.StatusCode != http.StatusTooManyRequests || !strings.Contains(page.body, "too many sandboxes created from your address") {
		t.Errorf("form creation beyond the burst = %d", page.StatusCode)
	}
}
