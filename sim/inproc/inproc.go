// Package inproc is an http.RoundTripper that hands each request straight to
// an http.Handler in the same process: no sockets, no TLS, real URLs. The
// lesson runner's SDK clients use it to reach the simulated cloud.
package inproc

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// Transport serves requests with Handler.
type Transport struct {
	Handler http.Handler
}

// RoundTrip serves req in process. The handler sees the request as a server
// would: Host set from the URL, a RemoteAddr, RequestURI filled in, and TLS
// state absent (the scheme is kept in req.URL).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	sreq := req.Clone(req.Context())
	// A server parses header names into canonical form; SDKs set some in
	// lower case (x-ms-version) directly in the map.
	h := make(http.Header, len(sreq.Header))
	for k, v := range sreq.Header {
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], v...)
	}
	sreq.Header = h
	if sreq.Host == "" {
		sreq.Host = req.URL.Host
	}
	sreq.RequestURI = req.URL.RequestURI()
	sreq.RemoteAddr = "127.0.0.1:0"
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	rw := &responseWriter{header: http.Header{}}
	t.Handler.ServeHTTP(rw, sreq)
	if req.Body != nil {
		req.Body.Close()
	}
	if rw.status == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	resp := &http.Response{
		Status:        strconv.Itoa(rw.status) + " " + http.StatusText(rw.status),
		StatusCode:    rw.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        rw.sent,
		Body:          io.NopCloser(bytes.NewReader(rw.body.Bytes())),
		ContentLength: int64(rw.body.Len()),
		Request:       req,
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
	}
	return resp, nil
}

// responseWriter buffers a handler's response. Header writes after
// WriteHeader are ignored, as on a real server.
type responseWriter struct {
	header http.Header
	sent   http.Header
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	w.sent = w.header.Clone() // later header changes are not sent, as on a server
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.body.Write(p)
}
