package main

import (
	"bufio"
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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/authorization/armauthorization/v2"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azqueue/v2"
	"github.com/google/uuid"
)

// The hostile classroom: the classroom load (30 learners through lesson 1,
// each from a loopback address of its own) twice against the built server
// in a process of its own, once quiet and once while one client, from
// another address, floods it: anonymous sandbox creation, 32 KiB queue
// writes, uncredentialed proxy GETs at a learner's vault and 200 live
// diagram streams. It reports the learners' step latencies, the server's
// peak RSS and CPU for each run and what the flood got, and fails if any
// learner lost an exchange of their own. Loopback only, bounded by the
// class (the flood stops when the class ends) and a deadline:
//
//	LOAD=1 go test ./cmd/sandbox -run TestHostileClassroom -v -timeout 20m   (LOAD_LEARNERS=n)

const (
	hostileStreams = 200
	hostileMessage = 32 << 10
	hostileAddr    = "127.0.0.200"
)

func TestHostileClassroom(t *testing.T) {
	if os.Getenv("LOAD") != "1" {
		t.Skip("set LOAD=1 to run the hostile classroom load")
	}
	bin := buildBinary(t)
	n := loadLearners()
	quiet := runHostileClass(t, bin, n, false)
	flood := runHostileClass(t, bin, n, true)
	var b strings.Builder
	for _, r := range []*hostileRun{quiet, flood} {
		fmt.Fprintf(&b, "\n== %s ==\n%s", r.name, r.st.table(n))
		fmt.Fprintf(&b, "server: peak RSS %.1f MB, CPU %.2fs over %.2fs wall (%.2f cores)\n",
			float64(r.rssKB)/1024, r.cpu.Seconds(), r.st.wall.Seconds(), r.cpu.Seconds()/r.st.wall.Seconds())
		fmt.Fprintf(&b, "learners' traces: %d exchanges, none lost, none foreign\n", r.exchanges)
		if len(r.hostile) > 0 {
			fmt.Fprintf(&b, "flood outcomes:\n%s", r.hostileTable())
		}
	}
	qp, fp := pct(quiet.st.lat[kindStep], 99), pct(flood.st.lat[kindStep], 99)
	fmt.Fprintf(&b, "\nstep p99: quiet %s, flood %s (%.2fx)\n", ms(qp), ms(fp), float64(fp)/float64(qp))
	t.Log(b.String())
}

type hostileRun struct {
	name      string
	st        *loadStats
	rssKB     int
	cpu       time.Duration
	exchanges int

	mu      sync.Mutex
	hostile map[string]int // "what status" → count
}

func (r *hostileRun) count(what string, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hostile[what+" "+strconv.Itoa(status)]++
}

func (r *hostileRun) hostileTable() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.hostile))
	for k := range r.hostile {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-28s %6d\n", k, r.hostile[k])
	}
	return b.String()
}

