package azure

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

type books struct{ exs []*Exchange }

func (b *books) Record(_ context.Context, ex *Exchange) error {
	b.exs = append(b.exs, ex)
	return nil
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.ReadAll(req.Body) // the request goes out whole
	}
	return &http.Response{StatusCode: a.status, Header: a.header, Body: io.NopCloser(strings.NewReader(a.body)), Request: req}, nil
}

func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(claims)) + ".sig"
}

// The recorder keeps request and answer whole for the book, decodes the
// presented token (not the server's own), finds the error code, and hands
// the SDK the body unread.
func TestRecording(t *testing.T) {
	b := &books{}
	now := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	kv := answer{403, http.Header{"Content-Type": {"application/json"}}, `{"error":{"code":"Forbidden","innererror":{"code":"ForbiddenByRbac"}}}`}
	rec := &Recording{Base: kv, Recorder: b, Clock: fixedClock{now}}

	for _, o := range []Origin{{SandboxID: "sbx1", Via: "runner", Step: "m1"}, {SandboxID: "sbx1", Via: "panel", Server: true}} {
		req, _ := http.NewRequestWithContext(WithOrigin(context.Background(), o), "GET", "https://kv-auth-1.vault.azure.net/secrets/x?api-version=7.5", nil)
		req.Header.Set("Authorization", "Bearer "+jwt(`{"oid":"o1","appid":"a1"}`))
		resp, err := rec.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), "ForbiddenByRbac") {
			t.Errorf("the SDK got %q", body)
		}
	}
	if len(b.exs) != 2 {
		t.Fatalf("recorded %d", len(b.exs))
	}
	ex := b.exs[0]
	if ex.Service != "keyvault" || ex.Status != 403 || ex.Code != "ForbiddenByRbac" || ex.Token.String("oid") != "o1" ||
		ex.Step != "m1" || !ex.Time.Equal(now) || !strings.Contains(ex.ResponseBody, "innererror") {
		t.Errorf("exchange = %+v", ex)
	}
	if b.exs[1].Token != nil {
		t.Error("the server's own token was decoded into the trace")
	}

	// A token answer: the issued token decoded, the request body kept.
	tok := answer{200, http.Header{}, `{"token_type":"Bearer","access_token":"` + jwt(`{"aud":"https://vault.azure.net"}`) + `"}`}
	rec.Base = tok
	req, _ := http.NewRequestWithContext(WithOrigin(context.Background(), Origin{SandboxID: "sbx1", Via: "runner"}), "POST",
		"https://login.microsoftonline.com/t/oauth2/v2.0/token", strings.NewReader("client_id=c&client_secret=s"))
	if _, err := rec.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	ex = b.exs[2]
	if ex.Service != "entra" || ex.Issued.String("aud") != "https://vault.azure.net" || ex.RequestBody != "client_id=c&client_secret=s" {
		t.Errorf("token exchange = %+v", ex)
	}

	// Without an origin nothing is recorded (the preflight, cleanup).
	req, _ = http.NewRequest("GET", "https://management.azure.com/subscriptions/s", nil)
	rec.RoundTrip(req)
	if len(b.exs) != 3 {
		t.Error("a request without an origin was recorded")
	}
}
