package web

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// chromiumPath finds Chromium. Without one the browser tests skip, except
// under CI=true, where they fail: CI must run them.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is not installed, and CI=true requires the browser tests (apt-get install chromium)")
	}
	t.Skip("Chromium not found (install Debian's chromium package to run the browser tests)")
	return ""
}

// newChrome starts a headless Chromium with a fresh profile.
func newChrome(t *testing.T, limit time.Duration) (context.Context, context.CancelFunc) {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 1100),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), limit)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	return bctx, func() { cancelBrowser(); cancelAlloc(); cancelTimeout() }
}

// chromePage drives one Chromium tab through the lesson player. Reads are
// one JavaScript expression each: the event stream may replace the diagram
// and the goal at any moment, so a node looked up in one call may be gone
// in the next.
type chromePage struct {
	t    *testing.T
	ctx  context.Context
	runs map[string]int // runs of each step so far, to wait for the next one's outcome
}

// openChrome starts Chromium (see newChrome) for the test, for at most a
// minute (or the limit given).
func openChrome(t *testing.T, limit ...time.Duration) *chromePage {
	t.Helper()
	d := 60 * time.Second
	if len(limit) > 0 {
		d = limit[0]
	}
	ctx, cancel := newChrome(t, d)
	t.Cleanup(cancel)
	return &chromePage{t: t, ctx: ctx, runs: map[string]int{}}
}

func (pg *chromePage) fail(err error) {
	pg.t.Helper()
	if err != nil {
		pg.t.Fatal(err)
	}
}

func (pg *chromePage) do(steps ...chromedp.Action[chromedp.Void]) {
	pg.t.Helper()
	pg.fail(chromedp.Do(pg.ctx, steps...))
}

func (pg *chromePage) js(expr string) string {
	pg.t.Helper()
	s, err := chromedp.Run(pg.ctx, chromedp.Evaluate[string](expr))
	pg.fail(err)
	return s
}

func quote(sel string) string { return "document.querySelector(" + strconv.Quote(sel) + ")" }

func (pg *chromePage) text(sel string) string { return pg.js(quote(sel) + ".innerText") }

// svgText is the diagram's text (SVG has no innerText).
func (pg *chromePage) svgText() string { return pg.js(quote("#diagram svg") + ".textContent") }

func (pg *chromePage) attr(sel, name string) string {
	return pg.js(quote(sel) + ".getAttribute(" + strconv.Quote(name) + ")")
}

// click dispatches a click on the element the selector finds when it runs.
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](quote(sel)+`.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}))`))
		return err
	})
}

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

// settled waits until htmx has settled every response it swapped in. The
// new content is visible at the swap; what app.js does on htmx:afterSettle
// (the focus, scrolling to new exchanges, the aria-live announcement) comes
// a settle delay later (20 ms, much longer on a busy machine), and until
// then htmx has put the focus back on the swapped element's namesake. A
// check made between the two sees the page half-way. htmx marks swapped
// elements htmx-settling until it has fired htmx:afterSettle on them.
func settled() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") === null`)
}

// step clicks a step's Run (or Apply) button and waits until htmx has
// swapped in this run's outcome and settled.
func (pg *chromePage) step(id string) chromedp.Action[chromedp.Void] {
	pg.runs[id]++
	return chromedp.Steps(
		chromedp.Click(chromedp.CSS(`#step-`+id+` [data-testid="run-step"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#result-`+id+` [data-testid="step-outcome"][data-run="`+id+`-`+itoa64(int64(pg.runs[id]))+`"]`)),
		settled(),
	)
}

