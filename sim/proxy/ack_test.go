package proxy

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/throttle"
)

// A tunnel acknowledges at once only where a client with Nagle's algorithm
// could be waiting for an ACK: through the TLS handshake to the first
// request, and while a handler waits for a request body sent apart from its
// headers. A request that arrived whole is acknowledged by its response.
func TestTunnelAcksOnlyWhileWaiting(t *testing.T) {
	e := newEnv(t, "sbx-ack")
	var acks atomic.Int64
	e.proxy.ack = func(c net.Conn) { acks.Add(1); quickAck(c) }
	tc, head, body, read := nagleTokenTunnel(t, e)
	answer := func(what string) { t.Helper(); read(what, http.StatusBadRequest, http.StatusUnauthorized) }

	if _, err := io.WriteString(tc, head+body); err != nil { // the handshake, then a whole request
		t.Fatal(err)
	}
	answer("first request")
	if acks.Load() == 0 {
		t.Fatal("no immediate ACK from the handshake to the first request")
	}
	for i := range 3 {
		before := acks.Load()
		if _, err := io.WriteString(tc, head+body); err != nil {
			t.Fatal(err)
		}
		answer("whole request")
		if n := acks.Load() - before; n != 0 {
			t.Fatalf("request %d arrived whole, yet the tunnel acknowledged %d times", i+2, n)
		}
	}

	// Headers, then the body once the handler waits for it.
	before := acks.Load()
	if _, err := io.WriteString(tc, head); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); acks.Load() == before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the handler waits for the body, and the tunnel did not acknowledge the headers")
		}
	}
	if _, err := io.WriteString(tc, body); err != nil {
		t.Fatal(err)
	}
	answer("request with its body apart")
}

// A client that reconnects resumes its TLS session through the proxy (a
// session ticket): no certificate or signature in the second handshake.
func TestTunnelResumesTLSSessions(t *testing.T) {
	e := newEnv(t, "sbx-resume")
	cache := tls.NewLRUClientSessionCache(4)
	host := "login.microsoftonline.com"
	for i := range 2 {
		conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(conn, "CONNECT "+host+":443 HTTP/1.1\r\nHost: "+host+":443\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		if resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect}); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatal(err, resp)
		}
		tc := tls.Client(conn, &tls.Config{RootCAs: e.ca.Pool(), ServerName: host, ClientSessionCache: cache})
		if _, err := io.WriteString(tc, "GET /"+e.tenant("sbx-resume")+"/v2.0/.well-known/openid-configuration HTTP/1.1\r\nHost: "+host+"\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatal(err, resp)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := tc.ConnectionState().DidResume; got != (i == 1) {
			t.Fatalf("connection %d: resumed %v", i+1, got)
		}
		conn.Close()
	}
}

// A request its handler answers without reading the body (here the
// proxy's 429) still has its body read before the answer goes out (the
// server discards it to keep the connection): that read must acknowledge
// the headers at once too, or a Nagle client holds the body back 40 ms.
func TestTunnelAcksBodyTheHandlerLeaves(t *testing.T) {
	e := newEnv(t, "sbx-ack")
	e.proxy.rate = throttle.New(0.001, 2, nil) // the CONNECT and one request
	var acks atomic.Int64
	e.proxy.ack = func(c net.Conn) { acks.Add(1); quickAck(c) }
	tc, head, body, answer := nagleTokenTunnel(t, e)
	if _, err := io.WriteString(tc, head+body); err != nil {
		t.Fatal(err)
	}
	answer("first request", http.StatusBadRequest, http.StatusUnauthorized)

	before := acks.Load()
	if _, err := io.WriteString(tc, head); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); acks.Load() == before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server waits for the body of a request answered 429, and the tunnel did not acknowledge the headers")
		}
	}
	if _, err := io.WriteString(tc, body); err != nil {
		t.Fatal(err)
	}
	answer("throttled request", http.StatusTooManyRequests)
}

// nagleTokenTunnel opens a tunnel to Entra from a client with Nagle's
// algorithm on and returns its TLS side, a token request's head and body
// (sent whole or apart by the caller), and a reader of the next answer that
// fails unless its status is one of want.
func nagleTokenTunnel(t *testing.T, e *env) (tc *tls.Conn, head, body string, answer func(what string, want ...int)) {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.(*net.TCPConn).SetNoDelay(false); err != nil {
		t.Fatal(err)
	}
	host := "login.microsoftonline.com"
	if _, err := io.WriteString(conn, "CONNECT "+host+":443 HTTP/1.1\r\nHost: "+host+":443\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect}); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatal(err, resp)
	}
	tc = tls.Client(conn, &tls.Config{RootCAs: e.ca.Pool(), ServerName: host})
	tr := bufio.NewReader(tc)
	body = "grant_type=client_credentials&client_id=nobody&client_secret=x&scope=https%3A%2F%2Fvault.azure.net%2F.default"
	head = "POST /" + e.tenant("sbx-ack") + "/oauth2/v2.0/token HTTP/1.1\r\nHost: " + host +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	answer = func(what string, want ...int) {
		t.Helper()
		resp, err := http.ReadResponse(tr, nil)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if !slices.Contains(want, resp.StatusCode) {
			t.Fatalf("%s: %s", what, resp.Status)
		}
	}
	return tc, head, body, answer
}

// The tunnel's TLS settles on a classical group: X25519 with a default Go
// client (which offers the hybrid X25519MLKEM768 too), in one round trip,
// and the client's only group otherwise.
func TestTunnelKeyExchangeIsClassical(t *testing.T) {
	e := newEnv(t, "sbx-curve")
	host := "login.microsoftonline.com"
	for _, tc := range []struct {
		name   string
		offers []tls.CurveID
		want   tls.CurveID
	}{
		{"go default", nil, tls.X25519},
		{"hybrid first", []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}, tls.X25519},
		{"P-256 only", []tls.CurveID{tls.CurveP256}, tls.CurveP256},
		{"P-384 only", []tls.CurveID{tls.CurveP384}, tls.CurveP384},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, "CONNECT "+host+":443 HTTP/1.1\r\nHost: "+host+":443\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodConnect}); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatal(err, resp)
			}
			c := tls.Client(conn, &tls.Config{RootCAs: e.ca.Pool(), ServerName: host, CurvePreferences: tc.offers})
			if err := c.Handshake(); err != nil {
				t.Fatal(err)
			}
			st := c.ConnectionState()
			if st.CurveID != tc.want || st.HelloRetryRequest {
				t.Errorf("group %v (hello retry %v), want %v in one round trip", st.CurveID, st.HelloRetryRequest, tc.want)
			}
		})
	}
}
