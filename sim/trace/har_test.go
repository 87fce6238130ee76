package trace

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
)

func TestHAR(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	exs := []Exchange{
		{
			Seq: 1, Time: start, DurationUS: 1500, Via: "proxy", Service: "keyvault",
			Method: "GET", URL: "https://kv.vault.azure.net/secrets/s/?api-version=2026-04-01",
			RequestHeaders: http.Header{"Authorization": {"Bearer " + tokenValue}},
			Status:         403, ResponseHeaders: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
			ResponseBody: `{"error":{"code":"Forbidden"}}`,
			Token:        &Token{Claims: map[string]any{"aud": "https://vault.azure.net"}},
			Authn:        &Authn{OK: true, Subject: "appid=a;oid=o"},
			Authz:        &rbac.Decision{Allowed: false},
		},
		{ // unmasked on purpose: HAR masks on the way out
			Seq: 2, Time: start, Service: "entra", Method: "POST",
			URL:            "https://login.microsoftonline.com/t/oauth2/v2.0/token",
			RequestHeaders: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			RequestBody:    "client_id=c&client_secret=" + clientSecret,
			Status:         200, ResponseHeaders: http.Header{"Content-Type": {"application/json"}},
			ResponseBody: `{"access_token":"` + tokenValue + `"}`,
		},
	}
	b, err := HAR(exs, "azure-auth-sandbox/0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range allSecrets {
		if strings.Contains(string(b), s) {
			t.Errorf("secret %q in HAR", s[:8])
		}
	}
	var har struct {
		Log struct {
			Version string
			Creator struct{ Name, Version string }
			Entries []struct {
				StartedDateTime string
				Time            float64
				Request         struct {
					Method, URL, HTTPVersion string
					Headers                  []struct{ Name, Value string }
					QueryString              []struct{ Name, Value string }
					PostData                 *struct{ MimeType, Text string }
					HeadersSize, BodySize    int
				}
				Response struct {
					Status     int
					StatusText string
					Content    struct {
						Size           int
						MimeType, Text string
					}
					RedirectURL *string
					HeadersSize int
				}
				Cache   *struct{}
				Timings struct{ Send, Wait, Receive float64 }
				Auth    struct {
					Authn *Authn
					Authz *rbac.Decision
				} `json:"_auth"`
			}
		}
	}
	if err := json.Unmarshal(b, &har); err != nil {
		t.Fatalf("HAR does not parse: %v", err)
	}
	l := har.Log
	if l.Version != "1.2" || l.Creator.Name != "azure-auth-sandbox" || l.Creator.Version != "0.1" || len(l.Entries) != 2 {
		t.Fatalf("log header: %+v", l)
	}
	e := l.Entries[0]
	checks := []struct {
		name string
		ok   bool
	}{
		{"startedDateTime", e.StartedDateTime == "2026-01-02T03:04:05.006Z"},
		{"time ms", e.Time == 1.5 && e.Timings.Wait == 1.5},
		{"method/url", e.Request.Method == "GET" && strings.HasPrefix(e.Request.URL, "https://kv.vault.azure.net/")},
		{"httpVersion", e.Request.HTTPVersion == "HTTP/1.1"},
		{"queryString", len(e.Request.QueryString) == 1 && e.Request.QueryString[0].Value == "2026-04-01"},
		{"headersSize", e.Request.HeadersSize == -1 && e.Response.HeadersSize == -1},
		{"no postData on GET", e.Request.PostData == nil},
		{"masked authorization", len(e.Request.Headers) == 1 && e.Request.Headers[0].Value == "Bearer eyJ0eX"+Masked},
		{"status", e.Response.Status == 403 && e.Response.StatusText == "Forbidden"},
		{"content", e.Response.Content.MimeType == "application/json; charset=utf-8" && e.Response.Content.Size == len(exs[0].ResponseBody)},
		{"redirectURL present", e.Response.RedirectURL != nil && *e.Response.RedirectURL == ""},
		{"cache present", e.Cache != nil},
		{"_auth", e.Auth.Authn != nil && e.Auth.Authn.OK && e.Auth.Authz != nil && !e.Auth.Authz.Allowed},
		{"postData masked", l.Entries[1].Request.PostData != nil && l.Entries[1].Request.PostData.Text == "client_id=c&client_secret=***"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("entry: %+v", e)
			}
		})
	}
}
