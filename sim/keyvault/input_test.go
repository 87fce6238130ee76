package keyvault

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
)

func TestBadInput(t *testing.T) {
	e := newEnv(t)
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsOfficer, e.vaultScope())
	tok := e.token(scenario.LabelLocalDev, entra.ResourceKeyVault)
	const v = "?api-version=2026-04-01"
	tests := []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"missing api-version", "GET", "/secrets/a", "", 400, "BadParameter", "The api-version query parameter (?api-version=) is required for all requests."},
		{"unknown api-version", "GET", "/secrets/a?api-version=1999-01-01", "", 400, "BadParameter", "The specified version (1999-01-01) is not recognized. Consider using the latest supported version (2026-04-01)."},
		{"underscore in name", "GET", "/secrets/my_secret" + v, "", 400, "BadParameter", "The request URI contains an invalid name: my_secret"},
		{"dot in name", "PUT", "/secrets/a.b" + v, `{"value":"x"}`, 400, "BadParameter", "The request URI contains an invalid name: a.b"},
		{"name too long", "GET", "/secrets/" + strings.Repeat("a", 128) + v, "", 400, "BadParameter", "The request URI contains an invalid name: "},
		{"name 127 ok", "GET", "/secrets/" + strings.Repeat("a", 127) + v, "", 404, "SecretNotFound", "A secret with (name/id) "},
		{"bad version", "GET", "/secrets/a/xyz" + v, "", 400, "BadParameter", "The request URI contains an invalid version: xyz"},
		{"unknown version", "GET", "/secrets/" + scenario.SecretName + "/" + strings.Repeat("0", 32) + v, "", 404, "SecretNotFound",
			"A secret with (name/id) " + scenario.SecretName + "/" + strings.Repeat("0", 32) + " was not found in this key vault."},
		{"bad JSON", "PUT", "/secrets/a" + v, `{"value":`, 400, "BadParameter", "The request body is not valid JSON"},
		{"trailing JSON", "PUT", "/secrets/a" + v, `{"value":"x"} {}`, 400, "BadParameter", "The request body is not valid JSON"},
		{"wrong JSON type", "PUT", "/secrets/a" + v, `{"value":5}`, 400, "BadParameter", "The request body is not valid JSON"},
		{"empty body", "PUT", "/secrets/a" + v, ``, 400, "BadParameter", "The request body is required"},
		{"no value", "PUT", "/secrets/a" + v, `{"contentType":"x"}`, 400, "BadParameter", "Property 'value' is required."},
		{"oversize value", "PUT", "/secrets/a" + v, `{"value":"` + strings.Repeat("x", 25*1024+1) + `"}`, 400, "BadParameter", "The secret value is too large"},
		{"max value ok", "PUT", "/secrets/a" + v, `{"value":"` + strings.Repeat("x", 25*1024) + `"}`, 200, "", ""},
		{"huge body", "PUT", "/secrets/a" + v, `{"value":"` + strings.Repeat("x", maxBody) + `"}`, 413, "RequestEntityTooLarge", ""},
		{"exp before nbf", "PUT", "/secrets/a" + v, `{"value":"x","attributes":{"nbf":2000,"exp":1000}}`, 400, "BadParameter", "exp"},
		{"year 10000", "PUT", "/secrets/a" + v, `{"value":"x","attributes":{"exp":253402300800}}`, 400, "BadParameter", "between 1970 and 9999"},
		{"too many tags", "PUT", "/secrets/a" + v, `{"value":"x","tags":{"1":"","2":"","3":"","4":"","5":"","6":"","7":"","8":"","9":"","10":"","11":"","12":"","13":"","14":"","15":"","16":""}}`, 400, "BadParameter", "at most 15 tags"},
		{"maxresults 0", "GET", "/secrets" + v + "&maxresults=0", "", 400, "BadParameter", "Invalid maxresults"},
		{"maxresults 26", "GET", "/secrets" + v + "&maxresults=26", "", 400, "BadParameter", "Invalid maxresults"},
		{"bad skiptoken", "GET", "/secrets" + v + "&$skiptoken=garbage", "", 400, "BadParameter", "$skiptoken"},
		{"unknown path", "GET", "/nothing" + v, "", 404, "NotFound", ""},
		{"root", "GET", "/" + v, "", 404, "NotFound", ""},
		{"keys unsupported", "GET", "/keys" + v, "", 400, "BadParameter", "secrets only"},
		{"backup unsupported", "POST", "/secrets/a/backup" + v, "", 400, "BadParameter", "secrets only"},
		{"POST secret", "POST", "/secrets/a" + v, "", 405, "MethodNotAllowed", "does not support http method 'POST'"},
		{"PATCH without version", "PATCH", "/secrets/a" + v, `{}`, 405, "MethodNotAllowed", ""},
		{"PUT with version", "PUT", "/secrets/a/" + strings.Repeat("0", 32) + v, `{"value":"x"}`, 405, "MethodNotAllowed", ""},
		{"DELETE list", "DELETE", "/secrets" + v, "", 405, "MethodNotAllowed", ""},
		{"recover with GET", "GET", "/deletedsecrets/a/recover" + v, "", 405, "MethodNotAllowed", ""},
		{"delete missing", "DELETE", "/secrets/nope" + v, "", 404, "SecretNotFound", "A secret with (name/id) nope was not found"},
		{"recover missing", "POST", "/deletedsecrets/nope/recover" + v, "", 404, "SecretNotFound", "Deleted Secret not found: nope"},
		{"update missing", "PATCH", "/secrets/nope/" + v, `{"contentType":"a"}`, 404, "SecretNotFound", ""},
		{"versions of missing", "GET", "/secrets/nope/versions" + v, "", 200, "", ""},
		{"old api-version ok", "GET", "/secrets" + v[:0] + "?api-version=7.0", "", 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tok, tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d: %.300s", r.status, tt.status, r.body)
			}
			if r.status >= 400 {
				if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type = %q", ct)
				}
				code, msg, _ := r.errorCode()
				if code != tt.code || !strings.Contains(msg, tt.message) {
					t.Errorf("error = %s %q, want %s containing %q", code, msg, tt.code, tt.message)
				}
			}
		})
	}
}

