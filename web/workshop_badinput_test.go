package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// badClass is a workshop with one learner (Ann) and a second instructor
// (Eve) who must see nothing of it.
type badClass struct {
	*classroom
	eve      *browser
	memberID string
	wid      string
}

// badClassAnn is Ann's name in the class. The space keeps it apart from
// random tokens: a page's base64 CSRF token once read "…FzvAnnYf…".
const badClassAnn = "Ann Quill"

func newBadClass(t testing.TB) *badClass {
	t.Helper()
	c := newClassroom(t)
	c.join(t, badClassAnn)
	if _, err := c.db.AddInstructor(context.Background(), "Eve", "eve-link"); err != nil {
		t.Fatal(err)
	}
	eve := c.browser()
	eve.visit()
	if res := eve.form("/instructor/signin", url.Values{"token": {"eve-link"}}, false); res.StatusCode != 303 {
		t.Fatalf("Eve signs in = %d", res.StatusCode)
	}
	dash := c.teacher.page(c.wsURL).body
	if !strings.Contains(dash, badClassAnn) { // what a leak would show, or check looks for nothing
		t.Fatalf("the owner's dashboard does not show %q", badClassAnn)
	}
	m := regexp.MustCompile(`/learners/([0-9a-f]+)"`).FindStringSubmatch(dash)
	if m == nil {
		t.Fatal("no learner link on the dashboard")
	}
	return &badClass{classroom: c, eve: eve, memberID: m[1], wid: strings.TrimPrefix(c.wsURL, "/instructor/workshops/")}
}

// post sends a form (the browser's CSRF token added unless the form has
// one) and returns the answer.
func post(t testing.TB, b *browser, path string, form url.Values, accept string) response {
	if form.Get("_csrf") == "" {
		form.Set("_csrf", b.csrf)
	}
	return rawDo(t, b, "POST", path, strings.NewReader(form.Encode()), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Accept": accept})
}

// rawDo is browser.do reporting to t (a fuzz target's own T).
func rawDo(t testing.TB, b *browser, method, path string, body io.Reader, hdr map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, b.e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return response{Response: res, body: string(data)}
}

// check fails on a 5xx, on a page or JSON error that names Ann to someone
// who must not see her, and on an error that is neither a page nor JSON.
func (bc *badClass) check(t testing.TB, what string, res response, mayShowAnn bool) {
	t.Helper()
	if res.StatusCode >= 500 {
		t.Fatalf("%s = %d: %.300s", what, res.StatusCode, res.body)
	}
	if !mayShowAnn && strings.Contains(res.body, badClassAnn) {
		t.Fatalf("%s = %d shows Ann's data: %.300s", what, res.StatusCode, res.body)
	}
	if res.StatusCode >= 400 {
		ct := res.Header.Get("Content-Type")
		if !strings.HasPrefix(ct, "text/html") && !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("%s = %d with Content-Type %q", what, res.StatusCode, ct)
		}
	}
}

