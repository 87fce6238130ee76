package web

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPIBodies sends arbitrary bodies and query strings to the API's
// parsers: the answer is a success or a 4xx JSON error, never a 5xx.
func FuzzAPIBodies(f *testing.F) {
	e := newEnv(f)
	sb := e.createAnon("empty")
	for _, seed := range []string{``, `{}`, `{"scenario":"empty"}`, `{"advanceSeconds":1}`, `{"advanceSeconds":-1}`,
		`{"advanceSeconds":1e309}`, `[`, `{"scenario":"\u0000"}`, `null`, `{"a":{"b":[1,2,{}]}}`} {
		f.Add(seed, "0")
	}
	f.Fuzz(func(t *testing.T, body, after string) {
		for _, path := range []string{"/api/sandboxes", "/api/sandboxes/" + sb.ID + "/clock", "/api/sandboxes/" + sb.ID + "/reset"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+sb.AccessKey)
			rec := httptest.NewRecorder()
			e.app.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q = %d %s", path, body, rec.Code, rec.Body)
			}
			if rec.Code >= 400 && !strings.HasPrefix(rec.Body.String(), `{"error":{"code":"`) {
				t.Fatalf("POST %s %q = %d with a non-JSON error %s", path, body, rec.Code, rec.Body)
			}
		}
		req := httptest.NewRequest("GET", "/api/sandboxes/"+sb.ID+"/trace", nil)
		req.URL.RawQuery = "after=" + strings.NewReplacer("&", "", "#", "").Replace(after)
		req.Header.Set("Authorization", "Bearer "+sb.AccessKey)
		rec := httptest.NewRecorder()
		e.app.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("trace?after=%q = %d %s", after, rec.Code, rec.Body)
		}
	})
}