// FuzzKeyVaultRequest throws arbitrary requests at an authorized caller's
// vault: never a panic, never a 5xx, every error a Key Vault JSON error.
func FuzzKeyVaultRequest(f *testing.F) {
	e := newEnv(f)
	e.grant(scenario.LabelLocalDev, rbac.RoleKeyVaultSecretsOfficer, e.vaultScope())
	tok := e.token(scenario.LabelLocalDev, entra.ResourceKeyVault)
	seeds := []struct{ method, path, query, body string }{
		{"GET", "/secrets/" + scenario.SecretName + "/", "api-version=2026-04-01", ""},
		{"PUT", "/secrets/a", "api-version=7.4", `{"value":"x","contentType":"t","attributes":{"enabled":false,"nbf":1,"exp":2},"tags":{"a":"b"}}`},
		{"PATCH", "/secrets/a/", "api-version=7.4", `{"attributes":{"enabled":true}}`},
		{"DELETE", "/secrets/a", "api-version=7.4", ""},
		{"GET", "/deletedsecrets", "api-version=7.4&maxresults=1", ""},
		{"POST", "/deletedsecrets/a/recover", "api-version=7.4", ""},
		{"DELETE", "/deletedsecrets/a", "api-version=7.4", ""},
		{"GET", "/secrets", "api-version=7.4&$skiptoken=b2Zmc2V0OjE&maxresults=2", ""},
		{"GET", "//secrets//versions", "api-version=", ""},
		{"HEAD", "/secrets/%00", "api-version=7.4;x", "\x00"},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.body)
	}
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		req := &http.Request{
			Method: method,
			URL:    &url.URL{Scheme: "https", Host: e.names.Vault + service.SuffixKeyVault, Path: path, RawQuery: query},
			Host:   e.names.Vault + service.SuffixKeyVault,
			Header: http.Header{"Authorization": {"Bearer " + tok}},
			Body:   http.NoBody,
		}
		if body != "" {
			req.Body = nopCloser{strings.NewReader(body)}
		}
		rw := httptest.NewRecorder()
		e.kv.ServeHTTP(rw, req)
		if rw.Code >= 500 {
			t.Fatalf("%s %s?%s → %d %s", method, path, query, rw.Code, rw.Body)
		}
		if rw.Code >= 400 && !strings.HasPrefix(rw.Body.String(), `{"error":{"code":"`) {
			t.Fatalf("%s %s → %d with non-Key Vault body %q", method, path, rw.Code, rw.Body)
		}
	})
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
