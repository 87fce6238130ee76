package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/throttle"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// Cloud is the simulated cloud as the proxy needs it: a handler and the test
// of which hosts it simulates.
type Cloud interface {
	http.Handler
	Owns(host string) bool
}

// reacher is implemented by clouds that know which owned hosts a client could
// not reach (IMDS off Azure, vault names nobody created). The error is the one
// the network would give.
type reacher interface {
	Reach(host string, o world.Origin) error
}

// Realm is the Basic realm of the proxy's 407 challenge.
const Realm = "azure-auth-sandbox"

// Limits of the tunnelled HTTP server (the same hardening as a public one).
const (
	maxHeaderBytes    = 64 << 10
	readHeaderTimeout = 10 * time.Second
	readTimeout       = time.Minute
	writeTimeout      = time.Minute
	idleTimeout       = 2 * time.Minute
	handshakeTimeout  = 10 * time.Second
)

// Proxy is an HTTP proxy to the simulated cloud and nothing else.
//
// CONNECT host:443 for a simulated host is answered "200 Connection
// established"; the tunnel is TLS-terminated with a leaf minted for the host
// and its requests are served, keep-alive, by an internal http.Server (so the
// tunnel gets a real server's timeouts, header limits and connection
// tracking). Absolute-form plain-HTTP requests (IMDS, App Service identity)
// are served directly. Any other host is refused with 403: the sandbox is not
// an open proxy.
//
// Proxy-Authorization (Basic) is optional: valid credentials attribute the
// exchanges to a sandbox (auth returns its ID), wrong ones get 407; without
// them the exchanges are answered but belong to no sandbox's trace.
//
// CONNECT to a vault, account or site name nobody created is tunnelled like
// a known one; the DNS-like failure comes inside the tunnel, so a CONNECT
// does not tell which names exist. Every CONNECT and every request counts
// against a rate per sandbox (anonymous traffic: per client address).
type Proxy struct {
	ca    *CA
	cloud Cloud
	auth  func(user, pass string) (sandboxID string, ok bool)
	runs  *Runs
	log   *slog.Logger
	rate  *throttle.Keyed

	inner *http.Server
	ln    *tunnelListener
	tls   *tls.Config
	wg    sync.WaitGroup
	ack   func(net.Conn) // quickAck; tests count the calls
}

// WithRate limits requests (CONNECTs and the requests in tunnels) per sandbox
// to perSecond with bursts of burst; anonymous traffic is limited per client
// address. Beyond it the proxy answers 429 with Retry-After.
func WithRate(perSecond float64, burst int) Option {
	return func(p *Proxy) { p.rate = throttle.New(perSecond, burst, nil) }
}

// WithLogger logs the proxy's events (refusals, handshake failures) to log.
func WithLogger(log *slog.Logger) Option {
	return func(p *Proxy) { p.log = log.With("component", "proxy") }
}

// New returns a proxy serving cloud with leaves from ca. auth checks proxy
// credentials; it may be nil (credentials are then ignored). Without
// WithLogger nothing is logged.
func New(ca *CA, cloud Cloud, auth func(user, pass string) (sandboxID string, ok bool), opts ...Option) *Proxy {
	p := &Proxy{
		ca:    ca,
		cloud: cloud,
		auth:  auth,
		log:   slog.New(slog.DiscardHandler),
		ln:    newTunnelListener(),
		ack:   quickAck,
	}
	for _, o := range opts {
		o(p)
	}
	p.tls = &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"http/1.1"}, // h2 is not needed by any SDK
		GetCertificate: p.certificate,
		// Classical key exchange only. Go clients (and OpenSSL 3.5) offer
		// the hybrid X25519MLKEM768, which Go's server otherwise always picks;
		// its ML-KEM half costs both ends more per handshake than the
		// X25519 exchange itself (the proxy answers both sides of every
		// learner's program in a class). Azure's endpoints are still reached
		// with classical ECDHE as far as we know, and no SDK looks at the
		// group, so this is also the more plausible wire. The learners'
		// clients send an X25519 share beside the hybrid one, so no extra
		// round trip.
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521},
	}
	p.inner = &http.Server{
		Handler:           http.HandlerFunc(p.serveTunneled),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// Handshake failures (a client that does not trust the CA) are the
		// client's business: log them quietly.
		ErrorLog:    slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
		ConnContext: tunnelContext,
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.inner.Serve(p.ln) // returns when Close closes the listener
	}()
	return p
}

