package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// The classroom load: N learners at once, each with its own browser
// session, work through lesson 1 (open it, run its three steps, apply the
// fix from the refused exchange, run get_secret again) while their "own
// program" reads the secret through the proxy with the real SDK before and
// after the fix. Only 127.0.0.1; bounded by the learner count and a
// deadline. Never part of a plain `go test`:
//
//	go test ./cmd/sandbox -run '^$' -bench Classroom -benchtime 1x
//	LOAD=1 go test ./cmd/sandbox -run TestClassroomLoad -v   (LOAD_LEARNERS=n)
//
// The steps run in Python where the machine has Debian's python3-azure (a
// worker per learner), in Go with LOAD_PYTHON=off.
//
// The learners run inside the server's process; LOAD_CLIENTS=separate
// runs them in a process of their own, as a load generator does (see
// loadSeparate for which is the default and why).

const (
	loadLesson  = "auth-at-the-call"
	loadTimeout = 3 * time.Minute
)

// BenchmarkClassroom runs a whole class per iteration against one server.
func BenchmarkClassroom(b *testing.B) {
	n := loadLearners()
	m := startLoadServer(b)
	var all loadStats
	for b.Loop() {
		st := runClassroom(b, m.URL(), n)
		all.merge(st)
	}
	b.ReportMetric(float64(all.requests)/all.wall.Seconds(), "req/s")
	for _, k := range loadKinds {
		if d := all.lat[k]; len(d) > 0 {
			b.ReportMetric(float64(pct(d, 95).Microseconds())/1000, k+"-p95-ms")
		}
	}
	b.Log("\n" + all.table(n))
}

// TestClassroomLoad is the same class as a test, run only with LOAD=1.
func TestClassroomLoad(t *testing.T) {
	if os.Getenv("LOAD") != "1" {
		t.Skip("set LOAD=1 to run the classroom load")
	}
	n := loadLearners()
	m := startLoadServer(t)
	st := runClassroom(t, m.URL(), n)
	t.Log("\n" + st.table(n))
	t.Log(st.cpuLine())
}

func loadLearners() int {
	if n, err := strconv.Atoi(os.Getenv("LOAD_LEARNERS")); err == nil && n > 0 && n <= 500 {
		return n
	}
	return 30
}

func startLoadServer(tb testing.TB) *Main {
	tb.Helper()
	m := NewMain(io.Discard, io.Discard, nil)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", tb.TempDir(), "--log-level", "error",
		"--python", os.Getenv("LOAD_PYTHON")}); err != nil {
		tb.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	if !strings.HasPrefix(m.URL(), "http://127.0.0.1:") {
		tb.Fatalf("load targets 127.0.0.1 only, server at %s", m.URL())
	}
	return m
}

// Request kinds measured.
const (
	kindPage  = "page"  // lesson pages (start form, player page)
	kindAPI   = "api"   // POST /api/sandboxes
	kindStep  = "step"  // a step run through the player (htmx)
	kindFix   = "fix"   // the fix from the inspector (htmx)
	kindProxy = "proxy" // the learner's own program: fresh credential + client, GetSecret via the proxy
)

var loadKinds = []string{kindPage, kindAPI, kindStep, kindFix, kindProxy}

type loadStats struct {
	mu       sync.Mutex
	lat      map[string][]time.Duration
	requests int // HTTP requests (a proxy GetSecret counts the SDK's requests, not the CONNECTs)
	wall     time.Duration
	// unfinished counts learners the bound stopped (reported, not failed).
	unfinished int
	// missed counts finished workshop steps the dashboard had not shown
	// when the bound ran out.
	missed int
	// cpu is the test process's CPU over the run: the server's alone when
	// the learners ran in a process of their own (learnersCPU is then
	// theirs), the server's and the learners' together otherwise.
	cpu, learnersCPU time.Duration
	separate         bool
}

func (s *loadStats) add(kind string, d time.Duration, requests int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lat == nil {
		s.lat = map[string][]time.Duration{}
	}
	s.lat[kind] = append(s.lat[kind], d)
	s.requests += requests
}

