package queue

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const version = "2026-04-06"

// errorDoc is Azure Storage's error body.
type errorDoc struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
	Detail  string   `xml:"AuthenticationErrorDetail"`
	Header  string   `xml:"HeaderName"`
	QPName  string   `xml:"QueryParameterName"`
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	f.grant(rbac.RoleStorageQueueDataContributor)
	tok := f.token(entra.ResourceStorage, f.w.Now())
	base := f.serviceURL()
	msg := "<QueueMessage><MessageText>hi</MessageText></QueueMessage>"
	big := "<QueueMessage><MessageText>" + strings.Repeat("a", 64<<10+1) + "</MessageText></QueueMessage>"

	tests := []struct {
		name, method, url, body string
		auth, ver               string // "" = none; auth "tok" = valid token
		status                  int
		code                    string
		detail                  string
		challenge               bool
	}{
		{"no version", "GET", base + "messages/messages", "", "", "", 400, "MissingRequiredHeader", "", false},
		{"bad version", "GET", base + "messages/messages", "", "tok", "yesterday", 400, "InvalidHeaderValue", "", false},
		{"no auth", "GET", base + "messages/messages", "", "", version, 401, "NoAuthenticationInformation", "", true},
		{"bearer without version", "GET", base + "messages/messages", "", "tok", "", 403, "AuthenticationFailed", "Authentication scheme Bearer is not supported in this version.", false},
		{"bearer old version", "GET", base + "messages/messages", "", "tok", "2017-04-17", 403, "AuthenticationFailed", "", false},
		{"wrong audience", "GET", base + "messages/messages", "", "vault", version, 401, "InvalidAuthenticationInfo", "Audience validation failed. Audience did not match.", true},
		{"expired", "GET", base + "messages/messages", "", "expired", version, 401, "InvalidAuthenticationInfo", "Lifetime validation failed. The token is expired.", true},
		{"garbage token", "GET", base + "messages/messages", "", "garbage", version, 401, "InvalidAuthenticationInfo", "", true},
		{"unknown scheme", "GET", base + "messages/messages", "", "basic", version, 400, "InvalidAuthenticationInfo", "", false},
		{"queue not found", "GET", base + "nosuchqueue/messages", "", "tok", version, 404, "QueueNotFound", "", false},
		{"invalid name", "PUT", base + "Bad_Name", "", "tok", version, 400, "InvalidResourceName", "", false},
		{"name too short", "PUT", base + "ab", "", "tok", version, 400, "OutOfRangeInput", "", false},
		{"double hyphen", "PUT", base + "a--b", "", "tok", version, 400, "InvalidResourceName", "", false},
		{"too many messages", "GET", base + "messages/messages?numofmessages=33", "", "tok", version, 400, "OutOfRangeQueryParameterValue", "", false},
		{"non-numeric count", "GET", base + "messages/messages?numofmessages=abc", "", "tok", version, 400, "InvalidQueryParameterValue", "", false},
		{"visibility beyond ttl", "POST", base + "messages/messages?messagettl=10&visibilitytimeout=10", msg, "tok", version, 400, "OutOfRangeQueryParameterValue", "", false},
		{"ttl zero", "POST", base + "messages/messages?messagettl=0", msg, "tok", version, 400, "OutOfRangeQueryParameterValue", "", false},
		{"bad xml", "POST", base + "messages/messages", "<QueueMessage><MessageText>", "tok", version, 400, "InvalidXmlDocument", "", false},
		{"wrong root", "POST", base + "messages/messages", "<Message><MessageText>x</MessageText></Message>", "tok", version, 400, "InvalidXmlDocument", "", false},
		{"too large", "POST", base + "messages/messages", big, "tok", version, 400, "MessageTooLarge", "", false},
		{"missing popreceipt", "DELETE", base + "messages/messages/abc", "", "tok", version, 400, "MissingRequiredQueryParameter", "", false},
		{"missing message", "DELETE", base + "messages/messages/abc?popreceipt=x", "", "tok", version, 404, "MessageNotFound", "", false},
		{"unknown path", "GET", base + "messages/other", "", "tok", version, 400, "InvalidUri", "", false},
		{"unknown comp", "GET", base + "messages?comp=acl", "", "tok", version, 400, "InvalidQueryParameterValue", "", false},
		{"bad verb", "PATCH", base + "messages/messages", "", "tok", version, 405, "UnsupportedHttpVerb", "", false},
		{"unknown account", "GET", "https://nosuchaccount" + service.SuffixQueue + "/?comp=list", "", "tok", version, 404, "ResourceNotFound", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			notes := &trace.Notes{}
			r = r.WithContext(trace.WithNotes(r.Context(), notes))
			if tc.ver != "" {
				r.Header.Set("x-ms-version", tc.ver)
			}
			switch tc.auth {
			case "tok":
				r.Header.Set("Authorization", "Bearer "+tok)
			case "vault":
				r.Header.Set("Authorization", "Bearer "+f.token(entra.ResourceKeyVault, f.w.Now()))
			case "expired":
				r.Header.Set("Authorization", "Bearer "+f.token(entra.ResourceStorage, f.w.Now().Add(-3*time.Hour)))
			case "garbage":
				r.Header.Set("Authorization", "Bearer not.a.jwt")
			case "basic":
				r.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
			}
			rec := httptest.NewRecorder()
			f.svc.ServeHTTP(rec, r)
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if got := res.Header.Get("x-ms-error-code"); got != tc.code {
				t.Errorf("x-ms-error-code %q, want %q", got, tc.code)
			}
			var doc errorDoc
			if err := xml.Unmarshal(body, &doc); err != nil || doc.Code != tc.code {
				t.Fatalf("body code %q (%v): %s", doc.Code, err, body)
			}
			if !strings.HasPrefix(string(body), `<?xml version="1.0" encoding="utf-8"?><Error><Code>`) {
				t.Errorf("body prolog: %s", body)
			}
			if !regexp.MustCompile(`\nRequestId:[0-9a-f-]{36}\nTime:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$`).MatchString(doc.Message) {
				t.Errorf("message shape: %q", doc.Message)
			}
			if !strings.Contains(doc.Message, res.Header.Get("x-ms-request-id")) {
				t.Errorf("request id header %q not in message", res.Header.Get("x-ms-request-id"))
			}
			if tc.detail != "" && doc.Detail != tc.detail {
				t.Errorf("detail %q, want %q", doc.Detail, tc.detail)
			}
			ch := res.Header.Get("WWW-Authenticate")
			if tc.challenge {
				want := "Bearer authorization_uri=https://login.microsoftonline.com/" + f.w.TenantID() + "/oauth2/authorize resource_id=https://storage.azure.com"
				if ch != want {
					t.Errorf("challenge %q, want %q", ch, want)
				}
			} else if ch != "" {
				t.Errorf("unexpected challenge %q", ch)
			}
			if res.Header.Get("Date") == "" || res.Header.Get("Content-Type") != "application/xml" {
				t.Errorf("headers: %v", res.Header)
			}
			if tc.ver == version && res.Header.Get("x-ms-version") != version {
				t.Errorf("x-ms-version not echoed")
			}
			if tc.code == "InvalidAuthenticationInfo" && tc.status == 401 && (notes.Authn == nil || notes.Authn.OK) {
				t.Errorf("authn notes: %+v", notes.Authn)
			}
		})
	}
}