// Close stops the proxy: open tunnels are closed and the internal server's
// goroutines end.
func (p *Proxy) Close() error {
	p.ln.Close()
	err := p.inner.Close()
	p.wg.Wait()
	return err
}

// IsProxyRequest reports whether r is addressed to a proxy (CONNECT or an
// absolute-form URL) rather than to the server itself, so one listener can
// serve both the app and the proxy.
func IsProxyRequest(r *http.Request) bool {
	return r.Method == http.MethodConnect || r.URL.IsAbs()
}

// ServeHTTP serves a proxy request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin, ok := p.authenticate(r)
	if !ok {
		w.Header().Set("Proxy-Authenticate", `Basic realm="`+Realm+`"`)
		refuse(w, http.StatusProxyAuthRequired, "the proxy credentials are not valid for any sandbox; use the values shown on the sandbox page (or none)")
		return
	}
	if !p.allow(w, origin().SandboxID, r.RemoteAddr) {
		return
	}
	switch {
	case r.Method == http.MethodConnect:
		p.connect(w, r, origin)
	case r.URL.IsAbs():
		p.forward(w, r, origin)
	default:
		refuse(w, http.StatusBadRequest, "this is a proxy: send CONNECT or an absolute-form request")
	}
}

// authenticate returns the origin of the request's traffic: a run's (read
// for each request it serves), a sandbox's, or anonymous.
func (p *Proxy) authenticate(r *http.Request) (func() world.Origin, bool) {
	anonymous := func() world.Origin { return world.Origin{Via: "proxy"} }
	h := r.Header.Get("Proxy-Authorization")
	if h == "" || (p.auth == nil && p.runs == nil) {
		return anonymous, true
	}
	scheme, cred, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Basic") {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return nil, false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, false
	}
	if origin, ok := p.runs.lookup(user, pass); ok {
		return origin, true
	}
	if p.auth == nil {
		return anonymous, true
	}
	id, ok := p.auth(user, pass)
	if !ok {
		return nil, false
	}
	return func() world.Origin { return world.Origin{Via: "proxy", SandboxID: id} }, true
}

// refuse answers a proxy request the proxy will not carry, closing the
// connection afterwards.
func refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	fmt.Fprintf(w, "azure-auth-sandbox proxy: %s\n", msg)
}

func notSimulated(host string) string {
	return fmt.Sprintf("this sandbox only proxies the simulated Azure hosts; %s is not one", host)
}

// reach is the cloud's verdict on whether a client could reach host.
func (p *Proxy) reach(host string, o world.Origin) error {
	if rc, ok := p.cloud.(reacher); ok {
		return rc.Reach(host, o)
	}
	return nil
}

func (p *Proxy) connect(w http.ResponseWriter, r *http.Request, originOf func() world.Origin) {
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil {
		host, port = r.Host, "443"
	}
	host = strings.ToLower(host)
	if !p.cloud.Owns(host) {
		refuse(w, http.StatusForbidden, notSimulated(host))
		return
	}
	if port != "443" {
		refuse(w, http.StatusForbidden, fmt.Sprintf("the simulated Azure hosts listen on port 443 only, not %s", port))
		return
	}
	if err := p.reach(host, originOf()); err != nil && !isNameNotFound(err) {
		// What a real proxy says when it cannot reach the upstream.
		refuse(w, http.StatusBadGateway, err.Error())
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		refuse(w, http.StatusHTTPVersionNotSupported, "CONNECT needs HTTP/1.1")
		return
	}
	_ = conn.SetDeadline(time.Time{}) // the outer server's deadlines no longer apply
	_ = conn.SetWriteDeadline(time.Now().Add(handshakeTimeout))
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		conn.Close()
		return
	}
	_ = conn.SetWriteDeadline(time.Time{})
	tc := &tunnelConn{Conn: conn, host: host, origin: originOf, client: r.RemoteAddr, ack: p.ack}
	if brw.Reader.Buffered() > 0 { // a client that did not wait for our 200
		tc.r = brw.Reader
	}
	p.ln.push(tls.Server(tc, p.tls))
}

