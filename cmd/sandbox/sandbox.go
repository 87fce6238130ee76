package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/lessons/pyrun"
	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/sim"
	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/sim/proxy"
	"github.com/azure-auth-sandbox/sandbox/sim/queue"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web"
)

// dbFile is the SQLite database inside the data directory.
const dbFile = "sandbox.db"

// Names of the server's secrets in the store.
const (
	secretSigningKeys = "signing-keys"
	secretCACert      = "ca-cert"
	secretCAKey       = "ca-key"
	secretServerKey   = "server-key" // proxy passwords and CSRF tokens
)

// Main is the program: ParseFlags, Run (returns once listening), Close.
// End-to-end tests start it on 127.0.0.1:0 with a temporary data directory.
type Main struct {
	Config Config
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string

	log    *slog.Logger
	db     *store.DB
	proxy  *proxy.Proxy
	app    *web.Server
	ln     net.Listener
	srv    *http.Server
	pprof  *http.Server
	url    string
	caPath string
	// dataDir is the absolute data directory.
	dataDir string
	done    chan error
	// azureReport is real mode's preflight (nil when real mode is off).
	azureReport *azure.Report
	// py runs the lessons' Python (nil without Python): its fork server
	// and Azure CLI seed stop with the server. findPython sets it once, in
	// the background after start (Close waits for it).
	py         *lessons.Python
	findPython func() (*lessons.Python, string)
	// gc is the server's GC setting (gc_tuning.go); nil when the
	// environment sets it.
	gc *gcTuner
}

// NewMain returns a Main writing to stdout and stderr, reading the
// environment with getenv (nil: none).
func NewMain(stdout, stderr io.Writer, getenv func(string) string) *Main {
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &Main{Stdout: stdout, Stderr: stderr, Getenv: getenv, done: make(chan error, 1)}
}

// URL is the server's public URL, known once Run has returned.
func (m *Main) URL() string { return m.url }

// CAPath is the file the root CA certificate was written to.
func (m *Main) CAPath() string { return m.caPath }

// Done receives the error that stopped the HTTP server unexpectedly.
func (m *Main) Done() <-chan error { return m.done }

