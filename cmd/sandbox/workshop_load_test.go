package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The workshop load: one instructor creates a workshop and keeps its live
// dashboard open; N learners (100 by default) join with the code at once
// and run lesson 1 with the one-click fix. Measured per kind: join (the
// join form's POST, which creates the sandbox), page, step, fix, and
// dashboard (from a step's response to the first dashboard update showing
// it). Only 127.0.0.1; bounded by the learner count and loadTimeout. Not
// part of a plain `go test`:
//
//	LOAD=1 go test ./cmd/sandbox -run 'TestWorkshopLoad$' -v   (LOAD_LEARNERS=n, default 100)
//	LOAD=1 go test ./cmd/sandbox -run TestWorkshopLoadPaced -v (joins spread, reading time)
//	go test ./cmd/sandbox -run '^$' -bench Workshop -benchtime 1x
const (
	kindJoin      = "join"
	kindDashboard = "dashboard"
)

var workshopKinds = []string{kindJoin, kindPage, kindStep, kindFix, kindDashboard}

// TestWorkshopLoad is the burst: every learner joins at the same instant
// and clicks each step the moment the last answer arrives (no reading).
func TestWorkshopLoad(t *testing.T) {
	testWorkshopLoad(t, burst)
}

// TestWorkshopLoadPaced is a second, separately reported scenario beside
// the burst (which stays as it is): a class as it happens in a room. The
// learners join over joinOver (in random order) and read each step for a
// random time between readMin and readMax before clicking it (and before
// the fix). Seeded: the same schedule every run. LOAD_JOIN_OVER and
// LOAD_READ_MAX (Go durations) change the pace.
func TestWorkshopLoadPaced(t *testing.T) {
	p := pacing{joinOver: 5 * time.Second, readMin: 500 * time.Millisecond, readMax: 4 * time.Second, seed: 11}
	if d, err := time.ParseDuration(os.Getenv("LOAD_JOIN_OVER")); err == nil && d >= 0 {
		p.joinOver = d
	}
	if d, err := time.ParseDuration(os.Getenv("LOAD_READ_MAX")); err == nil && d >= 0 {
		p.readMax, p.readMin = d, min(p.readMin, d)
	}
	testWorkshopLoad(t, p)
}

func testWorkshopLoad(t *testing.T, p pacing) {
	if os.Getenv("LOAD") != "1" {
		t.Skip("set LOAD=1 to run the workshop load")
	}
	n := workshopLearners()
	m := startLoadServer(t)
	st := runWorkshop(t, m, n, p)
	t.Logf("steps in %s; %s", loadRunner(), p)
	t.Log("\n" + st.tableOf(n, workshopKinds))
	t.Log(st.cpuLine())
}

// pacing is how learners spread their clicks; the zero value is the burst.
type pacing struct {
	joinOver         time.Duration // learners start spread over this time
	readMin, readMax time.Duration // reading time before each step and the fix
	seed             uint64
}

var burst pacing

func (p pacing) String() string {
	if p == burst {
		return "burst: everyone joins at once, no reading time"
	}
	return fmt.Sprintf("paced: joins spread over %s, reading %s-%s before each click (seed %d)", p.joinOver, p.readMin, p.readMax, p.seed)
}

// schedule is each learner's start offset and reading times (steps and
// fix: five clicks), drawn once so that learners do not share a generator.
func (p pacing) schedule(n int) (starts []time.Duration, reads [][]time.Duration) {
	starts, reads = make([]time.Duration, n), make([][]time.Duration, n)
	if p == burst {
		return starts, reads
	}
	rng := rand.New(rand.NewPCG(p.seed, uint64(n)))
	for i := range n {
		starts[i] = time.Duration(rng.Int64N(int64(p.joinOver) + 1))
		for range 5 {
			reads[i] = append(reads[i], p.readMin+time.Duration(rng.Int64N(int64(p.readMax-p.readMin)+1)))
		}
	}
	return starts, reads
}

func BenchmarkWorkshop(b *testing.B) {
	n := workshopLearners()
	var all loadStats
	for b.Loop() {
		b.StopTimer()
		m := startLoadServer(b)
		b.StartTimer()
		all.merge(runWorkshop(b, m, n, burst))
	}
	for _, k := range workshopKinds {
		if d := all.lat[k]; len(d) > 0 {
			b.ReportMetric(float64(pct(d, 99).Microseconds())/1000, k+"-p99-ms")
		}
	}
	b.Log("\n" + all.tableOf(n, workshopKinds))
}

// loadRunner says which language ran the steps.
func loadRunner() string {
	if v := os.Getenv("LOAD_PYTHON"); v == "off" || v == "false" || v == "0" {
		return "Go (LOAD_PYTHON=off)"
	}
	return "Python where the machine has it (LOAD_PYTHON=" + os.Getenv("LOAD_PYTHON") + ")"
}

func workshopLearners() int {
	if n, err := strconv.Atoi(os.Getenv("LOAD_LEARNERS")); err == nil && n > 0 && n <= 300 {
		return n
	}
	return 100
}

