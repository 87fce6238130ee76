package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkTokenThroughProxy is bench/compare.sh's token run in one
// process: client-credentials POSTs for a storage token through the real
// server's proxy over TLS (kept-alive tunnels, 16 per core), with the
// trace recording every exchange into the store. Each op is one freshly
// signed token; the client's CPU is in the figures too. Profile the server's
// share with -cpuprofile and -memprofile.
func BenchmarkTokenThroughProxy(b *testing.B) {
	// The proxy's per-sandbox rate (a classroom's protection) is lifted,
	// as bench/compare.sh does: this measures throughput.
	m := NewMain(io.Discard, io.Discard, nil)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", b.TempDir(), "--log-level", "error",
		"--python", "off", "--proxy-rate", "1000000", "--proxy-burst", "1000000"}); err != nil {
		b.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	res, err := http.Post(m.URL()+"/api/sandboxes", "application/json", strings.NewReader(`{"scenario":"walkthrough"}`))
	if err != nil {
		b.Fatal(err)
	}
	var sb sandboxInfo
	err = json.NewDecoder(res.Body).Decode(&sb)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		b.Fatalf("create sandbox: %d %v", res.StatusCode, err)
	}
	cl := proxyClient(sb, caPoolTB(b, sb.CACertURL))
	tr := cl.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = 64
	p := sb.Principals["localDev"]
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.ClientID},
		"client_secret": {p.ClientSecret}, "scope": {"https://storage.azure.com/.default"}}.Encode()
	target := "https://login.microsoftonline.com/" + sb.TenantID + "/oauth2/v2.0/token"
	post := func() error {
		res, err := cl.Post(target, "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			return err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"access_token":"ey`) {
			return fmt.Errorf("token: %d %s", res.StatusCode, body)
		}
		return nil
	}
	if err := post(); err != nil { // the tunnel and TLS session, before the clock starts
		b.Fatal(err)
	}
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := post(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// caPoolTB is caPool for benchmarks.
func caPoolTB(tb testing.TB, caURL string) *x509.CertPool {
	tb.Helper()
	res, err := http.Get(caURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	pem, _ := io.ReadAll(res.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		tb.Fatalf("ca.pem holds no certificate: %q", pem)
	}
	return pool
}
