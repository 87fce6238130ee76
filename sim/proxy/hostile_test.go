package proxy

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// Finding: uncredentialed requests to another learner's vault were recorded
// in that learner's trace and evicted their own exchanges (the trace keeps
// 500).
func TestAnonymousTrafficNeverEntersTheOwnersTrace(t *testing.T) {
	e := newEnv(t, "sbx-a", "sbx-b")
	own := "https://login.microsoftonline.com/" + e.tenant("sbx-a") + "/v2.0/.well-known/openid-configuration"
	resp, err := e.client("sbx-a").Get(own)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	hostile := e.client("")
	vault := "https://" + e.names("sbx-a").Vault + ".vault.azure.net/secrets/third-party-api-key/?api-version=7.5"
	for i := 0; i < trace.DefaultLimit+5; i++ {
		resp, err := hostile.Get(vault)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized { // answered as Azure would: the challenge
			t.Fatalf("anonymous GET answered %d", resp.StatusCode)
		}
	}
	exs := e.cloud.Book().List("sbx-a", 0)
	if len(exs) != 1 || exs[0].URL != own {
		t.Fatalf("owner's trace after the flood has %d exchanges:%s", len(exs), describe(exs))
	}
	if n := len(e.cloud.Book().List("sbx-b", 0)); n != 0 {
		t.Errorf("sbx-b got %d exchanges", n)
	}
}

// Finding: CONNECT to an unknown vault answered 502 while an existing name
// answered 200, so names could be enumerated. Both now open the tunnel; the
// unknown name fails inside it, as DNS would.
func TestConnectDoesNotRevealWhichNamesExist(t *testing.T) {
	e := newEnv(t, "sbx-a")
	known := e.names("sbx-a").Vault + ".vault.azure.net"
	unknown := "kv-auth-000000.vault.azure.net"
	connect := func(host string) (string, *bufio.Reader, net.Conn) {
		t.Helper()
		conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		io.WriteString(conn, "CONNECT "+host+":443 HTTP/1.1\r\nHost: "+host+":443\r\n\r\n")
		br := bufio.NewReader(conn)
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			head.WriteString(line)
			if line == "\r\n" {
				return head.String(), br, conn
			}
		}
	}
	headKnown, _, _ := connect(known)
	headUnknown, _, conn := connect(unknown)
	if headKnown != headUnknown || !strings.HasPrefix(headKnown, "HTTP/1.1 200") {
		t.Fatalf("CONNECT answers differ:\nknown   %q\nunknown %q", headKnown, headUnknown)
	}
	tc := tls.Client(conn, &tls.Config{ServerName: unknown, RootCAs: e.ca.Pool()})
	io.WriteString(tc, "GET /secrets/x/?api-version=7.5 HTTP/1.1\r\nHost: "+unknown+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "lookup "+unknown+": no such host") {
		t.Errorf("inside the tunnel: %d %q", resp.StatusCode, b)
	}
}

func TestProxyRatePerSandbox(t *testing.T) {
	e := newEnv(t, "sbx-a", "sbx-b")
	p := New(e.ca, e.cloud, func(user, pass string) (string, bool) { return user, pass == "pw-"+user }, WithRate(0.001, 3))
	t.Cleanup(func() { p.Close() })
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	e.srv = srv
	disc := func(id string) string {
		return "https://login.microsoftonline.com/" + e.tenant(id) + "/v2.0/.well-known/openid-configuration"
	}
	get := func(user, u string) *http.Response {
		t.Helper()
		resp, err := e.client(user).Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// One CONNECT and two requests in the tunnel spend sbx-a's burst of 3.
	cl := e.client("sbx-a")
	var last *http.Response
	for i := 0; i < 3; i++ {
		resp, err := cl.Get(disc("sbx-a"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		last = resp
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("third request: %d Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
	// Another sandbox, and anonymous traffic, have buckets of their own.
	if r := get("sbx-b", disc("sbx-b")); r.StatusCode != http.StatusOK {
		t.Errorf("sbx-b: %d", r.StatusCode)
	}
	if r := get("", disc("sbx-a")); r.StatusCode != http.StatusOK {
		t.Errorf("anonymous: %d", r.StatusCode)
	}
	if n := len(e.cloud.Book().List("sbx-a", 0)); n != 2 {
		t.Errorf("sbx-a recorded %d exchanges, want the 2 served", n)
	}
}