func (s *loadStats) merge(o *loadStats) {
	for k, ds := range o.lat {
		for _, d := range ds {
			s.add(k, d, 0)
		}
	}
	s.requests += o.requests
	s.unfinished += o.unfinished
	s.missed += o.missed
	s.wall += o.wall
	s.cpu += o.cpu
	s.learnersCPU += o.learnersCPU
	s.separate = s.separate || o.separate
}

// cpuLine says what each process spent over the run.
func (s *loadStats) cpuLine() string {
	w := s.wall.Seconds()
	if !s.separate {
		return fmt.Sprintf("process CPU %.2fs over %.2fs wall = %.2f cores busy (server and learners share the process)",
			s.cpu.Seconds(), w, s.cpu.Seconds()/w)
	}
	return fmt.Sprintf("server process CPU %.2fs, learners' process CPU %.2fs over %.2fs wall = %.2f + %.2f cores busy (learners in a process of their own)",
		s.cpu.Seconds(), s.learnersCPU.Seconds(), w, s.cpu.Seconds()/w, s.learnersCPU.Seconds()/w)
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(0, min(i, len(s)-1))]
}

func (s *loadStats) table(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d learners: wall %.2fs, %d HTTP requests, %.1f req/s\n", n, s.wall.Seconds(), s.requests,
		float64(s.requests)/s.wall.Seconds())
	fmt.Fprintf(&b, "%-6s %6s %9s %9s %9s %9s\n", "kind", "count", "p50", "p95", "p99", "max")
	for _, k := range loadKinds {
		ds := s.lat[k]
		if len(ds) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-6s %6d %9s %9s %9s %9s\n", k, len(ds), ms(pct(ds, 50)), ms(pct(ds, 95)), ms(pct(ds, 99)), ms(pct(ds, 100)))
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadClientLabel marks the learners' goroutines in a CPU profile:
// go tool pprof -tagfocus side=learners.
var loadClientLabel = pprof.Labels("side", "learners")

// runClassroom runs a class of n learners against the server at base:
// in a process of their own or in this one (loadSeparate).
func runClassroom(tb testing.TB, base string, n int) *loadStats {
	tb.Helper()
	return runLoad(tb, loadSpec{Scenario: loadClassroom, Base: base, N: n})
}

// classroom starts n learners at once and waits for all of them; the
// error joins every learner's failure.
func classroom(base string, n int) (*loadStats, error) {
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	pool, err := loadCAPool(ctx, base)
	if err != nil {
		return nil, err
	}
	st := &loadStats{}
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			// Each learner from a loopback address of its own, as on a LAN
			// (one address would meet the per-address creation limit).
			l := &learner{base: base, pool: pool, st: st, dial: dialFrom(fmt.Sprintf("127.0.0.%d", 10+i%240))}
			// The label marks the learners' side (their browsers and own
			// programs, and the connection goroutines these start) in a CPU
			// profile, apart from the server when they share the process.
			pprof.Do(ctx, loadClientLabel, func(ctx context.Context) {
				if err := l.lesson1(ctx); err != nil {
					errs <- fmt.Errorf("learner %d: %w", i, err)
					cancel() // one failure ends the class
				}
			})
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	st.wall = time.Since(t0)
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return st, errors.Join(all...)
}

func loadCAPool(ctx context.Context, base string) (*x509.CertPool, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/ca.pem", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	pem, _ := io.ReadAll(res.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("ca.pem holds no certificate")
	}
	return pool, nil
}

// learner is one browser (cookie jar) plus the learner's own program.
type learner struct {
	base string
	pool *x509.CertPool
	st   *loadStats
	// dial, when set, connects from the learner's own address (the hostile
	// load gives each learner a loopback address of its own).
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	c    *http.Client
	csrf string
	sb   sandboxInfo
	// mark is the diagram the learner's page shows; sent with htmx posts
	// as app.js does, so step answers bring only the new rows.
	mark string
	// buf holds the body being read: one buffer for all of a learner's
	// answers, so reading a page is one copy, not a buffer grown from
	// nothing each time (the learners' garbage is collected with the
	// server's, in this one process).
	buf bytes.Buffer
}