// runHostileClass runs the class against a fresh server, with the flood
// when flood is set.
func runHostileClass(t *testing.T, bin string, n int, flood bool) *hostileRun {
	p := startProcess(t, bin, t.TempDir())
	defer p.cmd.Process.Kill()
	if !strings.HasPrefix(p.url, "http://127.0.0.1:") {
		t.Fatalf("load targets 127.0.0.1 only, server at %s", p.url)
	}
	r := &hostileRun{name: "quiet", st: &loadStats{}, hostile: map[string]int{}}
	if flood {
		r.name = "flood"
	}
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	pool, err := loadCAPool(ctx, p.url)
	if err != nil {
		t.Fatal(err)
	}
	cpu0 := procCPU(t, p.cmd.Process.Pid)

	floodCtx, stopFlood := context.WithCancel(ctx)
	var floodWG sync.WaitGroup
	victim := make(chan sandboxInfo, 1)
	if flood {
		h := &hostile{base: p.url, pool: pool, run: r, dial: dialFrom(hostileAddr)}
		h.start(floodCtx, &floodWG, victim)
		time.Sleep(2 * time.Second) // the flood is under way before the class starts
	}

	learners := make([]*learner, n)
	errs := make(chan error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		l := &learner{base: p.url, pool: pool, st: r.st, dial: dialFrom(fmt.Sprintf("127.0.0.%d", 10+i))}
		learners[i] = l
		wg.Go(func() {
			<-start
			if err := l.lesson1(ctx); err != nil {
				errs <- fmt.Errorf("learner %d: %w", i, err)
				cancel()
			}
			if i == 0 {
				select {
				case victim <- l.sb:
				default:
				}
			}
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	r.st.wall = time.Since(t0)
	stopFlood()
	floodWG.Wait()
	r.cpu = procCPU(t, p.cmd.Process.Pid) - cpu0
	r.rssKB = procStatusKB(t, p.cmd.Process.Pid, "VmHWM")
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.Fatalf("server log:\n%.3000s", p.stderr)
	}
	// No learner lost an exchange of their own, and none holds another's.
	for i, l := range learners {
		exs := hostileTrace(t, p.url, l.sb)
		for j, ex := range exs {
			if ex.Seq != int64(j+1) {
				t.Fatalf("learner %d: trace starts at or skips to seq %d (index %d): exchanges lost", i, ex.Seq, j)
			}
			if (ex.Via != "runner" && ex.Via != "proxy") || ex.SandboxID != l.sb.ID {
				t.Fatalf("learner %d: foreign exchange %+v", i, ex)
			}
		}
		if len(exs) == 0 {
			t.Fatalf("learner %d: empty trace", i)
		}
		r.exchanges += len(exs)
	}
	return r
}

type hostileExchange struct {
	Seq       int64  `json:"seq"`
	SandboxID string `json:"sandboxId"`
	Via       string `json:"via"`
	URL       string `json:"url"`
}

func hostileTrace(t *testing.T, base string, sb sandboxInfo) []hostileExchange {
	t.Helper()
	var tr struct {
		Exchanges []hostileExchange `json:"exchanges"`
	}
	if status := api(t, base, sb.AccessKey, "GET", "/api/sandboxes/"+sb.ID+"/trace", "", &tr); status != 200 {
		t.Fatalf("trace of %s = %d", sb.ID, status)
	}
	return tr.Exchanges
}

// dialFrom connects from a loopback address of its own, so the server
// sees one client address per learner (and one for the flood), as on a
// classroom LAN.
func dialFrom(ip string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return d.DialContext
}

// procCPU is a process's user+system CPU time (Linux /proc).
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command (which may hold spaces): state is field 3,
	// utime 14 and stime 15.
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func procStatusKB(t *testing.T, pid int, field string) int {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb
		}
	}
	return 0
}

// hostile is the flooding client.
type hostile struct {
	base string
	pool *x509.CertPool
	run  *hostileRun
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (h *hostile) transport(proxy *url.URL) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if proxy != nil {
		tr.Proxy = http.ProxyURL(proxy)
	}
	tr.DialContext = h.dial
	tr.TLSClientConfig.RootCAs = h.pool
	tr.MaxIdleConnsPerHost = 64
	return tr
}