// Lesson 1 in a real browser against the real server: the first two
// statements draw nothing, get_secret draws the challenge, the token
// request and the 403; the inspector explains it and its fix button makes
// the rerun a 200; the learner's own program's requests appear live; the
// goal is met.
func TestBrowserLessonOne(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	pe := newPlayerEnv(t)
	pg := openChrome(t)
	ctx, fail, do, text, attr, svgText, step := pg.ctx, pg.fail, pg.do, pg.text, pg.attr, pg.svgText, pg.step

	do(chromedp.Navigate(pe.srv.URL+"/lessons/"+lesson1),
		chromedp.Click(chromedp.CSS(`[data-testid="start-lesson"] button`)),
		visible(`[data-testid="lesson-title"]`),
		step("create-credential"))
	count0 := attr(`#diagram`, "data-count")
	do(step("create-client"))
	count2 := attr(`#diagram`, "data-count")
	if count0 != "0" || count2 != "0" {
		t.Fatalf("diagram shows %s then %s exchanges after the first two steps, want 0", count0, count2)
	}
	if m := svgText(); !strings.Contains(m, "DefaultAzureCredential() — 0 requests") || !strings.Contains(m, "SecretClient(") {
		t.Errorf("markers: %q", m)
	}

	do(step("get-secret"), visible(`#diagram [data-testid="exchange"][data-status="403"]`))
	drawn := svgText()
	for _, want := range []string{"401 Unauthorized (challenge)", "POST /", "/oauth2/v2.0/token", "403 Forbidden", "client.get_secret("} {
		if !strings.Contains(drawn, want) {
			t.Errorf("diagram lacks %q:\n%s", want, drawn)
		}
	}
	do(click(`#diagram [data-testid="exchange"][data-status="403"]`),
		visible(`#inspector [data-testid="decision"]`))
	inspector := text(`#inspector`)
	for _, want := range []string{"Not authorized", "Microsoft.KeyVault/vaults/secrets/getSecret/action", "Key Vault Secrets User",
		"Audience: the API this token is for", "https://vault.azure.net", "expires in", "Apply this fix"} {
		if !strings.Contains(inspector, want) {
			t.Errorf("inspector lacks %q:\n%s", want, inspector)
		}
	}

	// The learner's own program, through the proxy: the diagram updates
	// without a reload (server-sent events), and it is announced.
	ownProgram(t, pe, attr(`[data-testid="lesson"]`, "data-sandbox-id"))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#diagram svg").textContent.includes("Your own program (through the proxy)")`,
		chromedp.WithPollingTimeout(10*time.Second)))
	fail(err)
	if a := text(`#announce`); !strings.Contains(a, "New exchange") {
		t.Errorf("aria-live announcement = %q", a)
	}

	do(chromedp.Click(chromedp.CSS(`[data-testid="apply-fix"]`)),
		visible(`[data-testid="fix-message"]`),
		step("get-secret"),
		visible(`#diagram [data-testid="exchange"][data-status="200"][data-service="Key Vault"]`),
		chromedp.WaitReady(chromedp.CSS(`[data-check-id="allowed-after-fix"][data-met="true"]`)),
		// Break it another way; then the whole goal is met.
		step("wrong-secret"),
		step("create-credential"),
		step("create-client"),
		step("get-secret"),
		chromedp.WaitReady(chromedp.CSS(`#goal[data-met="true"]`)))
	if g := text(`#goal h2`); !strings.Contains(g, "Goal met") {
		t.Errorf("goal: %q", g)
	}

	// Presenter: the exchanges are revealed one at a time with the arrow
	// keys.
	hidden := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#diagram .ex.unrevealed").length`))
		fail(err)
		return n
	}
	do(chromedp.Navigate(pe.srv.URL+attr(`[data-testid="presenter-link"]`, "href")+"?step=get-secret"),
		visible(`[data-testid="presenter"]`))
	total, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#diagram .ex").length`))
	fail(err)
	// It opens on the first exchange; the keys and the on-screen buttons
	// reveal and hide one at a time.
	before := hidden()
	do(chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	if after := hidden(); total < 4 || before != total-1 || after != total-3 {
		t.Errorf("presenter: %d exchanges, %d hidden, after two → %d hidden", total, before, after)
	}
	do(chromedp.KeyEvent(kb.ArrowLeft))
	if h := hidden(); h != total-2 {
		t.Errorf("after ← %d hidden, want %d", h, total-2)
	}
	do(click(`[data-testid="reveal-next"]`), click(`[data-testid="reveal-next"]`), click(`[data-testid="reveal-back"]`))
	if h := hidden(); h != total-3 {
		t.Errorf("after next, next, back (buttons) %d hidden, want %d", h, total-3)
	}

	if path := os.Getenv("LESSON_SCREENSHOT"); path != "" {
		do(chromedp.Navigate(pe.srv.URL + "/lessons/" + lesson1))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		fail(err)
		fail(os.WriteFile(path, png, 0o644))
		full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // PNG
		fail(err)
		fail(os.WriteFile(strings.TrimSuffix(path, ".png")+"-full.png", full, 0o644))
		do(click(`#diagram [data-testid="exchange"][data-status="403"]`),
			visible(`#inspector [data-testid="decision"]`))
		// Unstick the side column so element screenshots see all of it.
		_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(s => (s.style.position = "static", s.style.maxHeight = "none", true))(document.querySelector(".player-side"))`))
		fail(err)
		for _, part := range []string{"inspector", "panel"} {
			shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#"+part)))
			fail(err)
			fail(os.WriteFile(strings.TrimSuffix(path, ".png")+"-"+part+".png", shot, 0o644))
		}
		// Dark, on a phone.
		do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
			return err
		}), chromedp.EmulateViewport(390, 844), chromedp.Navigate(pe.srv.URL+"/lessons/"+lesson1))
		// Readable on a phone: nothing makes the page scroll sideways.
		if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
			t.Errorf("page is %d px wide on a 390 px phone (%v)", w, err)
		}
		phone, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		fail(err)
		fail(os.WriteFile(strings.TrimSuffix(path, ".png")+"-phone-dark.png", phone, 0o644))
	}
}

// ownProgram sends one request as a learner's program behind the proxy
// would: into the sandbox's cloud from a "proxy" origin.
func ownProgram(t *testing.T, pe *playerEnv, sandboxID string) {
	t.Helper()
	var vault string
	pe.reg.Get(sandboxID).View(func(st *world.State) {
		for _, v := range st.Vaults {
			vault = v.Name
		}
	})
	rt := pe.p.cloud.Transport(world.Origin{SandboxID: sandboxID, Via: "proxy"})
	req, _ := http.NewRequest("GET", "https://"+vault+".vault.azure.net/secrets/third-party-api-key?api-version=7.5", nil)
	res, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("own program's anonymous GetSecret = %d, want 401", res.StatusCode)
	}
}

// Lesson 7, the walkthrough, through its solution in a real browser: every
// action applied and every statement run with the page's own buttons, both
// versions (a secret in the app settings, then the managed identity). The
// diagram ends with Key Vault's 200, the third-party API's 200 and the
// queue's 201, and the goal is met.
func TestBrowserWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	pe := newPlayerEnv(t)
	l := pe.p.catalog.Get("walkthrough")
	if l == nil || len(l.Solution) == 0 {
		t.Fatal("lesson walkthrough has no solution")
	}
	pg := openChrome(t)
	pg.do(chromedp.Navigate(pe.srv.URL+"/lessons/"+l.ID),
		chromedp.Click(chromedp.CSS(`[data-testid="start-lesson"] button`)),
		visible(`[data-testid="lesson-title"]`))
	if g := pg.attr(`#goal`, "data-met"); g != "false" {
		t.Fatalf("goal data-met = %q at the start", g)
	}
	for _, id := range l.Solution {
		pg.do(pg.step(id))
		if ok := pg.attr(`#result-`+id+` [data-testid="step-outcome"]`, "data-ok"); ok != "true" {
			t.Fatalf("%s failed: %s", id, pg.text(`#result-`+id))
		}
	}
	pg.do(chromedp.WaitReady(chromedp.CSS(`#goal[data-met="true"]`)))
	for _, sel := range []string{
		`[data-status="200"][data-service="Key Vault"]`,
		`[data-status="200"][data-service="Third-party API"]`,
		`[data-status="201"][data-service="Storage"]`,
		`[data-status="200"][data-service="Managed identity"]`, // version 2's tokens
	} {
		pg.do(visible(`#diagram [data-testid="exchange"]` + sel))
	}
	if g := pg.text(`#goal h2`); !strings.Contains(g, "Goal met") {
		t.Errorf("goal: %q", g)
	}
	if n := pg.js(`String(document.querySelectorAll('#goal [data-testid="check"][data-met="true"]').length)`); n != strconv.Itoa(len(l.Checks())) {
		t.Errorf("%s of %d checks met", n, len(l.Checks()))
	}
}
