package web

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const lesson1 = "auth-at-the-call"

// playerEnv is the application with the lesson player, and one learner.
type playerEnv struct {
	*env
	p *player
	b *browser
}

func newPlayerEnv(t testing.TB) *playerEnv {
	t.Helper()
	return newPlayerEnvWith(t, func(*env) {})
}

// newPlayerEnvWith is newPlayerEnv with set changing the env before it opens.
func newPlayerEnvWith(t testing.TB, set func(*env)) *playerEnv {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "sandbox.db")}
	set(e)
	e.open()
	if e.app.player == nil {
		t.Fatal("the server has no lesson player")
	}
	p := e.app.player
	pe := &playerEnv{env: e, p: p, b: e.browser()}
	pe.b.visit()
	return pe
}

// form posts a form with the CSRF token; htmx adds HX-Request.
func (b *browser) form(path string, values url.Values, htmx bool) response {
	b.e.t.Helper()
	if values == nil {
		values = url.Values{}
	}
	values.Set("_csrf", b.csrf)
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
	if htmx {
		h["HX-Request"] = "true"
	}
	return b.do("POST", path, strings.NewReader(values.Encode()), h)
}

func (b *browser) page(path string) response {
	b.e.t.Helper()
	return b.do("GET", path, nil, map[string]string{"Accept": "text/html"})
}

// startLesson starts lesson 1 in a new sandbox and returns its page URL.
func (pe *playerEnv) startLesson(t testing.TB) string {
	t.Helper()
	return pe.start(t, lesson1)
}

// start starts the lesson in a new sandbox and returns its page URL.
func (pe *playerEnv) start(t testing.TB, lessonID string) string {
	t.Helper()
	res := pe.b.form("/lessons/"+lessonID+"/start", nil, false)
	if res.StatusCode != 303 {
		t.Fatalf("start = %d: %s", res.StatusCode, res.body)
	}
	loc := res.Header.Get("Location")
	if !regexp.MustCompile(`^/sandboxes/sbx[0-9a-f]+/lessons/` + regexp.QuoteMeta(lessonID) + `$`).MatchString(loc) {
		t.Fatalf("start redirected to %q", loc)
	}
	return loc
}

var testIDs = regexp.MustCompile(`data-testid="([^"]+)"`)

// count counts elements with the data-testid.
func count(html, testid string) int {
	n := 0
	for _, m := range testIDs.FindAllStringSubmatch(html, -1) {
		if m[1] == testid {
			n++
		}
	}
	return n
}
