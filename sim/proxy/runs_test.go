package proxy

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// A run's requests take the origin the run reports when each is served: one
// kept-alive tunnel carries two steps, each labelled with its own.
func TestRunOriginPerRequest(t *testing.T) {
	ca, _ := fixtures(t)
	var mu sync.Mutex
	var seen []world.Origin
	cloud := ownsAll{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, world.OriginFrom(r.Context()))
		mu.Unlock()
	})}
	runs := NewRuns()
	var cur world.Origin
	var cmu sync.Mutex
	user, pass, release := runs.Register(func() world.Origin {
		cmu.Lock()
		defer cmu.Unlock()
		return cur
	})
	step := func(s string) {
		cmu.Lock()
		cur = world.Origin{Via: "runner", SandboxID: "sbx-r", Step: s, Site: "main-app"}
		cmu.Unlock()
	}
	p := New(ca, cloud, func(u, pw string) (string, bool) { return "", false }, WithRuns(runs))
	defer p.Close()
	srv := httptest.NewServer(p)
	defer srv.Close()
	client := func(u, pw string) *http.Client {
		pu, _ := url.Parse(srv.URL)
		pu.User = url.UserPassword(u, pw)
		return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	}
	cl := client(user, pass)
	for _, s := range []string{"lesson/one", "lesson/two"} {
		step(s)
		resp, err := cl.Get("https://management.azure.com/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	step("lesson/three")
	resp, err := cl.Get("http://169.254.129.2:8081/msi/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(seen) != 3 || seen[0].Step != "lesson/one" || seen[1].Step != "lesson/two" || seen[2].Step != "lesson/three" ||
		seen[2].Site != "main-app" || seen[0].SandboxID != "sbx-r" || seen[0].Via != "runner" {
		t.Fatalf("origins = %+v", seen)
	}

	// A wrong password, or a released run, is refused like any wrong
	// proxy credential.
	release()
	for _, pw := range []string{"wrong", pass} {
		resp, err := client(user, pw).Get("http://management.azure.com/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusProxyAuthRequired {
			t.Errorf("password %q after release: status %d", pw, resp.StatusCode)
		}
	}
}
