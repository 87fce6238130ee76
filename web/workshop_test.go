package web

import (
	"context"
	"encoding/csv"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// classroom is a server with a signed-in instructor and one workshop.
type classroom struct {
	*env
	teacher *browser
	wsURL   string // the dashboard
	code    string
}

func newClassroom(t testing.TB) *classroom {
	t.Helper()
	e := newEnv(t)
	if _, err := e.db.AddInstructor(context.Background(), "Ada", "one-time-link"); err != nil {
		t.Fatal(err)
	}
	teacher := e.browser()
	teacher.visit()
	if res := teacher.page("/instructor/signin?token=one-time-link"); res.StatusCode != 200 || count(res.body, "instructor-signin") != 1 {
		t.Fatalf("sign-in page = %d: %s", res.StatusCode, res.body)
	}
	if res := teacher.form("/instructor/signin", url.Values{"token": {"one-time-link"}}, false); res.StatusCode != 303 || res.Header.Get("Location") != "/instructor" {
		t.Fatalf("sign in = %d: %s", res.StatusCode, res.body)
	}
	res := teacher.form("/instructor/workshops", url.Values{"title": {"Friday class"}, "lessons": {lesson1, "roles"},
		"scenario": {"walkthrough"}, "stuckAfterMinutes": {"5"}}, false)
	if res.StatusCode != 303 {
		t.Fatalf("create workshop = %d: %s", res.StatusCode, res.body)
	}
	c := &classroom{env: e, teacher: teacher, wsURL: res.Header.Get("Location")}
	dash := teacher.page(c.wsURL)
	m := regexp.MustCompile(`data-testid="join-code">([A-Z0-9]{6})<`).FindStringSubmatch(dash.body)
	if dash.StatusCode != 200 || m == nil {
		t.Fatalf("dashboard = %d: %s", dash.StatusCode, dash.body)
	}
	c.code = m[1]
	return c
}

// join makes a new browser join under name and returns it with its lesson
// page URL.
func (c *classroom) join(t testing.TB, name string) (*browser, string) {
	t.Helper()
	b := c.browser()
	b.visit()
	res := b.form("/join", url.Values{"code": {strings.ToLower(c.code[:3]) + "-" + c.code[3:]}, "name": {name}}, false)
	if res.StatusCode != 303 || !strings.HasSuffix(res.Header.Get("Location"), "/lessons/"+lesson1) {
		t.Fatalf("join as %s = %d %q: %s", name, res.StatusCode, res.Header.Get("Location"), res.body)
	}
	return b, res.Header.Get("Location")
}

func TestWorkshopClass(t *testing.T) {
	c := newClassroom(t)
	ann, annURL := c.join(t, "Ann")
	bob, bobURL := c.join(t, "Bob")

	t.Run("the same browser rejoins its sandbox", func(t *testing.T) {
		res := ann.form("/join", url.Values{"code": {c.code}, "name": {"Whatever"}}, false)
		if res.StatusCode != 303 || res.Header.Get("Location") != annURL {
			t.Fatalf("rejoin = %d %q, want %q", res.StatusCode, res.Header.Get("Location"), annURL)
		}
	})
	t.Run("bad joins", func(t *testing.T) {
		x := c.browser()
		x.visit()
		for _, tc := range []struct {
			code, name string
			status     int
			says       string
		}{
			{c.code, "ann", 409, "already uses the name"},
			{"QQQQQQ", "Zoe", 404, "No workshop has this code"},
			{"12", "Zoe", 400, "6 letters"},
			{c.code, "", 400, "Enter the name"},
			{c.code, strings.Repeat("z", 41), 400, "at most 40"},
			{c.code, "a\x01b", 400, "printable"},
		} {
			res := x.form("/join", url.Values{"code": {tc.code}, "name": {tc.name}}, false)
			if res.StatusCode != tc.status || !strings.Contains(res.body, tc.says) {
				t.Errorf("join %q as %q = %d, want %d saying %q", tc.code, tc.name, res.StatusCode, tc.status, tc.says)
			}
		}
	})

	// Ann reads the secret three times without the role: stuck.
	for range 3 {
		ann.form(annURL+"/steps/create-credential", nil, true)
		ann.form(annURL+"/steps/create-client", nil, true)
		if res := ann.form(annURL+"/steps/get-secret", nil, true); res.StatusCode != 200 {
			t.Fatalf("get-secret = %d: %s", res.StatusCode, res.body)
		}
	}
	dash := c.teacher.page(c.wsURL)
	annRow := rowOf(t, dash.body, "Ann")
	if !strings.Contains(annRow, `data-stuck="true"`) || !strings.Contains(annRow, "403 ForbiddenByRbac at Key Vault: no Key Vault Secrets User") {
		t.Fatalf("Ann's row: %s", annRow)
	}
	if rowOf(t, dash.body, "Bob") == "" || strings.Contains(rowOf(t, dash.body, "Bob"), `data-stuck="true"`) {
		t.Fatalf("Bob's row: %s", rowOf(t, dash.body, "Bob"))
	}

	t.Run("a fault for everyone shows in each learner's trace", func(t *testing.T) {
		res := c.teacher.form(c.wsURL+"/fault", url.Values{"fault": {"siteIdentityOff"}, "target": {"all"}}, false)
		if res.StatusCode != 303 || !strings.Contains(res.Header.Get("Location"), "2+of+2") {
			t.Fatalf("fault = %d %q: %s", res.StatusCode, res.Header.Get("Location"), res.body)
		}
		for name, b := range map[string]*browser{"Ann": ann, "Bob": bob} {
			u := map[string]string{"Ann": annURL, "Bob": bobURL}[name]
			page := b.page(u)
			if !strings.Contains(page.body, "Instructor: turn off the site") {
				t.Errorf("%s's page has no instructor marker", name)
			}
			id := strings.Split(u, "/")[2]
			var found bool
			for _, ex := range c.book.List(id, 0) {
				if ex.Service == "arm" && ex.Method == "PATCH" && strings.Contains(ex.URL, "/sites/") {
					found = true
				}
			}
			if !found {
				t.Errorf("%s's trace has no ARM PATCH of the site", name)
			}
		}
	})

	t.Run("forged IDs are 404 and show nobody", func(t *testing.T) {
		m := regexp.MustCompile(`href="(/instructor/workshops/[0-9a-f]+/learners/[0-9a-f]+)"`).FindStringSubmatch(dash.body)
		if m == nil {
			t.Fatal("no learner link")
		}
		if res := c.teacher.page(m[1]); res.StatusCode != 200 || count(res.body, "trace-row") == 0 {
			t.Fatalf("learner page = %d", res.StatusCode)
		}
		other := newClassroom(t) // another instructor's server: same shapes, other IDs
		_ = other
		for _, path := range []string{
			c.wsURL + "/learners/0123456789abcdef0123456789abcdef",
			"/instructor/workshops/0123456789abcdef0123456789abcdef",
			"/instructor/workshops/..%2f..%2fetc/learners/x",
			c.wsURL + "/learners/" + strings.Repeat("a", 200),
		} {
			if res := c.teacher.page(path); res.StatusCode != 404 || strings.Contains(res.body, "Ann") {
				t.Errorf("GET %s = %d", path, res.StatusCode)
			}
			res := c.teacher.do("GET", path, nil, map[string]string{"Accept": "application/json"})
			if res.StatusCode != 404 || apiError(t, res).Code != CodeNotFound {
				t.Errorf("GET %s (JSON) = %d %s", path, res.StatusCode, res.body)
			}
		}
		// A learner is not an instructor.
		if res := ann.page(c.wsURL); res.StatusCode != 403 || strings.Contains(res.body, "Bob") {
			t.Errorf("a learner on the dashboard = %d", res.StatusCode)
		}
	})

	t.Run("CSV lists the learners", func(t *testing.T) {
		res := c.teacher.page(c.wsURL + "/progress.csv")
		recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
		if err != nil || res.StatusCode != 200 || len(recs) != 3 || recs[1][0] != "Ann" || recs[2][0] != "Bob" {
			t.Fatalf("CSV = %d %v: %q", res.StatusCode, err, recs)
		}
	})

	t.Run("ending deletes the sandboxes and keeps progress", func(t *testing.T) {
		if res := c.teacher.form(c.wsURL+"/end", nil, false); res.StatusCode != 303 {
			t.Fatalf("end = %d: %s", res.StatusCode, res.body)
		}
		if res := ann.page(annURL); res.StatusCode != 404 {
			t.Errorf("Ann's lesson after the end = %d", res.StatusCode)
		}
		x := c.browser()
		x.visit()
		if res := x.form("/join", url.Values{"code": {c.code}, "name": {"Late"}}, false); res.StatusCode != 404 || !strings.Contains(res.body, "ended") {
			t.Errorf("join after the end = %d", res.StatusCode)
		}
		res := c.teacher.page(c.wsURL + "/progress.csv")
		if !strings.Contains(res.body, "Ann") || !strings.Contains(res.body, "ForbiddenByRbac") {
			t.Errorf("CSV after the end: %s", res.body)
		}
	})

	t.Run("a removed instructor is locked out", func(t *testing.T) {
		if err := c.db.RemoveInstructor(context.Background(), "Ada"); err != nil {
			t.Fatal(err)
		}
		if res := c.teacher.page(c.wsURL); res.StatusCode != 403 {
			t.Errorf("dashboard after removal = %d", res.StatusCode)
		}
		if res := c.teacher.form("/instructor/signin", url.Values{"token": {"one-time-link"}}, false); res.StatusCode != 404 || !strings.Contains(res.body, "does not work") {
			t.Errorf("used link = %d", res.StatusCode)
		}
	})
}

// rowOf is the dashboard's row of a learner.
func rowOf(t *testing.T, html, name string) string {
	t.Helper()
	i := strings.Index(html, `data-name="`+name+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(html[i:], "</tr>")
	return html[i : i+j]
}

func TestLandingPage(t *testing.T) {
	c := newClassroom(t)
	b := c.browser()
	home := b.visit()
	if n := count(home, "home-lesson"); n != len(c.app.player.catalog.List()) || count(home, "start") != n {
		t.Fatalf("landing page lists %d lessons with %d Start buttons", n, count(home, "start"))
	}
	if count(home, "join-form") != 1 || !strings.Contains(home, `action="/lessons/`+lesson1+`/start"`) {
		t.Fatal("no join form or Start of lesson 1")
	}
	// Start from the landing page opens the lesson in a new sandbox.
	res := b.form("/lessons/"+lesson1+"/start", nil, false)
	if res.StatusCode != 303 || !strings.HasSuffix(res.Header.Get("Location"), "/lessons/"+lesson1) {
		t.Fatalf("Start = %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// After joining, the workshop is listed with a way back.
	res = b.form("/join", url.Values{"code": {c.code}, "name": {"Cy"}}, false)
	if res.StatusCode != 303 {
		t.Fatalf("join = %d", res.StatusCode)
	}
	home = b.visit()
	if count(home, "my-workshops") != 1 || !strings.Contains(home, `href="`+res.Header.Get("Location")+`"`) || count(home, "sandbox") != 2 {
		t.Fatalf("landing page after joining lacks the workshop or the sandboxes")
	}

	fav := b.do("GET", "/favicon.ico", nil, nil)
	if fav.StatusCode != 200 || fav.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(fav.body, "<svg") {
		t.Fatalf("favicon = %d %q", fav.StatusCode, fav.Header.Get("Content-Type"))
	}
}
