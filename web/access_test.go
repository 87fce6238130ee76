package web

import (
	"net/http"
	"testing"
)

// Another learner's sandbox, a wrong key, another sandbox's key, or no
// credentials: all get the very same 404 as a sandbox that does not exist.
func TestAccessControlHidesOtherSandboxes(t *testing.T) {
	e := newEnv(t)
	alice, bob := e.browser(), e.browser()
	alice.visit()
	bob.visit()
	res := alice.api("POST", "/api/sandboxes", "")
	if res.StatusCode != 201 {
		t.Fatalf("create = %d %s", res.StatusCode, res.body)
	}
	sb := decode[sandboxJSON](t, res.body)
	other := e.createAnon("empty")

	missing := e.bearer("", "GET", "/api/sandboxes/sbx0000000000000000", "")
	if missing.StatusCode != 404 {
		t.Fatalf("missing sandbox = %d", missing.StatusCode)
	}
	endpoints := []struct{ method, path, body string }{
		{"GET", "", ""},
		{"DELETE", "", ""},
		{"POST", "/reset", ""},
		{"POST", "/clock", `{"advanceSeconds":60}`},
		{"GET", "/trace", ""},
		{"GET", "/trace.har", ""},
	}
	callers := []struct {
		name string
		do   func(method, path, body string) response
	}{
		{"other learner's session", bob.api},
		{"no credentials", func(m, p, b string) response { return e.bearer("", m, p, b) }},
		{"wrong bearer", func(m, p, b string) response { return e.bearer("not-a-key", m, p, b) }},
		{"other sandbox's bearer", func(m, p, b string) response { return e.bearer(other.AccessKey, m, p, b) }},
		{"basic auth", func(m, p, b string) response {
			return bob.do(m, p, nil, map[string]string{"Authorization": "Basic " + sb.AccessKey})
		}},
		{"owner session with a wrong bearer", func(m, p, b string) response {
			// An Authorization header wins over the cookie: no fallback.
			return alice.do(m, p, nil, map[string]string{"Authorization": "Bearer nope", "X-CSRF-Token": alice.csrf})
		}},
	}
	for _, c := range callers {
		for _, ep := range endpoints {
			t.Run(c.name+"/"+ep.method+ep.path, func(t *testing.T) {
				res := c.do(ep.method, "/api/sandboxes/"+sb.ID+ep.path, ep.body)
				if res.StatusCode != http.StatusNotFound || res.body != missing.body {
					t.Fatalf("= %d %s, want the missing-sandbox 404 %s", res.StatusCode, res.body, missing.body)
				}
			})
		}
	}
	// The sandbox is untouched and its owner still reaches it both ways.
	if res := alice.api("GET", "/api/sandboxes/"+sb.ID, ""); res.StatusCode != 200 {
		t.Errorf("owner session = %d", res.StatusCode)
	}
	if res := e.bearer(sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID, ""); res.StatusCode != 200 {
		t.Errorf("owner bearer = %d", res.StatusCode)
	}
	if l := decode[sandboxListResponse](t, bob.api("GET", "/api/sandboxes", "").body); len(l.Sandboxes) != 0 {
		t.Errorf("bob lists %d sandboxes", len(l.Sandboxes))
	}
	// A bearer-created sandbox belongs to no session.
	if res := alice.api("GET", "/api/sandboxes/"+other.ID, ""); res.StatusCode != 404 {
		t.Errorf("session reaches a key-only sandbox: %d", res.StatusCode)
	}
}
