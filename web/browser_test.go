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
func newChrome(t *testing.T) (context.Context, context.CancelFunc) {
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
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	return bctx, func() { cancelBrowser(); cancelAlloc(); cancelTimeout() }
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
	ctx, cancel := newChrome(t)
	defer cancel()

	fail := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		fail(chromedp.Do(ctx, steps...))
	}
	// Reads are one JavaScript expression each: the event stream may
	// replace the diagram and the goal at any moment, so a node looked up in
	// one call may be gone in the next.
	js := func(expr string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		fail(err)
		return s
	}
	quote := func(sel string) string { return "document.querySelector(" + strconv.Quote(sel) + ")" }
	text := func(sel string) string { return js(quote(sel) + ".innerText") }
	svgText := func() string { return js(quote("#diagram svg") + ".textContent") } // SVG has no innerText
	attr := func(sel, name string) string { return js(quote(sel) + ".getAttribute(" + strconv.Quote(name) + ")") }
	click := func(sel string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](quote(sel)+`.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}))`))
			return err
		})
	}
	runs := map[string]int{}
	nextRun := func(id string) string {
		runs[id]++
		return itoa64(int64(runs[id]))
	}
	visible := func(sel string) chromedp.Action[chromedp.Void] { return chromedp.WaitVisible(chromedp.CSS(sel)) }
	step := func(id string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Click(chromedp.CSS(`#step-`+id+` [data-testid="run-step"]`)),
			// htmx swaps in the new result: wait for this run's outcome.
			chromedp.WaitVisible(chromedp.CSS(`#result-`+id+` [data-testid="step-outcome"][data-run="`+id+`-`+nextRun(id)+`"]`)),
		)
	}

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
	before := hidden()
	do(chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent(kb.ArrowRight))
	if after := hidden(); total < 3 || before != total || after != total-2 {
		t.Errorf("presenter: %d exchanges, %d hidden, after two → %d hidden", total, before, after)
	}
	do(chromedp.KeyEvent(kb.ArrowLeft))
	if h := hidden(); h != total-1 {
		t.Errorf("after ← %d hidden, want %d", h, total-1)
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