// TestCreateConflict covers 201 / 204 / 409 on raw HTTP.
func TestCreateConflict(t *testing.T) {
	f := newFixture(t)
	f.grant(rbac.RoleStorageQueueDataContributor)
	tok := f.token(entra.ResourceStorage, f.w.Now())
	do := func(meta string) int {
		r := httptest.NewRequest("PUT", f.serviceURL()+"jobs", nil)
		r.Header.Set("x-ms-version", version)
		r.Header.Set("Authorization", "Bearer "+tok)
		if meta != "" {
			r.Header.Set("x-ms-meta-kind", meta)
		}
		rec := httptest.NewRecorder()
		f.svc.ServeHTTP(rec, r)
		return rec.Code
	}
	for i, tc := range []struct {
		meta string
		want int
	}{{"a", 201}, {"a", 204}, {"b", 409}, {"", 409}} {
		if got := do(tc.meta); got != tc.want {
			t.Errorf("step %d: %d, want %d", i, got, tc.want)
		}
	}
}

// TestAudiences checks both audiences Azure Storage accepts are offered to
// the validator (which ignores a trailing slash).
func TestAudiences(t *testing.T) {
	f := newFixture(t)
	f.grant(rbac.RoleStorageQueueDataReader)
	spy := &spyValidator{inner: f.svc.tokens}
	f.svc.tokens = spy
	r := httptest.NewRequest("GET", f.serviceURL()+scenario.QueueName+"/messages?peekonly=true", nil)
	r.Header.Set("x-ms-version", version)
	r.Header.Set("Authorization", "Bearer "+f.token(entra.ResourceStorage, f.w.Now()))
	rec := httptest.NewRecorder()
	f.svc.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := []string{entra.ResourceStorage, "https://" + f.account + service.SuffixQueue}
	if strings.Join(spy.offered, " ") != strings.Join(want, " ") {
		t.Fatalf("audiences %v, want %v", spy.offered, want)
	}
}

type spyValidator struct {
	inner   tokenValidator
	offered []string
}

func (s *spyValidator) Validate(raw string, w *world.World, audiences ...string) (*entra.Claims, *entra.ValidationError) {
	s.offered = audiences
	return s.inner.Validate(raw, w, audiences...)
}
