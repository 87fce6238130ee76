// Command signceiling is the ceiling of bench/compare.sh's token row: an
// HTTPS token endpoint whose handler does only what no token server can
// skip. It reads the form, signs one RS256 JWT with the standard library,
// and answers the token JSON. It serves the same load driver as the sandbox
// twice: directly over HTTPS, and through an HTTP CONNECT tunnel with TLS
// inside, the way every request reaches the sandbox through its proxy. The
// ratio sandbox/ceiling then shows how much of the gap to the RSA signing
// limit is the sandbox's own work (routing, authentication, the trace)
// rather than HTTP, TLS and the driver on the same cores.
//
// It copies a sample token response (-sample: the sandbox's answer to the
// form the benchmark posts). It uses the same JWT header and the same claims,
// and each request gets a fresh uti, iat, nbf and exp. The signed input is
// therefore the same size as the sandbox's. The JSON members are the same
// too. Every request is signed anew with its own RSA-2048 key; nothing is
// cached.
//
//	signceiling -sample token.json -ca ca.pem [-addr 127.0.0.1:0] [-tls-addr 127.0.0.1:0] [-cpuprofile FILE]
//
// It prints "signceiling proxy http://ADDR" (send CONNECT there for any
// host in -hosts) and "signceiling https https://ADDR", then serves until
// SIGINT or SIGTERM. It listens on loopback addresses only. It lives
// under bench/ as a program of its own, built by compare.sh from this module
// with the sandbox's Go toolchain. It is not a subcommand of the sandbox: a
// measuring tool does not belong in the product's binary, and it must share
// none of the sandbox's code.
package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "signceiling:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("signceiling", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "plain HTTP address answering CONNECT (the proxy path)")
	tlsAddr := fs.String("tls-addr", "127.0.0.1:0", "HTTPS address (the direct path)")
	sample := fs.String("sample", "", "a token response of the sandbox (JSON with access_token) to copy")
	caOut := fs.String("ca", "", "where to write the PEM certificate clients must trust")
	hosts := fs.String("hosts", "login.microsoftonline.com,localhost", "DNS names of the certificate (comma-separated)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sample == "" || *caOut == "" {
		return errors.New("-sample and -ca are required")
	}
	raw, err := os.ReadFile(*sample)
	if err != nil {
		return err
	}
	c, err := newCeiling(raw, strings.Split(*hosts, ","))
	if err != nil {
		return err
	}
	if err := os.WriteFile(*caOut, c.certPEM, 0o644); err != nil {
		return err
	}
	for _, a := range []string{*addr, *tlsAddr} {
		if h, _, err := net.SplitHostPort(a); err != nil || !net.ParseIP(h).IsLoopback() {
			return fmt.Errorf("%s: listen on a loopback address only", a)
		}
	}
	pl, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	tl, err := net.Listen("tcp", *tlsAddr)
	if err != nil {
		pl.Close()
		return err
	}
	fmt.Printf("signceiling proxy http://%s\nsignceiling https https://%s\n", pl.Addr(), tl.Addr())
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return c.serve(ctx, pl, tl)
}

// ceiling is the server: its signing key, the token it copies, and its
// certificate.
type ceiling struct {
	key     *rsa.PrivateKey
	tmpl    *template
	cert    tls.Certificate
	certPEM []byte
}

func newCeiling(sample []byte, hosts []string) (*ceiling, error) {
	tmpl, err := parseSample(sample)
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048) // precomputed, as the sandbox's keys are
	if err != nil {
		return nil, err
	}
	cert, certPEM, err := selfSigned(hosts)
	if err != nil {
		return nil, err
	}
	return &ceiling{key: key, tmpl: tmpl, cert: cert, certPEM: certPEM}, nil
}

// serve answers CONNECT on pl (TLS inside each tunnel) and HTTPS on tl until
// ctx ends.
func (c *ceiling) serve(ctx context.Context, pl, tl net.Listener) error {
	cfg := &tls.Config{
		Certificates: []tls.Certificate{c.cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
	tokens := http.HandlerFunc(c.token)
	tunnels := newChanListener(pl.Addr())
	inner := &http.Server{Handler: tokens, ReadHeaderTimeout: 10 * time.Second}
	direct := &http.Server{Handler: tokens, ReadHeaderTimeout: 10 * time.Second, TLSConfig: cfg}
	outer := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "send CONNECT", http.StatusMethodNotAllowed)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if _, err := conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
			conn.Close()
			return
		}
		var nc net.Conn = conn
		if brw.Reader.Buffered() > 0 {
			nc = &bufferedConn{Conn: conn, r: brw.Reader}
		}
		tunnels.push(tls.Server(nc, cfg))
	})}
	errs := make(chan error, 3)
	go func() { errs <- inner.Serve(tunnels) }()
	go func() { errs <- outer.Serve(pl) }()
	go func() { errs <- direct.ServeTLS(tl, "", "") }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	for _, s := range []*http.Server{outer, inner, direct} {
		s.Close()
	}
	tunnels.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// token reads the form, signs a token and answers the token JSON.