// certificate picks the leaf: the SNI name, or the CONNECT host when the
// client sent none (IP addresses).
func (p *Proxy) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	host := hello.ServerName
	if tc, ok := hello.Conn.(*tunnelConn); ok && (host == "" || !p.cloud.Owns(host)) {
		host = tc.host
	}
	return p.ca.Leaf(host)
}

type tunnelKey struct{}

// tunnelContext gives each tunnelled request the tunnel's host and origin.
func tunnelContext(ctx context.Context, c net.Conn) context.Context {
	if t, ok := c.(*tls.Conn); ok {
		if tc, ok := t.NetConn().(*tunnelConn); ok {
			return context.WithValue(ctx, tunnelKey{}, tc)
		}
	}
	return ctx
}

// serveTunneled serves one request read from a TLS tunnel.
func (p *Proxy) serveTunneled(w http.ResponseWriter, r *http.Request) {
	tc, _ := r.Context().Value(tunnelKey{}).(*tunnelConn)
	if tc == nil {
		http.Error(w, "no tunnel", http.StatusInternalServerError)
		return
	}
	tc.served.Store(true)
	// Acknowledge at once until the body is read to its end, by the handler
	// or by the server discarding what it left.
	hasBody := r.Body != nil && r.Body != http.NoBody
	tc.inBody.Store(hasBody)
	if hasBody {
		r.Body = &ackingBody{ReadCloser: r.Body, tc: tc}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		host = tc.host
	}
	if !strings.EqualFold(host, tc.host) {
		refuse(w, http.StatusMisdirectedRequest, fmt.Sprintf("this tunnel was opened to %s, not %s", tc.host, host))
		return
	}
	origin := tc.origin()
	if !p.allow(w, origin.SandboxID, tc.client) {
		return
	}
	// A name nobody created fails here, inside the tunnel, like a known
	// one's CONNECT succeeded: the tunnel does not reveal which names exist.
	if err := p.reach(tc.host, origin); err != nil {
		refuse(w, http.StatusBadGateway, err.Error())
		return
	}
	r.URL.Scheme = "https"
	r.URL.Host = tc.host
	r.Host = tc.host
	r.Header.Del("Proxy-Authorization")
	p.cloud.ServeHTTP(w, r.WithContext(world.WithOrigin(r.Context(), origin)))
}

// isNameNotFound reports whether err is a name that does not resolve.
func isNameNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// allow counts a request against the sandbox's rate (or the client
// address's, for anonymous traffic) and answers 429 when it is spent.
func (p *Proxy) allow(w http.ResponseWriter, sandboxID, remoteAddr string) bool {
	key := "sandbox:" + sandboxID
	if sandboxID == "" {
		host, _, err := net.SplitHostPort(remoteAddr)
		if err != nil {
			host = remoteAddr
		}
		key = "addr:" + host
	}
	ok, wait := p.rate.Allow(key)
	if ok {
		return true
	}
	// Shaped like ARM's throttling answer; every Azure SDK honours
	// Retry-After on a 429.
	w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfterSeconds(wait)))
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprintf(w, `{"error":{"code":"TooManyRequests","message":"The sandbox's proxy request rate is exceeded; retry after %d seconds."}}`+"\n",
		throttle.RetryAfterSeconds(wait))
	return false
}

