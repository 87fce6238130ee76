package webapps

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func TestFunctionKeys(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	w, err := scenario.Build(context.Background(), reg, "sbx1", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	var names scenario.Resources
	var key string
	w.View(func(s *world.State) {
		names = scenario.ResourcesOf(s)
		key = s.Site(names.ThirdPartySite).FunctionKeys["default"]
	})
	svc := New(reg)
	api := "https://" + names.ThirdPartySite + ".azurewebsites.net"
	main := "https://" + names.MainSite + ".azurewebsites.net"

	tests := []struct {
		name     string
		method   string
		url      string
		header   string // x-functions-key value
		status   int
		authnOK  *bool
		authnSub string
	}{
		{"code query", "GET", api + "/api/RandomNumber?code=" + key, "", 200, ptr(true), "function key 'default'"},
		{"header", "POST", api + "/api/RandomNumber", key, 200, ptr(true), "function key 'default'"},
		{"route case-insensitive", "GET", api + "/api/randomnumber?code=" + key, "", 200, ptr(true), ""},
		{"header wins over code", "GET", api + "/api/RandomNumber?code=wrong", key, 200, ptr(true), ""},
		{"missing key", "GET", api + "/api/RandomNumber", "", 401, ptr(false), ""},
		{"wrong key", "GET", api + "/api/RandomNumber?code=" + key + "x", "", 401, ptr(false), ""},
		{"wrong header", "GET", api + "/api/RandomNumber", "nope", 401, ptr(false), ""},
		{"prefix of key", "GET", api + "/api/RandomNumber?code=" + key[:10], "", 401, ptr(false), ""},
		{"unknown function", "GET", api + "/api/Other?code=" + key, "", 404, nil, ""},
		{"not under /api", "GET", api + "/RandomNumber?code=" + key, "", 404, nil, ""},
		{"unbound method", "DELETE", api + "/api/RandomNumber?code=" + key, "", 404, nil, ""},
		{"web app root", "GET", main + "/", "", 200, nil, ""},
		{"web app elsewhere", "GET", main + "/api/RandomNumber", "", 404, nil, ""},
		{"unknown site", "GET", "https://nosuchsite.azurewebsites.net/", "", 404, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			notes := &trace.Notes{}
			r := httptest.NewRequest(tc.method, tc.url, nil)
			r = r.WithContext(trace.WithNotes(r.Context(), notes))
			if tc.header != "" {
				r.Header["x-functions-key"] = []string{tc.header} // as a client may write it
			}
			rec := httptest.NewRecorder()
			svc.ServeHTTP(rec, r)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tc.status, rec.Body.String())
			}
			body := rec.Body.String()
			if strings.Contains(body, key) {
				t.Fatalf("response echoes the key")
			}
			if !strings.Contains(tc.url, "nosuchsite") && notes.SandboxID != "sbx1" {
				t.Errorf("notes.SandboxID = %q", notes.SandboxID)
			}
			switch {
			case tc.authnOK == nil && notes.Authn != nil:
				t.Errorf("unexpected authn %+v", notes.Authn)
			case tc.authnOK != nil && notes.Authn == nil:
				t.Fatalf("no authn recorded")
			case tc.authnOK != nil:
				if notes.Authn.OK != *tc.authnOK {
					t.Errorf("authn.OK = %v", notes.Authn.OK)
				}
				if tc.authnSub != "" && notes.Authn.Subject != tc.authnSub {
					t.Errorf("authn.Subject = %q", notes.Authn.Subject)
				}
				if strings.Contains(notes.Authn.Reason+notes.Authn.Subject, key[:8]) {
					t.Errorf("authn leaks the key")
				}
			}
			if tc.status == 401 && body != "" {
				t.Errorf("401 body = %q, want empty", body)
			}
			if tc.status == 200 && strings.Contains(tc.url, "/api/") {
				n, err := strconv.Atoi(body)
				if err != nil || n < 1 || n > 1000 {
					t.Errorf("body %q is not a number in 1..1000", body)
				}
			}
			if tc.name == "web app root" && !strings.Contains(body, "is running") {
				t.Errorf("web app page = %q", body)
			}
		})
	}
}

func TestRandomNumberRange(t *testing.T) {
	reg := world.NewRegistry(nil, nil)
	w, err := scenario.Build(context.Background(), reg, "sbx1", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	var site, key string
	w.View(func(s *world.State) {
		site = scenario.ResourcesOf(s).ThirdPartySite
		key = s.Site(site).FunctionKeys["default"]
	})
	for _, tc := range []struct {
		draw int
		want string
	}{{0, "1"}, {999, "1000"}} {
		svc := New(reg)
		svc.intn = func(n int) int {
			if n != 1000 {
				t.Fatalf("intn(%d)", n)
			}
			return tc.draw
		}
		r := httptest.NewRequest("GET", "https://"+site+".azurewebsites.net/api/RandomNumber?code="+key, nil)
		rec := httptest.NewRecorder()
		svc.ServeHTTP(rec, r)
		b, _ := io.ReadAll(rec.Result().Body)
		if string(b) != tc.want || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("draw %d: body %q type %q", tc.draw, b, rec.Header().Get("Content-Type"))
		}
	}
}

func TestSiteName(t *testing.T) {
	for in, want := range map[string]string{
		"MySite.azurewebsites.net":      "mysite",
		"mysite.azurewebsites.net:443":  "mysite",
		"mysite.azurewebsites.net.":     "mysite",
		"a.b.azurewebsites.net":         "",
		"azurewebsites.net":             "",
		"mysite.scm.azurewebsites.net":  "",
		"mysite.queue.core.windows.net": "",
	} {
		if got := SiteName(in); got != want {
			t.Errorf("SiteName(%q) = %q, want %q", in, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

var _ http.Handler = (*Service)(nil)
