package main

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The server bounds how long a client may take to send a request (a body
// trickled byte by byte held a connection and a goroutine forever), without
// cutting event streams or handlers that run long after reading their body.
func TestServerBoundsSlowBodiesNotLongResponses(t *testing.T) {
	if httpServer(nil, slog.New(slog.DiscardHandler)).ReadTimeout <= 0 {
		t.Fatal("the server has no ReadTimeout: a trickled request body is never cut off")
	}
	const d = 200 * time.Millisecond // the test's ReadTimeout
	type result struct {
		n        int
		err, ctx error
	}
	got := make(chan result, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err == nil {
			// An event stream or a step run: longer than the ReadTimeout.
			io.WriteString(w, "first\n")
			http.NewResponseController(w).Flush()
			time.Sleep(3 * d)
		}
		got <- result{len(b), err, r.Context().Err()}
		io.WriteString(w, "last\n")
	})
	ts := httptest.NewUnstartedServer(h)
	ts.Config = httpServer(h, slog.New(slog.DiscardHandler))
	ts.Config.ReadTimeout = d
	ts.Start()
	defer ts.Close()
	dial := func(t *testing.T, req string) net.Conn {
		t.Helper()
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		io.WriteString(conn, req)
		return conn
	}

	t.Run("trickled body is cut off", func(t *testing.T) {
		dial(t, "POST /api/sandboxes HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
		select {
		case r := <-got:
			if r.err == nil {
				t.Fatalf("handler read %d bytes of a body the client never finished, without error", r.n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a trickled body held the handler")
		}
	})
	for name, req := range map[string]string{
		"event stream":               "GET /sandboxes/x/lessons/y/stream HTTP/1.1\r\nHost: x\r\n\r\n",
		"body in time, long handler": "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
	} {
		t.Run(name, func(t *testing.T) {
			conn := dial(t, req)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			r := <-got
			if res.StatusCode != 200 || string(body) != "first\nlast\n" || r.err != nil || r.ctx != nil {
				t.Fatalf("status %d body %q; handler: read error %v, context %v", res.StatusCode, body, r.err, r.ctx)
			}
			if strings.HasPrefix(req, "POST") && r.n != 5 {
				t.Errorf("handler read %d body bytes, want 5", r.n)
			}
		})
	}
}
