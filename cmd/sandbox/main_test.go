package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMainServesAppAndWritesCA(t *testing.T) {
	data := t.TempDir()
	var stdout bytes.Buffer
	m := NewMain(&stdout, io.Discard, nil)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", data}); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !strings.HasPrefix(m.URL(), "http://127.0.0.1:") || strings.HasSuffix(m.URL(), ":0") {
		t.Fatalf("URL = %q", m.URL())
	}
	ca, err := os.ReadFile(filepath.Join(data, "ca.pem"))
	if err != nil || !bytes.HasPrefix(ca, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Fatalf("ca.pem: %v %q", err, ca)
	}
	banner := stdout.String()
	for _, want := range []string{"listening on " + m.URL(), "HTTPS_PROXY=http://<sandbox-id>:<proxy-password>@" + strings.TrimPrefix(m.URL(), "http://"),
		"SSL_CERT_FILE=" + filepath.Join(data, "ca.pem"), "REQUESTS_CA_BUNDLE=", "NODE_EXTRA_CA_CERTS=", "AZURE_CLIENT_SECRET"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	res, err := http.Get(m.URL() + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, res)
	}
	res.Body.Close()
	res, err = http.Get(m.URL() + "/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Equal(served, ca) {
		t.Error("/ca.pem differs from <data>/ca.pem")
	}
}

func TestProxyRefusesForeignHostsAndAppStaysReachable(t *testing.T) {
	m := startMain(t, t.TempDir())
	proxyURL, _ := http.NewRequest("GET", m.URL(), nil)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL.URL)}, Timeout: 10 * time.Second}
	// A plain-HTTP absolute-form request to a host the sim does not own.
	res, err := client.Get("http://example.com/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "example.com") {
		t.Errorf("foreign host via proxy = %d %s", res.StatusCode, body)
	}
	// An absolute-form request for the server itself is the app.
	res, err = client.Get(m.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("self through proxy = %d", res.StatusCode)
	}
}

func TestRestoreSkipsABrokenWorld(t *testing.T) {
	data := t.TempDir()
	m := startMain(t, data)
	good := createSandbox(t, m.URL())
	bad := createSandbox(t, m.URL())
	m.Close()

	// Corrupt one sandbox's world behind the server's back.
	m2 := NewMain(io.Discard, io.Discard, nil)
	m2.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", data})
	if err := m2.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := m2.db.SaveWorld(context.Background(), bad.ID, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	m2.Close()

	m3 := startMain(t, data)
	if code := api(t, m3.URL(), good.AccessKey, "GET", "/api/sandboxes/"+good.ID, "", nil); code != 200 {
		t.Errorf("good sandbox = %d", code)
	}
	if code := api(t, m3.URL(), bad.AccessKey, "GET", "/api/sandboxes/"+bad.ID, "", nil); code != 404 {
		t.Errorf("broken sandbox = %d, want 404", code)
	}
}
