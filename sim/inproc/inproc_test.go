package inproc_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/inproc"
)

func TestRoundTripLikeAServer(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Host", r.Host)
		w.Header().Set("X-Version", r.Header.Get("X-Ms-Version"))
		w.Header().Set("X-Uri", r.RequestURI)
		w.WriteHeader(http.StatusCreated)
		w.Header().Set("X-Late", "ignored") // after WriteHeader: not sent
		_, _ = w.Write(append([]byte("got:"), body...))
	})
	c := &http.Client{Transport: &inproc.Transport{Handler: h}}
	req, _ := http.NewRequest(http.MethodPost, "https://kv.vault.azure.net/secrets/a?api-version=1", strings.NewReader("hi"))
	req.Header["x-ms-version"] = []string{"2026-02-06"} // lower case, as azqueue sets it
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	tests := []struct{ name, got, want string }{
		{"status", resp.Status, "201 Created"},
		{"host", resp.Header.Get("X-Host"), "kv.vault.azure.net"},
		{"lower-case header canonicalized", resp.Header.Get("X-Version"), "2026-02-06"},
		{"request URI", resp.Header.Get("X-Uri"), "/secrets/a?api-version=1"},
		{"late header", resp.Header.Get("X-Late"), ""},
		{"body", string(body), "got:hi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestRoundTripHonoursCancelledContext(t *testing.T) {
	called := false
	c := &http.Client{Transport: &inproc.Transport{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })}}
	req, _ := http.NewRequest(http.MethodGet, "https://x/", nil)
	ctx, cancel := context.WithCancel(req.Context())
	cancel()
	if _, err := c.Do(req.WithContext(ctx)); err == nil || called {
		t.Fatal("a cancelled request reached the handler")
	}
}