var (
	loadCSRFMeta    = regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`)
	loadDiagramMark = regexp.MustCompile(`(?:<section id="diagram"|<div hidden id="diagram-state" hx-swap-oob="true" data-base="[^"]*")[^>]* data-mark="([^"]*)"`)
	loadExchanges   = regexp.MustCompile(`data-testid="exchange" data-seq="(\d+)" data-index="\d+" data-status="(\d+)"`)
)

// loadDiagramOpenings are the literal openings of loadDiagramMark's two
// alternatives: every match starts with one of them.
var loadDiagramOpenings = [][]byte{
	[]byte(`<section id="diagram"`),
	[]byte(`<div hidden id="diagram-state" hx-swap-oob="true" data-base="`),
}

// diagramMark is loadDiagramMark's first submatch in data (nil without a
// match). The regexp alone steps its automaton through every byte of a
// 46 KB page, since its alternation has no common literal prefix; starting
// it where the first opening occurs gives the same leftmost match (no match
// can start earlier) for a fraction of the learners' CPU.
func diagramMark(data []byte) []byte {
	from := -1
	for _, o := range loadDiagramOpenings {
		if i := bytes.Index(data, o); i >= 0 && (from < 0 || i < from) {
			from = i
		}
	}
	if from < 0 {
		return nil
	}
	if m := loadDiagramMark.FindSubmatch(data[from:]); m != nil {
		return m[1]
	}
	return nil
}

func (l *learner) lesson1(ctx context.Context) error {
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the browser talks to the app directly
	if l.dial != nil {
		tr.DialContext = l.dial
	}
	l.c = &http.Client{Jar: jar, Transport: tr, Timeout: time.Minute}
	defer tr.CloseIdleConnections()

	// The lesson's page without a sandbox: the start form, the session and
	// its CSRF token.
	body, err := l.do(ctx, kindPage, "GET", "/lessons/"+loadLesson, nil, nil)
	if err != nil {
		return err
	}
	m := loadCSRFMeta.FindSubmatch(body)
	if m == nil {
		return errors.New("no csrf-token on the lesson page")
	}
	l.csrf = string(m[1])

	body, err = l.do(ctx, kindAPI, "POST", "/api/sandboxes", strings.NewReader(`{"scenario":"walkthrough"}`),
		map[string]string{"Content-Type": "application/json", "X-CSRF-Token": l.csrf})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, &l.sb); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	lesson := "/sandboxes/" + l.sb.ID + "/lessons/" + loadLesson
	if _, err := l.do(ctx, kindPage, "GET", lesson, nil, nil); err != nil {
		return err
	}

	// The learner's own program before the fix: 403 at the call.
	if err := l.ownProgram(ctx, http.StatusForbidden); err != nil {
		return err
	}

	var refused string
	for _, step := range []string{"create-credential", "create-client", "get-secret"} {
		body, err := l.form(ctx, kindStep, lesson+"/steps/"+step, nil)
		if err != nil {
			return err
		}
		if step == "get-secret" {
			for _, m := range loadExchanges.FindAllSubmatch(body, -1) {
				if string(m[2]) == "403" {
					refused = string(m[1])
				}
			}
		}
	}
	if refused == "" {
		return errors.New("get-secret showed no 403")
	}
	if _, err := l.form(ctx, kindFix, lesson+"/fix", url.Values{"seq": {refused}}); err != nil {
		return err
	}
	body, err = l.form(ctx, kindStep, lesson+"/steps/get-secret", nil)
	if err != nil {
		return err
	}
	if !bytes.Contains(body, []byte(`data-ok="true"`)) {
		return errors.New("get-secret after the fix did not succeed")
	}
	if err := l.ownProgram(ctx, http.StatusOK); err != nil {
		return err
	}
	_, err = l.do(ctx, kindPage, "GET", lesson, nil, nil)
	return err
}

// form posts an htmx form with the CSRF token.
func (l *learner) form(ctx context.Context, kind, path string, v url.Values) ([]byte, error) {
	if v == nil {
		v = url.Values{}
	}
	v.Set("_csrf", l.csrf)
	return l.do(ctx, kind, "POST", path, strings.NewReader(v.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", "X-Diagram-Mark": l.mark})
}

// do sends one request and returns the answer's body, which is valid until
// the learner's next request.
func (l *learner) do(ctx context.Context, kind, method, path string, body io.Reader, h map[string]string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	t0 := time.Now()
	res, err := l.c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	l.buf.Reset()
	if res.ContentLength > 0 {
		l.buf.Grow(int(min(res.ContentLength, 1<<20)) + bytes.MinRead) // ReadFrom wants MinRead spare
	}
	_, err = l.buf.ReadFrom(res.Body)
	res.Body.Close()
	l.st.add(kind, time.Since(t0), 1)
	data := l.buf.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if res.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s = %d %.300s", method, path, res.StatusCode, data)
	}
	if m := diagramMark(data); m != nil {
		l.mark = string(m)
	}
	return data, nil
}

// ownProgram is the docs' Go program started once: a new process, so a new
// connection through the proxy, a fresh credential and client, and
// GetSecret (challenge, token, call). want is the call's status.
func (l *learner) ownProgram(ctx context.Context, want int) error {
	pu, _ := url.Parse(l.sb.ProxyURL)
	pu.User = url.UserPassword(l.sb.ID, l.sb.ProxyPassword)
	if !strings.HasPrefix(pu.Host, "127.0.0.1:") {
		return fmt.Errorf("proxy %s is not on 127.0.0.1", pu.Host)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = http.ProxyURL(pu)
	tr.TLSClientConfig.RootCAs = l.pool
	if l.dial != nil {
		tr.DialContext = l.dial
	}
	defer tr.CloseIdleConnections()
	c := &countingClient{c: &http.Client{Transport: tr, Timeout: time.Minute}}
	opts := azcore.ClientOptions{Transport: c, Retry: policy.RetryOptions{MaxRetries: -1}}
	p := l.sb.Principals["localDev"]
	cred, err := azidentity.NewClientSecretCredential(l.sb.TenantID, p.ClientID, p.ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		return err
	}
	sc, err := azsecrets.NewClient(l.sb.KeyVaultURL, cred, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		return err
	}
	t0 := time.Now()
	_, err = sc.GetSecret(ctx, l.sb.SecretName, "", nil)
	l.st.add(kindProxy, time.Since(t0), int(c.n.Load()))
	var re *azcore.ResponseError
	switch {
	case want == http.StatusOK && err != nil:
		return fmt.Errorf("own program GetSecret: %w", err)
	case want != http.StatusOK && (!errors.As(err, &re) || re.StatusCode != want):
		return fmt.Errorf("own program GetSecret: want %d, got %v", want, err)
	}
	return nil
}

// countingClient counts the SDK's requests.
type countingClient struct {
	c *http.Client
	n atomic.Int32
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.c.Do(r)
}

// TestDiagramMarkIsTheRegexpsMatch holds diagramMark to loadDiagramMark's
// own first submatch, so the load's checks see the same marks.
func TestDiagramMarkIsTheRegexpsMatch(t *testing.T) {
	section := `<section id="diagram" class="d" data-mark="s1">`
	state := `<div hidden id="diagram-state" hx-swap-oob="true" data-base="b" data-mark="o2">`
	for _, body := range []string{
		"",
		"<p>no diagram</p>",
		section,
		"<p>before</p>" + section + state,
		state + section,
		`<section id="diagram" class="d">` + state,          // the first opening has no mark: the next one's
		`<section id="diagram"><p data-mark="x">` + section, // a mark past the tag's end is not the tag's
		`<div hidden id="diagram-state" hx-swap-oob="true" data-base="` + // an opening with no end
			`<section id="diagram" data-mark="">`,
		strings.Repeat("<li>row</li>", 2000) + state,
	} {
		want := []byte(nil)
		if m := loadDiagramMark.FindSubmatch([]byte(body)); m != nil {
			want = m[1]
		}
		got := diagramMark([]byte(body))
		if (got == nil) != (want == nil) || string(got) != string(want) {
			t.Errorf("diagramMark(%.80q) = %q, the regexp's = %q", body, got, want)
		}
	}
}