func (c *ceiling) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a form", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") == "" {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	body, err := c.tmpl.response(c.key, time.Now())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store, no-cache")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// template is the sample token response cut where each request differs: the
// access token's value in the body, and in its claims the values of uti,
// iat, nbf and exp.
type template struct {
	header   string // the JWT's first segment and "."
	payload  []byte // the claims JSON
	fields   []field
	pre, suf []byte // the response body before and after the access token
}

// field is where a claim's value sits in the payload.
type field struct {
	name       string
	start, end int
}

// parseSample cuts a token response into a template.
func parseSample(body []byte) (*template, error) {
	var resp map[string]any
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	tok, _ := resp["access_token"].(string)
	hdr, rest, ok := strings.Cut(tok, ".")
	payload64, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return nil, errors.New("sample: access_token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(payload64)
	if err != nil {
		return nil, fmt.Errorf("sample: claims: %w", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, fmt.Errorf("sample: claims: %w", err)
	}
	t := &template{header: hdr + ".", payload: payload}
	for _, name := range []string{"uti", "iat", "nbf", "exp"} {
		key := `"` + name + `":`
		i := strings.Index(string(payload), key)
		if i < 0 {
			continue
		}
		start := i + len(key)
		end := start
		if name == "uti" {
			if start >= len(payload) || payload[start] != '"' {
				return nil, errors.New("sample: uti is not a string")
			}
			start++
			end = start + strings.IndexByte(string(payload[start:]), '"')
		} else {
			for end < len(payload) && payload[end] >= '0' && payload[end] <= '9' {
				end++
			}
		}
		if end <= start {
			return nil, fmt.Errorf("sample: claim %s has no value", name)
		}
		t.fields = append(t.fields, field{name, start, end})
	}
	slices.SortFunc(t.fields, func(a, b field) int { return a.start - b.start })
	key := []byte(`"access_token":"`)
	i := strings.Index(string(body), string(key))
	if i < 0 {
		return nil, errors.New(`sample: no "access_token":"…" member`)
	}
	start := i + len(key)
	end := start + len(tok)
	if end > len(body) || string(body[start:end]) != tok {
		return nil, errors.New("sample: access_token is escaped in the body")
	}
	t.pre, t.suf = body[:start], body[end:]
	return t, nil
}

// response signs a token issued at now and returns the response body.
func (t *template) response(key *rsa.PrivateKey, now time.Time) ([]byte, error) {
	claims := make([]byte, 0, len(t.payload)+16)
	last := 0
	for _, f := range t.fields {
		claims = append(claims, t.payload[last:f.start]...)
		switch f.name {
		case "uti":
			var b [16]byte
			_, _ = rand.Read(b[:])
			claims = base64.RawURLEncoding.AppendEncode(claims, b[:])
		case "iat", "nbf":
			claims = strconv.AppendInt(claims, now.Add(-5*time.Minute).Unix(), 10)
		case "exp":
			claims = strconv.AppendInt(claims, now.Add(3599*time.Second).Unix(), 10)
		}
		last = f.end
	}
	claims = append(claims, t.payload[last:]...)

	enc := base64.RawURLEncoding
	out := make([]byte, 0, len(t.pre)+len(t.header)+enc.EncodedLen(len(claims))+1+enc.EncodedLen(key.Size())+len(t.suf))
	out = append(out, t.pre...)
	signed := len(out)
	out = append(out, t.header...)
	out = enc.AppendEncode(out, claims)
	sum := sha256.Sum256(out[signed:])
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return nil, err
	}
	out = append(out, '.')
	out = enc.AppendEncode(out, sig)
	return append(out, t.suf...), nil
}

// selfSigned makes an ECDSA P-256 certificate (the key type of the sandbox
// proxy's leaves) for hosts, 127.0.0.1 and ::1 that is its own trust root.
func selfSigned(hosts []string) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "signceiling"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(48 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if h = strings.TrimSpace(h); h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// bufferedConn is a hijacked connection with bytes its server had already
// read (a client that sent its handshake before our 200).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(b)
		}
		c.r = nil
	}
	return c.Conn.Read(b)
}

// chanListener hands the tunnels to the server inside them.
type chanListener struct {
	addr net.Addr
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