// forward serves an absolute-form plain-HTTP proxy request.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, originOf func() world.Origin) {
	host := strings.ToLower(r.URL.Hostname())
	if !p.cloud.Owns(host) {
		refuse(w, http.StatusForbidden, notSimulated(host))
		return
	}
	if r.URL.Scheme != "http" {
		refuse(w, http.StatusBadRequest, "use CONNECT for "+r.URL.Scheme+" URLs")
		return
	}
	if !p.plainHTTP(host, r.URL.Port()) {
		// Azure serves everything but the managed-identity endpoints over
		// HTTPS only; serving it in clear would carry secrets across the LAN.
		refuse(w, http.StatusForbidden, fmt.Sprintf("use HTTPS: %s is served over HTTPS only (https://%s through the proxy, with the sandbox CA trusted); plain HTTP is only for the managed-identity endpoints", host, host))
		return
	}
	origin := originOf()
	if err := p.reach(host, origin); err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			refuse(w, http.StatusBadGateway, err.Error())
			return
		}
		// Unreachable (IMDS from a workstation). azidentity's IMDS probe
		// counts ANY HTTP response, even a 502, as "IMDS is here" and then
		// retries the token request for a minute; real networks answer with
		// nothing. So the proxy drops the connection without a response.
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
			return
		}
		refuse(w, http.StatusBadGateway, err.Error())
		return
	}
	out := r.Clone(world.WithOrigin(r.Context(), origin))
	out.Host = r.URL.Host
	out.Header.Del("Proxy-Authorization")
	out.Header.Del("Proxy-Connection")
	p.cloud.ServeHTTP(w, out)
}

// plainHTTP reports whether Azure speaks plain HTTP at host:port.
func (p *Proxy) plainHTTP(host, port string) bool {
	if ph, ok := p.cloud.(interface{ PlainHTTP(host, port string) bool }); ok {
		return ph.PlainHTTP(host, port)
	}
	return false
}

// tunnelConn is a hijacked CONNECT connection: the host it was opened to,
// who opened it (origin and client address), and any bytes the outer server
// had already buffered.
type tunnelConn struct {
	net.Conn
	r      *bufio.Reader
	host   string
	origin func() world.Origin // read per request: a run's step changes
	client string

	// A client with Nagle's algorithm on (Python's urllib3 leaves it on for
	// a proxy tunnel) holds back a small write until what it sent before is
	// acknowledged, and the kernel's delayed ACK would hold that ACK 40 ms.
	// It can only be waiting so while the tunnel waits for the rest of
	// something: the TLS handshake's last flight before the first request
	// (served is false until then), or a request's body (inBody is true from
	// the request's headers until its body was read to the end; a body the
	// handler left, which the server discards before it answers, keeps it
	// until the next request). Reads then acknowledge what came before at
	// once (quickAck); any other read waits for a new request, whose
	// response carries the ACK, so it spares the extra packet and system call.
	served atomic.Bool
	inBody atomic.Bool
	ack    func(net.Conn)
}

func (c *tunnelConn) Read(b []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(b)
		}
		c.r = nil
	}
	if !c.served.Load() || c.inBody.Load() {
		c.ack(c.Conn)
	}
	return c.Conn.Read(b)
}

// ackingBody is a tunnelled request's body: until it is read to its end,
// the tunnel's reads acknowledge at once (see tunnelConn).
type ackingBody struct {
	io.ReadCloser
	tc *tunnelConn
}

func (b *ackingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.tc.inBody.Store(false)
	}
	return n, err
}

// tunnelListener hands tunnels to the internal server.
type tunnelListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newTunnelListener() *tunnelListener {
	return &tunnelListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *tunnelListener) push(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *tunnelListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *tunnelListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *tunnelListener) Addr() net.Addr { return tunnelAddr{} }

type tunnelAddr struct{}

func (tunnelAddr) Network() string { return "tunnel" }
func (tunnelAddr) String() string  { return "proxy-tunnels" }
