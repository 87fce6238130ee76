package graph

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

// FuzzGraphRequest sends arbitrary methods, paths and bodies with a valid
// owner token: Graph answers 2xx or 4xx, never 5xx or a panic.
func FuzzGraphRequest(f *testing.F) {
	e := newEnv(f)
	tok := e.graphToken(e.labelled(scenario.LabelOwner))
	g := New(e.reg, entra.NewValidator(entratest.Keys(f)))
	for _, s := range []struct{ m, p, b string }{
		{"POST", "/v1.0/applications", `{"displayName":"a"}`},
		{"GET", "/v1.0/applications(appId='x')", ""},
		{"POST", "/v1.0/applications(appId='')/addPassword", `{"passwordCredential":{"endDateTime":"9999-12-31T00:00:00Z"}}`},
		{"POST", "/v1.0/applications/x/removePassword", `{"keyId":1}`},
		{"GET", "/v1.0/servicePrincipals?$filter=appId eq ''''", ""},
		{"DELETE", "/v1.0/servicePrincipals/%00", ""},
		{"POST", "/v1.0/servicePrincipals", `{"appId":null}`},
		{"GET", "/v1.0/servicePrincipals?$filter=servicePrincipalNames/any(c:c eq 'x') or (displayName eq 'y')", ""},
		{"GET", "/v1.0/applications?$filter=startswith(displayName,'a''b') and appId eq 'x'", ""},
		{"GET", "/v1.0/users?$filter=userPrincipalName eq 'a@b'", ""},
		{"POST", "/v1.0/directoryObjects/getByIds", `{"ids":["x"],"types":["user"]}`},
		{"PATCH", "/v1.0/applications(appId='x')", `{"displayName":"a"}`},
	} {
		f.Add(s.m, s.p, s.b)
	}
	f.Fuzz(func(t *testing.T, method, target, body string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t#") {
			target = "/v1.0/" + strings.TrimLeft(target, "/")
		}
		req, err := http.NewRequest(http.MethodGet, "https://"+service.HostGraph, strings.NewReader(body))
		if err != nil {
			return
		}
		if !validMethod(method) {
			method = http.MethodPost
		}
		req.Method = method
		u, err := req.URL.Parse(target)
		if err != nil {
			return
		}
		req.URL = u
		req.Header.Set("Authorization", "Bearer "+tok)
		rw := httptest.NewRecorder()
		g.ServeHTTP(rw, req)
		if rw.Code >= 500 {
			t.Fatalf("%s %s %q = %d %s", method, target, body, rw.Code, rw.Body)
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