// Run opens the store, restores every sandbox, starts listening and
// returns; the server runs until Close.
func (m *Main) Run(ctx context.Context) (err error) {
	level, err := parseLevel(m.Config.LogLevel)
	if err != nil {
		return err
	}
	if m.Config.TraceLimit <= 0 {
		m.Config.TraceLimit = trace.DefaultLimit
	}
	m.log = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: level}))
	if m.gc == nil {
		m.gc = startGCTuner()
	}
	// The Python probe (importing the Azure SDK takes a second) runs
	// beside the start-up: the server answers before it is done, and the
	// first lesson that needs Python waits for it.
	probe := m.probePython(ctx)
	if m.Config.Azure.Enabled() {
		m.azureReport = m.preflight(ctx)
	}

	dataDir, err := filepath.Abs(m.Config.DataDir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	m.dataDir = dataDir
	m.db, err = store.Open(ctx, filepath.Join(dataDir, dbFile), store.WithTraceLimit(m.Config.TraceLimit), store.WithLogger(m.log))
	if err != nil {
		return err
	}
	keys, err := m.signingKeys(ctx)
	if err != nil {
		return err
	}
	ca, err := m.certificateAuthority(ctx)
	if err != nil {
		return err
	}
	m.caPath = filepath.Join(dataDir, "ca.pem")
	if err := os.WriteFile(m.caPath, ca.CertPEM(), 0o644); err != nil {
		return fmt.Errorf("write CA certificate: %w", err)
	}

	book := trace.NewBook(m.Config.TraceLimit, m.db)
	realAzure, err := m.realAzure(ctx)
	if err != nil {
		return err
	}
	reg := world.NewRegistry(world.SystemClock{}, sandboxes.Persister{Store: m.db})
	lim := m.Config.Limits
	sbs, err := sandboxes.New(sandboxes.Config{Store: m.db, Cloud: sandboxes.NewSimulated(reg), Book: book,
		TraceLimit: m.Config.TraceLimit, Logger: m.log, Real: realAzure, Limits: sandboxes.Limits{
			PerLearner: lim.SandboxesPerLearner, PerAddressPerMinute: lim.CreatesPerMinute,
			PerAddressBurst: lim.CreatesBurst, Total: lim.MaxSandboxes,
		}})
	if err != nil {
		return err
	}
	n, err := sbs.Restore(ctx)
	if err != nil {
		return err
	}
	m.log.Info("sandboxes restored", "count", n)
	cloud, err := sim.New(sim.Config{Registry: reg, Keys: keys, Book: book, Logger: m.log, QueueLimits: queue.Limits{
		MessagesPerQueue: lim.QueueMessages, BytesPerQueue: lim.QueueBytes,
		MessagesPerSandbox: lim.SandboxQueueMsgs, BytesPerSandbox: lim.SandboxQueueBytes,
	}})
	if err != nil {
		return fmt.Errorf("simulated cloud: %w", err)
	}
	serverKey, err := m.serverKey(ctx)
	if err != nil {
		return err
	}
	var app *web.Server // the proxy checks credentials with the app, built below
	runs := proxy.NewRuns()
	m.proxy = proxy.New(ca, cloud, func(user, pass string) (string, bool) { return app.ProxyAuth(user, pass) },
		proxy.WithRate(lim.ProxyRate, lim.ProxyBurst), proxy.WithLogger(m.log), proxy.WithRuns(runs))

	m.ln, err = net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	base, err := publicURL(m.Config.PublicURL, m.ln.Addr())
	if err != nil {
		return err
	}
	m.url = strings.TrimSuffix(base.String(), "/")
	m.findPython = sync.OnceValues(func() (*lessons.Python, string) { return m.python(ctx, probe, runs) })
	app, err = web.New(web.Config{
		Store:            m.db,
		Sandboxes:        sbs,
		CACertPEM:        ca.CertPEM(),
		BaseURL:          base,
		IdentityEndpoint: entra.AppServiceIdentityEndpoint,
		Logger:           m.log,
		LessonsDir:       m.Config.LessonsDir,
		Cloud:            lessons.FromSim(cloud),
		Key:              serverKey,
		Limits:           web.Limits{StreamsPerSandbox: lim.StreamsPerSandbox, StreamsPerLearner: lim.StreamsPerLearner},
		FindPython:       m.findPython,
		RealFacts:        m.realFacts(realAzure, book),
		RealMissing:      m.realMissing(),
		Explain:          realExplain(realAzure),
	})
	if err != nil {
		return err
	}
	m.app = app
	m.srv = httpServer(dispatch(app, m.proxy, m.ln.Addr().String(), base.Host), m.log)
	m.srv.RegisterOnShutdown(app.CloseStreams) // open lesson pages do not hold up shutdown
	go m.findPython()                          // the fork server warms up before the first lesson asks
	srv, ln := m.srv, m.ln                     // Close may clear m.srv before Serve starts
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.done <- err
		}
	}()
	if err := m.servePprof(); err != nil {
		return err
	}
	m.printBanner()
	return nil
}