// tableOf is table for the given kinds.
func (s *loadStats) tableOf(n int, kinds []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d learners: wall %.2fs, %d HTTP requests\n", n, s.wall.Seconds(), s.requests)
	if s.unfinished > 0 {
		fmt.Fprintf(&b, "%d learners did not finish within %s (the bound): the figures are of what finished\n", s.unfinished, loadTimeout)
	}
	fmt.Fprintf(&b, "%-9s %6s %9s %9s %9s %9s\n", "kind", "count", "p50", "p95", "p99", "max")
	for _, k := range kinds {
		ds := s.lat[k]
		if len(ds) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-9s %6d %9s %9s %9s %9s\n", k, len(ds), ms(pct(ds, 50)), ms(pct(ds, 95)), ms(pct(ds, 99)), ms(pct(ds, 100)))
	}
	return b.String()
}

var (
	loadJoinCode = regexp.MustCompile(`data-testid="join-code">([A-Z0-9]{6})<`)
	loadRow      = regexp.MustCompile(`data-testid="learner-row" data-member="[0-9a-f]+" data-name="([^"]+)" data-steps="(\d+)"`)
)

// dashboardWatch reads the dashboard's event stream and notes when each
// learner's step count was first shown.
type dashboardWatch struct {
	mu    sync.Mutex
	shown map[string][]time.Time // name → time the k-th step first appeared
	subs  []chan struct{}
}

func (d *dashboardWatch) seen(name string, k int) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.shown[name]) >= k {
		return d.shown[name][k-1], true
	}
	return time.Time{}, false
}

