package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// request builds a handler request carrying the learner's cookies.
func (pe *playerEnv) request(t testing.TB, method, path string, form url.Values) *http.Request {
	t.Helper()
	var req *http.Request
	if form != nil {
		form.Set("_csrf", pe.b.csrf)
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	u, _ := url.Parse(pe.srv.URL)
	for _, c := range pe.b.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	return req
}

// BenchmarkLessonPage renders the lesson-1 player page through the handler
// with a 200-entry trace made by real runs of its steps (about 70 markers).
func BenchmarkLessonPage(b *testing.B) {
	pe := newPlayerEnv(b)
	base := pe.startLesson(b)
	sb := strings.Split(base, "/")[2]
	for len(pe.book.List(sb, 0)) < 200 {
		for _, s := range []string{"create-credential", "create-client", "get-secret"} {
			if r := pe.b.form(base+"/steps/"+s, nil, true); r.StatusCode != 200 {
				b.Fatalf("%s = %d", s, r.StatusCode)
			}
		}
	}
	n := len(pe.book.List(sb, 0))
	b.ReportAllocs()
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		pe.app.ServeHTTP(rec, pe.request(b, "GET", base, nil))
		if rec.Code != 200 {
			b.Fatalf("page = %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(n), "exchanges")
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkRunGetSecretStep runs lesson 1's get_secret through the step
// handler (the learner's POST: run, trace, goal, fragments), with the role
// granted, in Go (SDK call in process) and in Python (the worker, through
// the proxy): "warm" reuses the client's cached token (one exchange, 200);
// "cold" uses a fresh credential and client each time (challenge, token
// request, 200); "page" is warm as the lesson page asks (app.js sends the
// mark of the diagram it shows): the answer brings only the new rows. The
// trace grows with every iteration (up to its limit).
//
//	flock /work/bench.lock go test ./web -run '^$' -bench RunGetSecretStep -benchtime 50x
func BenchmarkRunGetSecretStep(b *testing.B) {
	for _, lang := range []string{"go", "python"} {
		for _, mode := range []string{"warm", "cold", "page"} {
			b.Run(lang+"/"+mode, func(b *testing.B) {
				pe := newPlayerEnv
				if lang == "python" {
					pe = newPythonPlayerEnv
				}
				benchGetSecret(b, pe(b), mode, "· in "+map[string]string{"go": "Go", "python": "Python"}[lang])
			})
		}
	}
}

func benchGetSecret(b *testing.B, pe *playerEnv, mode, ranIn string) {
	cold, page := mode == "cold", mode == "page"
	base := pe.startLesson(b)
	for _, s := range []string{"grant-role", "create-credential", "create-client", "get-secret"} {
		if r := pe.b.form(base+"/steps/"+s, nil, true); r.StatusCode != 200 {
			b.Fatalf("%s = %d", s, r.StatusCode)
		}
	}
	mark := ""
	if page {
		m := diagramMarkAttr.FindStringSubmatch(pe.b.page(base).body)
		if m == nil {
			b.Fatal("the page's diagram has no mark")
		}
		mark = m[1]
	}
	b.ReportAllocs()
	var size, wholes int
	for b.Loop() {
		if cold {
			b.StopTimer()
			for _, s := range []string{"create-credential", "create-client"} {
				rec := httptest.NewRecorder()
				pe.app.ServeHTTP(rec, pe.request(b, "POST", base+"/steps/"+s, url.Values{}))
			}
			b.StartTimer()
		}
		rec := httptest.NewRecorder()
		req := pe.request(b, "POST", base+"/steps/get-secret", url.Values{})
		if page {
			req.Header.Set(diagramMarkHeader, mark)
		}
		pe.app.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `data-ok="true"`) || !strings.Contains(rec.Body.String(), ranIn) {
			b.Fatalf("get-secret = %d %s", rec.Code, rec.Body.String())
		}
		if page {
			// The rows after the page's mark; the whole diagram when the
			// history was trimmed (its oldest markers gone).
			if st := stateAttrs.FindStringSubmatch(rec.Body.String()); st != nil {
				mark = st[2]
			} else if m := diagramMarkAttr.FindStringSubmatch(rec.Body.String()); m != nil {
				mark = m[1]
				wholes++
			} else {
				b.Fatalf("no diagram for the page: %.2000s", rec.Body.String())
			}
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/answer")
	if page {
		b.ReportMetric(float64(wholes), "whole-diagrams")
	}
}