// servePprof serves Go's profiler on the --pprof loopback address, apart
// from the app, so profiling never needs a route on the public listener.
func (m *Main) servePprof() error {
	if m.Config.Pprof == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.Pprof)
	if err != nil {
		return fmt.Errorf("pprof: listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.pprof = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go m.pprof.Serve(ln)
	fmt.Fprintf(m.Stderr, "pprof on http://%s/debug/pprof/\n", ln.Addr())
	return nil
}

// AzureReport is real mode's preflight, nil when real mode is off.
func (m *Main) AzureReport() *azure.Report { return m.azureReport }

// preflight checks, line by line, what the server's identity may do in the
// configured subscription and prints it. A failure never stops the server:
// real mode offers only what passed.
func (m *Main) preflight(ctx context.Context) *azure.Report {
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	rep := &azure.Report{Cloud: m.Config.Azure.Cloud, Subscription: m.Config.Azure.Subscription}
	client, err := newAzureClient(m.Config.Azure)
	if err != nil {
		rep.Checks = []azure.Check{{Capability: azure.CapToken, Title: "the server's credential", Detail: err.Error()}}
	} else {
		rep = azure.Preflight(ctx, m.Config.Azure, client)
	}
	rep.Print(m.Stdout)
	m.log.Info("real Azure preflight", "subscription", rep.Subscription, "ready", rep.Ready())
	return rep
}

// realAzure builds real mode's provisioner when the preflight passed, and
// resumes what a previous run left half done. Nil (real mode not offered)
// otherwise.
func (m *Main) realAzure(ctx context.Context) (sandboxes.RealAzure, error) {
	if m.azureReport == nil || !m.azureReport.Ready() {
		if m.azureReport != nil {
			m.log.Warn("real Azure mode not offered: the preflight failed", "failed", strings.Join(m.azureReport.Missing(), ", "))
		}
		return nil, nil
	}
	ep, err := azure.EndpointsOf(m.Config.Azure.Cloud)
	if err != nil {
		return nil, err
	}
	cred, err := azure.NewCredential(ep, nil)
	if err != nil {
		return nil, err
	}
	p, err := azure.NewProvisioner(ctx, azure.ProvisionerConfig{
		Config: m.Config.Azure, Credential: cred, Store: m.db, Clock: world.SystemClock{}, Logger: m.log})
	if err != nil {
		return nil, err
	}
	p.Resume()
	return p, nil
}

// Close stops accepting requests, lets those in flight finish (up to ten
// seconds), closes the proxy's tunnels and the store. Every acknowledged
// change is already committed, so Close is a courtesy, not a requirement.
func (m *Main) Close() error {
	var errs []error
	m.gc.Stop()
	m.gc = nil
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		}
		m.srv = nil
	}
	if m.pprof != nil {
		m.pprof.Close()
		m.pprof = nil
	}
	if m.app != nil {
		m.app.StopPrograms() // the lessons' Python workers
		m.app = nil
	}
	if m.findPython != nil {
		m.findPython() // a probe still running sets m.py when done
	}
	if m.py != nil {
		m.py.Close()
		m.py = nil
	}
	if m.proxy != nil {
		if err := m.proxy.Close(); err != nil {
			errs = append(errs, fmt.Errorf("proxy: %w", err))
		}
		m.proxy = nil
	}
	if m.db != nil {
		if err := m.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: %w", err))
		}
		m.db = nil
	}
	return errors.Join(errs...)
}

// pythonProbe is the outcome of pyrun.Find, delivered once.
type pythonProbe struct {
	done chan struct{}
	exe  string
	info pyrun.Info
	err  error
}

// probePython starts looking for the interpreter that runs lessons' Python
// steps (nil when Python is turned off).
func (m *Main) probePython(ctx context.Context) *pythonProbe {
	if strings.EqualFold(m.Config.Python, "off") {
		return nil
	}
	pr := &pythonProbe{done: make(chan struct{})}
	ctx = context.WithoutCancel(ctx) // the probe outlives Run's context
	go func() {
		defer close(pr.done)
		pr.exe, pr.info, pr.err = pyrun.Find(ctx, m.Config.Python)
	}()
	return pr
}