func (d *dashboardWatch) read(ctx context.Context, c *http.Client, url string) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("dashboard stream = %d", res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		now := time.Now()
		for _, m := range loadRow.FindAllStringSubmatch(line, -1) {
			k, _ := strconv.Atoi(m[2])
			d.mu.Lock()
			for len(d.shown[m[1]]) < k {
				d.shown[m[1]] = append(d.shown[m[1]], now)
			}
			d.mu.Unlock()
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

// runWorkshop adds the instructor to the server's store and runs the
// workshop of n learners (and the instructor's browser) against it: in a
// process of their own or in this one (loadSeparate).
func runWorkshop(tb testing.TB, m *Main, n int, p pacing) *loadStats {
	tb.Helper()
	if _, err := m.db.AddInstructor(context.Background(), "Load", "load-link"); err != nil {
		tb.Fatal(err)
	}
	st := runLoad(tb, loadSpec{Scenario: loadWorkshop, Base: m.URL(), N: n,
		JoinOver: p.joinOver, ReadMin: p.readMin, ReadMax: p.readMax, Seed: p.seed})
	if st.missed > 0 {
		tb.Logf("%d finished steps were not on the dashboard when the bound ran out", st.missed)
	}
	return st
}

// workshop is the instructor's browser creating the workshop and watching
// its dashboard while n learners join and work; the error joins every
// learner's failure.
func workshop(base string, n int, p pacing) (*loadStats, error) {
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	st := &loadStats{}
	teacher := newLoadBrowser(base, st)
	defer teacher.close()
	code, dash, err := teacher.createWorkshop(ctx)
	if err != nil {
		return nil, err
	}
	watch := &dashboardWatch{shown: map[string][]time.Time{}}
	streamCtx, stopStream := context.WithCancel(ctx)
	streamDone := make(chan error, 1)
	go func() { streamDone <- watch.read(streamCtx, teacher.c, base+dash+"/stream") }()

	type stepDone struct {
		name string
		k    int
		at   time.Time
	}
	var mu sync.Mutex
	var done []stepDone
	var unfinished atomic.Int64
	start := make(chan struct{})
	errs := make(chan error, n)
	starts, reads := p.schedule(n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			name := fmt.Sprintf("learner-%03d", i)
			l := newLoadBrowser(base, st)
			defer l.close()
			l.reads = reads[i]
			if !sleepCtx(ctx, starts[i]) {
				unfinished.Add(1)
				return
			}
			err := l.workshopLesson1(ctx, code, name, func(k int) {
				mu.Lock()
				done = append(done, stepDone{name, k, time.Now()})
				mu.Unlock()
			})
			switch {
			case err == nil:
			case ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded):
				// Slow is reported, not failed: the learner did not finish
				// within the bound (cold Python workers, a saturated
				// machine).
				unfinished.Add(1)
			default:
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	st.wall = time.Since(t0)
	st.unfinished = int(unfinished.Load())
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if len(all) > 0 {
		stopStream()
		<-streamDone
		return nil, errors.Join(all...)
	}
	// Every step must reach the dashboard; wait a little for the last ones
	// (not past the bound: then what was seen is reported).
	deadline := time.Now().Add(10 * time.Second)
	if st.unfinished > 0 {
		deadline = time.Now()
	}
	for _, d := range done {
		for {
			at, ok := watch.seen(d.name, d.k)
			if ok {
				st.add(kindDashboard, max(at.Sub(d.at), 0), 0)
				break
			}
			if time.Now().After(deadline) {
				if st.unfinished > 0 {
					st.missed++
					break
				}
				stopStream()
				<-streamDone
				return nil, fmt.Errorf("the dashboard never showed step %d of %s", d.k, d.name)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stopStream()
	if err := <-streamDone; err != nil && ctx.Err() == nil {
		return nil, fmt.Errorf("dashboard stream: %w", err)
	}
	return st, nil
}

// loadBrowser is one browser: a cookie jar, no redirects followed.
type loadBrowser struct {
	base string
	st   *loadStats
	c    *http.Client
	tr   *http.Transport
	csrf string
	// reads are the reading times before the next clicks (none: click at
	// once).
	reads []time.Duration
}

// read waits the learner's next reading time; false when ctx ended.
func (b *loadBrowser) read(ctx context.Context) bool {
	if len(b.reads) == 0 {
		return true
	}
	d := b.reads[0]
	b.reads = b.reads[1:]
	return sleepCtx(ctx, d)
}

// sleepCtx sleeps d unless ctx ends first (false then).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func newLoadBrowser(base string, st *loadStats) *loadBrowser {
	jar, _ := cookiejar.New(nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return &loadBrowser{base: base, st: st, tr: tr, c: &http.Client{Jar: jar, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *loadBrowser) close() { b.tr.CloseIdleConnections() }

// do sends a request and measures it under kind ("" = not measured); it
// returns the body and the redirect target.
func (b *loadBrowser) do(ctx context.Context, kind, method, path string, form url.Values) (string, string, error) {
	var body io.Reader
	if form != nil {
		form.Set("_csrf", b.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return "", "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if kind == kindStep || kind == kindFix {
			req.Header.Set("HX-Request", "true")
		}
	}
	t0 := time.Now()
	res, err := b.c.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if kind != "" {
		b.st.add(kind, time.Since(t0), 1)
	}
	if err != nil {
		return "", "", err
	}
	if res.StatusCode >= 400 {
		return "", "", fmt.Errorf("%s %s = %d %.300s", method, path, res.StatusCode, data)
	}
	if m := loadCSRFMeta.FindSubmatch(data); m != nil {
		b.csrf = string(m[1])
	}
	return string(data), res.Header.Get("Location"), nil
}

func (b *loadBrowser) createWorkshop(ctx context.Context) (code, dash string, err error) {
	if _, _, err = b.do(ctx, "", "GET", "/instructor/signin?token=load-link", nil); err != nil {
		return
	}
	if _, _, err = b.do(ctx, "", "POST", "/instructor/signin", url.Values{"token": {"load-link"}}); err != nil {
		return
	}
	if _, _, err = b.do(ctx, "", "GET", "/instructor", nil); err != nil {
		return
	}
	_, dash, err = b.do(ctx, "", "POST", "/instructor/workshops", url.Values{"title": {"Load"}, "lessons": {loadLesson},
		"scenario": {"walkthrough"}, "stuckAfterMinutes": {"5"}})
	if err != nil {
		return
	}
	page, _, err := b.do(ctx, "", "GET", dash, nil)
	if err != nil {
		return
	}
	m := loadJoinCode.FindStringSubmatch(page)
	if m == nil {
		return "", "", errors.New("no join code on the dashboard")
	}
	return m[1], dash, nil
}

// workshopLesson1 joins and runs lesson 1 with the fix; stepped(k) is
// called when the k-th step's response has arrived.
func (b *loadBrowser) workshopLesson1(ctx context.Context, code, name string, stepped func(k int)) error {
	if _, _, err := b.do(ctx, kindPage, "GET", "/join?code="+code, nil); err != nil {
		return err
	}
	_, lesson, err := b.do(ctx, kindJoin, "POST", "/join", url.Values{"code": {code}, "name": {name}})
	if err != nil {
		return err
	}
	if !strings.HasSuffix(lesson, "/lessons/"+loadLesson) {
		return fmt.Errorf("join redirected to %q", lesson)
	}
	if _, _, err := b.do(ctx, kindPage, "GET", lesson, nil); err != nil {
		return err
	}
	k := 0
	var refused string
	for _, step := range []string{"create-credential", "create-client", "get-secret"} {
		if !b.read(ctx) {
			return ctx.Err()
		}
		body, _, err := b.do(ctx, kindStep, "POST", lesson+"/steps/"+step, url.Values{})
		if err != nil {
			return err
		}
		k++
		stepped(k)
		for _, m := range loadExchanges.FindAllStringSubmatch(body, -1) {
			if m[2] == "403" {
				refused = m[1]
			}
		}
	}
	if refused == "" {
		return errors.New("get-secret showed no 403")
	}
	if !b.read(ctx) {
		return ctx.Err()
	}
	if _, _, err := b.do(ctx, kindFix, "POST", lesson+"/fix", url.Values{"seq": {refused}}); err != nil {
		return err
	}
	if !b.read(ctx) {
		return ctx.Err()
	}
	body, _, err := b.do(ctx, kindStep, "POST", lesson+"/steps/get-secret", url.Values{})
	if err != nil {
		return err
	}
	k++
	stepped(k)
	if !strings.Contains(body, `data-ok="true"`) {
		return errors.New("get-secret after the fix did not succeed")
	}
	_, _, err = b.do(ctx, kindPage, "GET", lesson, nil)
	return err
}