// start launches the flood; it runs until ctx ends.
func (h *hostile) start(ctx context.Context, wg *sync.WaitGroup, victim <-chan sandboxInfo) {
	app := &http.Client{Transport: h.transport(nil), Timeout: 30 * time.Second}
	// The hostile's own sandbox first (before the creation flood uses up
	// the address's allowance).
	var own sandboxInfo
	res, err := h.post(ctx, app, "/api/sandboxes", `{"scenario":"walkthrough"}`)
	if err == nil && res.StatusCode == http.StatusCreated {
		json.NewDecoder(res.Body).Decode(&own)
	}
	if res != nil {
		res.Body.Close()
	}

	for range 2 { // anonymous creation as fast as it goes
		wg.Go(func() {
			for ctx.Err() == nil {
				res, err := h.post(ctx, app, "/api/sandboxes", `{"scenario":"walkthrough"}`)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				h.run.count("create", res.StatusCode)
			}
		})
	}
	if own.ID != "" {
		wg.Go(func() { h.queueFlood(ctx, own) })
		wg.Go(func() { h.streams(ctx) })
	}
	for range 2 { // uncredentialed GETs at a learner's vault (its own until one exists)
		wg.Go(func() {
			anon := &http.Client{Transport: h.transport(mustURL(h.base)), Timeout: 30 * time.Second}
			target := own.KeyVaultURL
			for ctx.Err() == nil {
				select {
				case v := <-victim:
					target = v.KeyVaultURL
				default:
				}
				if target == "" {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", target+"/secrets/third-party-api-key/?api-version=7.5", nil)
				res, err := anon.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				h.run.count("anonymous vault GET", res.StatusCode)
			}
		})
	}
}

func (h *hostile) post(ctx context.Context, c *http.Client, path, body string) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(ctx, "POST", h.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.Do(req)
}

// queueFlood grants its own localDev the queue role through ARM and writes
// 32 KiB messages as fast as it can.
func (h *hostile) queueFlood(ctx context.Context, sb sandboxInfo) {
	pu := mustURL(sb.ProxyURL)
	pu.User = url.UserPassword(sb.ID, sb.ProxyPassword)
	c := &http.Client{Transport: h.transport(pu), Timeout: 30 * time.Second}
	opts := azcore.ClientOptions{Transport: c, Retry: policy.RetryOptions{MaxRetries: -1}}
	owner, err := azidentity.NewClientSecretCredential(sb.TenantID, sb.Principals["owner"].ClientID, sb.Principals["owner"].ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		return
	}
	rc, err := armauthorization.NewRoleAssignmentsClient(sb.SubscriptionID, owner, &arm.ClientOptions{ClientOptions: opts})
	if err != nil {
		return
	}
	account := strings.TrimPrefix(strings.Split(sb.QueueURL, ".")[0], "https://")
	scope := "/subscriptions/" + sb.SubscriptionID + "/resourceGroups/" + sb.ResourceGroup + "/providers/Microsoft.Storage/storageAccounts/" + account
	roleID := "/subscriptions/" + sb.SubscriptionID + "/providers/Microsoft.Authorization/roleDefinitions/974c5e8b-45b9-4653-ba55-5f855dd0fb88"
	pt := armauthorization.PrincipalTypeServicePrincipal
	if _, err := rc.Create(ctx, scope, uuid.NewString(), armauthorization.RoleAssignmentCreateParameters{
		Properties: &armauthorization.RoleAssignmentProperties{PrincipalID: ptr(sb.Principals["localDev"].ObjectID), RoleDefinitionID: &roleID, PrincipalType: &pt},
	}, nil); err != nil {
		h.run.count("queue role assignment failed", 0)
		return
	}
	dev, err := azidentity.NewClientSecretCredential(sb.TenantID, sb.Principals["localDev"].ClientID, sb.Principals["localDev"].ClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		return
	}
	qc, err := azqueue.NewQueueClient(sb.QueueURL, dev, &azqueue.ClientOptions{ClientOptions: opts})
	if err != nil {
		return
	}
	text := strings.Repeat("q", hostileMessage)
	for ctx.Err() == nil {
		_, err := qc.EnqueueMessage(ctx, text, nil)
		var re *azcore.ResponseError
		switch {
		case err == nil:
			h.run.count("queue put", http.StatusCreated)
		case errors.As(err, &re):
			h.run.count("queue put "+re.ErrorCode, re.StatusCode)
		}
	}
}

// streams opens hostileStreams live-diagram streams on its own lesson and
// reads them until ctx ends.
func (h *hostile) streams(ctx context.Context) {
	jar, _ := cookiejar.New(nil)
	tr := h.transport(nil)
	tr.MaxConnsPerHost = 0
	c := &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, "GET", h.base+"/lessons/"+loadLesson, nil)
	res, err := c.Do(req)
	if err != nil {
		return
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := loadCSRFMeta.FindSubmatch(page)
	if m == nil {
		return
	}
	req, _ = http.NewRequestWithContext(ctx, "POST", h.base+"/lessons/"+loadLesson+"/start",
		strings.NewReader(url.Values{"_csrf": {string(m[1])}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = c.Do(req)
	if err != nil {
		return
	}
	res.Body.Close()
	lesson := res.Header.Get("Location")
	if lesson == "" {
		h.run.count("lesson start failed", res.StatusCode)
		return
	}
	var wg sync.WaitGroup
	var bytes atomic.Int64
	for range hostileStreams {
		req, _ := http.NewRequestWithContext(ctx, "GET", h.base+lesson+"/stream", nil)
		res, err := c.Do(req)
		if err != nil {
			continue
		}
		h.run.count("stream", res.StatusCode)
		if res.StatusCode != http.StatusOK {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			continue
		}
		wg.Go(func() {
			defer res.Body.Close()
			br := bufio.NewReader(res.Body)
			buf := make([]byte, 32<<10)
			for {
				k, err := br.Read(buf)
				bytes.Add(int64(k))
				if err != nil {
					return
				}
			}
		})
	}
	<-ctx.Done()
	wg.Wait()
	h.run.mu.Lock()
	h.run.hostile["stream bytes received"] += int(bytes.Load())
	h.run.mu.Unlock()
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