// python finds the interpreter that runs lessons' Python steps. Without
// one the player runs Go and says why.
func (m *Main) python(ctx context.Context, pr *pythonProbe, runs *proxy.Runs) (*lessons.Python, string) {
	if pr == nil {
		return nil, "Python is turned off on this server (--python off)"
	}
	<-pr.done
	exe, info, err := pr.exe, pr.info, pr.err
	if err != nil {
		m.log.Warn("lessons run Go only", "reason", err)
		return nil, strings.TrimPrefix(err.Error(), "pyrun: ")
	}
	// The worker reaches the proxy on the listener itself, whatever the
	// public URL says.
	host, port, _ := net.SplitHostPort(m.ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	py := &lessons.Python{Path: exe, Info: info, ProxyURL: "http://" + net.JoinHostPort(host, port), CAFile: m.caPath, Runs: runs}
	if az, err := exec.LookPath("az"); err == nil {
		py.AZ = az
	}
	// The fork server imports the SDK now, in the background, so a class
	// starting at once forks workers instead of queueing behind imports;
	// the Azure CLI's configuration seed is built beside it.
	py.Zygote = pyrun.NewZygote(exe)
	m.py = py
	go func() {
		if err := py.Warm(context.WithoutCancel(ctx)); err != nil {
			m.log.Warn("lessons' Python starts slower", "reason", err)
		}
	}()
	m.log.Info("lessons run Python", "python", exe, "version", info.Python, "azure-identity", info.AzureIdentity, "az", py.AZ)
	return py, ""
}

// signingKeys loads the token-signing keys, creating them on first start.
func (m *Main) signingKeys(ctx context.Context) (*entra.KeySet, error) {
	data, err := m.db.Secret(ctx, secretSigningKeys)
	if err == nil {
		ks, err := entra.ParseKeySet(data)
		if err != nil {
			return nil, fmt.Errorf("signing keys: %w", err)
		}
		return ks, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	ks, err := entra.GenerateKeySet()
	if err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	if err := m.db.PutSecret(ctx, secretSigningKeys, ks.PEM()); err != nil {
		return nil, err
	}
	return ks, nil
}

// certificateAuthority loads the proxy's root CA, creating it on first start.
func (m *Main) certificateAuthority(ctx context.Context) (*proxy.CA, error) {
	certPEM, err := m.db.Secret(ctx, secretCACert)
	if err == nil {
		keyPEM, err := m.db.Secret(ctx, secretCAKey)
		if err != nil {
			return nil, fmt.Errorf("CA key: %w", err)
		}
		ca, err := proxy.LoadCA(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("CA: %w", err)
		}
		return ca, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	ca, err := proxy.NewCA()
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	// Key first: a crash between the two writes leaves no certificate, so
	// the next start makes a new pair instead of finding half of one.
	if err := m.db.PutSecret(ctx, secretCAKey, ca.KeyPEM()); err != nil {
		return nil, err
	}
	if err := m.db.PutSecret(ctx, secretCACert, ca.CertPEM()); err != nil {
		return nil, err
	}
	return ca, nil
}

// serverKey loads the key proxy passwords and CSRF tokens derive from,
// creating it on first start.
func (m *Main) serverKey(ctx context.Context) ([]byte, error) {
	key, err := m.db.Secret(ctx, secretServerKey)
	if err == nil && len(key) == 32 {
		return key, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("server key: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	if err := m.db.PutSecret(ctx, secretServerKey, key); err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	return key, nil
}

// publicURL is the configured public URL, or the listen address (an
// unspecified host such as 0.0.0.0 shown as 127.0.0.1).
func publicURL(configured string, addr net.Addr) (*url.URL, error) {
	if configured != "" {
		u, err := url.Parse(configured)
		if err != nil {
			return nil, fmt.Errorf("--public-url: %w", err)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		return u, nil
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return nil, fmt.Errorf("listen address: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}, nil
}

// httpServer is the server of the app and the proxy, with a public server's
// limits. ReadTimeout bounds a request's headers and body (a client
// trickling a body would otherwise hold a connection forever); it does not
// cut the lesson player's event streams or long step runs: net/http lifts
// the read deadline once the body is read (at once when there is none), and
// a CONNECT tunnel clears it when it takes the connection over.
func httpServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// dispatch serves proxy requests (CONNECT, absolute-form URLs) with px and
// everything else with app. An absolute-form request for the server itself
// (a client that proxies every request, even to the sandbox) goes to app.
func dispatch(app, px http.Handler, selfHosts ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if proxy.IsProxyRequest(r) && !isSelf(r, selfHosts) {
			px.ServeHTTP(w, r)
			return
		}
		app.ServeHTTP(w, r)
	})
}

func isSelf(r *http.Request, selfHosts []string) bool {
	if r.Method == http.MethodConnect || r.URL.Scheme != "http" {
		return false
	}
	for _, h := range selfHosts {
		if h != "" && strings.EqualFold(r.URL.Host, h) {
			return true
		}
	}
	return false
}

// printBanner tells the person who started the server where it is and how a
// learner's own program connects.
func (m *Main) printBanner() {
	u, _ := url.Parse(m.url)
	proxyURL := u.Scheme + "://<sandbox-id>:<proxy-password>@" + u.Host
	fmt.Fprintf(m.Stdout, `Azure auth sandbox listening on %s

Open it in a browser and create a sandbox. A learner's own program reaches the
simulated Azure through this server as its proxy, trusting its CA:

  export HTTPS_PROXY=%s
  export SSL_CERT_FILE=%s        # Go, OpenSSL, curl
  export REQUESTS_CA_BUNDLE=%s   # Python requests
  export NODE_EXTRA_CA_CERTS=%s  # Node.js
  export AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_SECRET=...

(The sandbox page shows these with its own values. CA download: %s/ca.pem)
`, m.url, proxyURL, m.caPath, m.caPath, m.caPath, m.url)
	if ins, err := m.db.Instructors(context.Background()); err == nil && len(ins) == 0 {
		fmt.Fprintf(m.Stdout, `
Workshops: no instructor yet. To run a class, print a one-time sign-in link:

  sandbox instructor add "YOUR NAME" --data %s --public-url %s
`, m.dataDir, m.url)
	}
}