// The workshop's forms and routes, fed what the "Bad input" names:
// wrong codes, forged IDs, oversized or malformed fields, as the owner, as
// another instructor and as a learner. Never a 5xx; nobody but the owner
// sees Ann.
func TestWorkshopBadInput(t *testing.T) {
	bc := newBadClass(t)
	huge := strings.Repeat("x", 2<<20)
	values := []string{"", " ", "\x00", "\xff\xfe", strings.Repeat("é", 300), huge[:70000], "../../etc/passwd",
		"<script>alert(1)</script>", "%00", bc.memberID, bc.wid, "0123456789abcdef0123456789abcdef", "-1", "1e9", "NaN"}
	forged := []string{"0123456789abcdef0123456789abcdef", strings.Repeat("f", 33), "..%2f..", "%00", "ABC", strings.Repeat("a", 5000)}
	for _, v := range values {
		for _, accept := range []string{"text/html", "application/json"} {
			x := bc.browser()
			x.visit()
			bc.check(t, "join", post(t, x, "/join", url.Values{"code": {v}, "name": {v}}, accept), false)
			bc.check(t, "join with the code", post(t, x, "/join", url.Values{"code": {bc.code}, "name": {v}}, accept), false)
			for _, route := range []struct{ path, field string }{
				{"/broadcast", "message"}, {"/lesson", "lesson"}, {"/fault", "fault"}, {"/fault", "seconds"},
				{"/fault", "members"}, {"/learners/" + bc.memberID + "/reset", "x"},
			} {
				form := url.Values{route.field: {v}}
				if route.field == "seconds" || route.field == "members" {
					form.Set("fault", "advanceClock")
					form.Set("target", "selected")
				}
				bc.check(t, "owner POST "+route.path, post(t, bc.teacher, bc.wsURL+route.path, form, accept), true)
				bc.check(t, "Eve POST "+route.path, post(t, bc.eve, bc.wsURL+route.path, form, accept), false)
			}
			bc.check(t, "create", post(t, bc.teacher, "/instructor/workshops", url.Values{"title": {v}, "lessons": {v},
				"scenario": {v}, "endsInMinutes": {v}, "stuckAfterMinutes": {v}}, accept), true)
			bc.check(t, "sign in", post(t, x, "/instructor/signin", url.Values{"token": {v}}, accept), false)
		}
	}
	for _, id := range forged {
		for _, path := range []string{"/instructor/workshops/" + id, bc.wsURL + "/learners/" + id,
			"/instructor/workshops/" + id + "/learners/" + bc.memberID, "/instructor/workshops/" + id + "/stream",
			"/instructor/workshops/" + id + "/progress.csv", "/instructor/workshops/" + id + "/qr.svg", "/sandboxes/" + id + "/workshop/stream"} {
			for _, b := range []*browser{bc.teacher, bc.eve} {
				res := b.do("GET", path, nil, map[string]string{"Accept": "text/html"})
				bc.check(t, "GET "+path, res, false)
				if res.StatusCode != 404 && res.StatusCode != 403 && res.StatusCode != 400 {
					t.Errorf("GET %s = %d, want 404", path, res.StatusCode)
				}
			}
		}
	}
	// Eve with Ann's real IDs: the same 404 as a forged one.
	for _, path := range []string{bc.wsURL, bc.wsURL + "/learners/" + bc.memberID, bc.wsURL + "/progress.csv", bc.wsURL + "/stream"} {
		res := bc.eve.do("GET", path, nil, map[string]string{"Accept": "application/json"})
		if res.StatusCode != 404 || apiError(t, res).Code != CodeNotFound {
			t.Errorf("Eve GET %s = %d %s", path, res.StatusCode, res.body)
		}
	}
	// A body past the cap, declared or streamed.
	for _, path := range []string{"/join", bc.wsURL + "/broadcast", bc.wsURL + "/fault", "/instructor/workshops"} {
		form := "_csrf=" + url.QueryEscape(bc.teacher.csrf) + "&message=" + huge
		res := bc.teacher.do("POST", path, strings.NewReader(form), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		bc.check(t, "oversized "+path, res, true)
		if res.StatusCode < 400 {
			t.Errorf("oversized POST %s = %d", path, res.StatusCode)
		}
		req, _ := http.NewRequest("POST", bc.srv.URL+path, io.MultiReader(strings.NewReader(form)))
		req.ContentLength = -1 // chunked: the cap applies while reading
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r, err := bc.teacher.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode >= 500 || r.StatusCode < 400 {
			t.Errorf("streamed oversized POST %s = %d", path, r.StatusCode)
		}
	}
}

// FuzzWorkshopForms sends arbitrary form values and path segments to the
// workshop's routes: never a 5xx, and the other instructor never sees the
// learner.
func FuzzWorkshopForms(f *testing.F) {
	bc := newBadClass(f)
	x := bc.browser() // a learner outside the workshop (joins once)
	x.visit()
	for _, s := range []string{"", "ABCDEF", "abc-def", bc.code, bc.memberID, "\x00", "é", "1e9", "../x", "%zz"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		bc.check(t, "join", post(t, x, "/join", url.Values{"code": {a}, "name": {b}}, "text/html"), false)
		for _, route := range []string{"/broadcast", "/lesson", "/fault"} {
			form := url.Values{"message": {a}, "lesson": {a}, "fault": {a}, "seconds": {b}, "target": {"selected"}, "members": {b}}
			bc.check(t, "owner POST "+route, post(t, bc.teacher, bc.wsURL+route, form, "application/json"), true)
			bc.check(t, "Eve POST "+route, post(t, bc.eve, bc.wsURL+route, form, "application/json"), false)
		}
		seg := url.PathEscape(a)
		for _, path := range []string{"/instructor/workshops/" + seg, bc.wsURL + "/learners/" + seg, "/sandboxes/" + seg + "/workshop/stream"} {
			if _, err := url.Parse(bc.srv.URL + path); err != nil {
				continue // not a URL: no request to send
			}
			bc.check(t, "Eve GET "+path, rawDo(t, bc.eve, "GET", path, nil, map[string]string{"Accept": "application/json"}), false)
		}
	})
}
