package web

import (
	"net/http"
	"strings"
	"testing"
)

// Every endpoint answers bad input with a 4xx JSON error, never a 500.
func TestBadInputIsA4xxJSONError(t *testing.T) {
	e := newEnv(t)
	sb := e.createAnon("")
	key := sb.AccessKey
	base := "/api/sandboxes/" + sb.ID
	huge := `{"scenario":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	cases := []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"create: bad JSON", "POST", "/api/sandboxes", "application/json", `{"scenario":`, 400, CodeInvalidJSON},
		{"create: not an object", "POST", "/api/sandboxes", "application/json", `["walkthrough"]`, 400, CodeInvalidJSON},
		{"create: unknown field", "POST", "/api/sandboxes", "application/json", `{"scenario":"walkthrough","x":1}`, 400, CodeInvalidJSON},
		{"create: wrong type", "POST", "/api/sandboxes", "application/json", `{"scenario":42}`, 400, CodeInvalidJSON},
		{"create: unknown scenario", "POST", "/api/sandboxes", "application/json", `{"scenario":"prod"}`, 400, CodeUnknownScenario},
		{"create: trailing data", "POST", "/api/sandboxes", "application/json", `{} {}`, 400, CodeInvalidJSON},
		{"create: trailing garbage", "POST", "/api/sandboxes", "application/json", `{}x`, 400, CodeInvalidJSON},
		{"create: null", "POST", "/api/sandboxes", "application/json", `null`, 201, ""},
		{"create: form body", "POST", "/api/sandboxes", "application/x-www-form-urlencoded", `scenario=empty`, 415, CodeUnsupportedMedia},
		{"create: bad content type", "POST", "/api/sandboxes", "application/json; charset", `{}`, 415, CodeUnsupportedMedia},
		{"create: too large", "POST", "/api/sandboxes", "application/json", huge, 413, CodeTooLarge},
		{"create: invalid UTF-8", "POST", "/api/sandboxes", "application/json", "{\"scenario\":\"\xff\"}", 400, CodeUnknownScenario},
		{"clock: missing body", "POST", base + "/clock", "application/json", ``, 400, CodeInvalidJSON},
		{"clock: empty object", "POST", base + "/clock", "application/json", `{}`, 400, CodeInvalidArgument},
		{"clock: null value", "POST", base + "/clock", "application/json", `{"advanceSeconds":null}`, 400, CodeInvalidArgument},
		{"clock: negative", "POST", base + "/clock", "application/json", `{"advanceSeconds":-1}`, 400, CodeInvalidArgument},
		{"clock: over ten years", "POST", base + "/clock", "application/json", `{"advanceSeconds":315360001}`, 400, CodeInvalidArgument},
		{"clock: overflows int64", "POST", base + "/clock", "application/json", `{"advanceSeconds":99999999999999999999}`, 400, CodeInvalidJSON},
		{"clock: fraction", "POST", base + "/clock", "application/json", `{"advanceSeconds":1.5}`, 400, CodeInvalidJSON},
		{"clock: string", "POST", base + "/clock", "application/json", `{"advanceSeconds":"60"}`, 400, CodeInvalidJSON},
		{"clock: unknown field", "POST", base + "/clock", "application/json", `{"advanceSeconds":1,"days":1}`, 400, CodeInvalidJSON},
		{"clock: bad JSON", "POST", base + "/clock", "application/json", `{"advanceSeconds":`, 400, CodeInvalidJSON},
		{"reset: unknown field", "POST", base + "/reset", "application/json", `{"scenario":"empty"}`, 400, CodeInvalidJSON},
		{"reset: bad JSON", "POST", base + "/reset", "application/json", `{`, 400, CodeInvalidJSON},
		{"trace: negative after", "GET", base + "/trace?after=-1", "", ``, 400, CodeInvalidArgument},
		{"trace: text after", "GET", base + "/trace?after=abc", "", ``, 400, CodeInvalidArgument},
		{"trace: huge after", "GET", base + "/trace?after=99999999999999999999", "", ``, 400, CodeInvalidArgument},
		{"get: bad id", "GET", "/api/sandboxes/..%2f..%2fetc", "", ``, 404, CodeNotFound},
		{"get: long id", "GET", "/api/sandboxes/" + strings.Repeat("a", 300), "", ``, 404, CodeNotFound},
		{"get: odd id", "GET", "/api/sandboxes/%27%3B%20drop", "", ``, 404, CodeNotFound},
		{"delete: bad id", "DELETE", "/api/sandboxes/%00", "", ``, 404, CodeNotFound},
		{"har: bad id", "GET", "/api/sandboxes/!/trace.har", "", ``, 404, CodeNotFound},
		{"unknown route", "GET", "/api/nothing", "", ``, 404, CodeNotFound},
		{"wrong method", "PUT", base, "application/json", `{}`, 405, CodeMethodNotAllowed},
		{"wrong method on list", "PATCH", "/api/sandboxes", "application/json", `{}`, 405, CodeMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + key}
			if tc.ctype != "" {
				h["Content-Type"] = tc.ctype
			}
			b := &browser{e: e, c: http.DefaultClient}
			res := b.do(tc.method, tc.path, strings.NewReader(tc.body), h)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, res.body)
			}
			if tc.code == "" {
				return
			}
			if got := apiError(t, res); got.Code != tc.code {
				t.Errorf("code %q, want %q (%s)", got.Code, tc.code, got.Message)
			}
		})
	}
	// The clock cannot be pushed past 100 years in total.
	for i := range 10 {
		res := e.bearer(key, "POST", base+"/clock", `{"advanceSeconds":315360000}`)
		if res.StatusCode != 200 {
			t.Fatalf("advance %d = %d %s", i, res.StatusCode, res.body)
		}
	}
	res := e.bearer(key, "POST", base+"/clock", `{"advanceSeconds":315360000}`)
	if res.StatusCode != 400 || apiError(t, res).Code != CodeInvalidArgument {
		t.Errorf("past 100 years = %d %s", res.StatusCode, res.body)
	}
}

func TestErrorMessagesNameTheProblem(t *testing.T) {
	e := newEnv(t)
	for body, want := range map[string]string{
		`{"scenario":"prod"}`:      `unknown scenario "prod"`,
		`{"scenario":"x","y":1}`:   `unknown field "y"`,
		`{"scenario":true}`:        `field "scenario" must be a string`,
		`{"scenario":"walkthrough`: `unexpected end of input`,
	} {
		res := e.bearer("", "POST", "/api/sandboxes", body)
		if msg := apiError(t, res).Message; !strings.Contains(msg, want) {
			t.Errorf("%s: message %q lacks %q", body, msg, want)
		}
	}
}
