package web

import (
	_ "embed"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (npm axe-core, see testdata/axe/README.md): test
// only, never served. The test injects it into the page through the
// DevTools protocol, which the page's Content-Security-Policy does not
// govern.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// axe runs axe-core on the current page and fails the test on every
// serious or critical violation.
func (pg *chromePage) axe(page string) {
	pg.t.Helper()
	if pg.js(`typeof axe`) != "object" {
		_, err := chromedp.Run(pg.ctx, chromedp.Evaluate[bool](axeSource+";true"))
		pg.fail(err)
	}
	out, err := chromedp.Run(pg.ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
			first: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " — " + (n.failureSummary || "").split("\n").slice(0, 2).join(" "))}))))`,
		chromedp.EvalAwaitPromise))
	pg.fail(err)
	var vs []struct {
		ID, Impact, Help string
		Nodes            int
		First            []string
	}
	pg.fail(json.Unmarshal([]byte(out), &vs))
	for _, v := range vs {
		pg.t.Errorf("%s: axe %s (%s, %d nodes): %s\n  %s", page, v.ID, v.Impact, v.Nodes, v.Help, strings.Join(v.First, "\n  "))
	}
}

func (pg *chromePage) number(expr string) float64 {
	pg.t.Helper()
	n, err := chromedp.Run(pg.ctx, chromedp.Evaluate[float64](expr))
	pg.fail(err)
	return n
}

func (pg *chromePage) truth(expr string) bool {
	pg.t.Helper()
	b, err := chromedp.Run(pg.ctx, chromedp.Evaluate[bool](expr))
	pg.fail(err)
	return b
}

// inView reports whether the element's top is inside the window (and,
// inside the lesson's side column, inside the column).
const inViewJS = `(el => { if (!el) return false; const r = el.getBoundingClientRect();
	if (r.top < 0 || r.top > innerHeight - 20) return false;
	const side = el.closest(".player-side"); if (!side) return true;
	const s = side.getBoundingClientRect(); return r.top >= s.top - 2 && r.top <= s.bottom - 20; })`

// On a desktop: the inspector opens at its heading with the focus on it;
// "Apply this fix" moves the focus and the view to its confirmation and
// disables itself; a step's new exchanges come into view beside it; the
// presenter opens on the first exchange; an Equivalent block is one command
// a line and copies. axe-core finds nothing serious on every page kind.
func TestBrowserFollowsTheWire(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	pe := newPlayerEnv(t)
	pg := openChrome(t)
	pg.do(chromedp.EmulateViewport(1440, 900), chromedp.Navigate(pe.srv.URL+"/"), visible(`main`))
	pg.axe("home")
	pg.do(chromedp.Navigate(pe.srv.URL+"/lessons"), visible(`[data-testid="catalog"]`))
	pg.axe("catalog")
	pg.do(chromedp.Navigate(pe.srv.URL+"/lessons/"+lesson1), visible(`[data-testid="start-lesson"]`))
	pg.axe("lesson start")
	pg.do(chromedp.Click(chromedp.CSS(`[data-testid="start-lesson"] button`)), visible(`[data-testid="lesson-title"]`))
	pg.axe("lesson, fresh")

	// The language is the learner's: one click, every step; kept.
	pg.do(click(`#tab-create-credential-javascript`))
	if s := pg.attr(`#tab-create-client-javascript`, "aria-selected"); s != "true" {
		t.Errorf("choosing JavaScript in step 1 leaves step 2 on another language")
	}
	// The choice reaches the server in the background (app.js's fetch):
	// reload once the server serves the page with it.
	pg.do(chromedp.Poll[chromedp.Void](`fetch(location.href, {credentials: "same-origin"}).then(r => r.text()).then(h =>
		new DOMParser().parseFromString(h, "text/html").querySelector("#tab-get-secret-javascript").getAttribute("aria-selected") === "true")`,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Reload(), visible(`[data-testid="lesson-title"]`))
	if s := pg.attr(`#tab-get-secret-javascript`, "aria-selected"); s != "true" {
		t.Errorf("after a reload, step 3 is not on the learner's JavaScript")
	}

	// Scroll the side column away, then run: the new exchanges come into view.
	pg.do(pg.step("create-credential"), pg.step("create-client"))
	pg.js(`(document.querySelector(".player-side").scrollTop = 100000, "")`)
	pg.do(pg.step("get-secret"), visible(`#diagram [data-testid="exchange"][data-status="403"]`))
	if !pg.truth(inViewJS + `(document.querySelector('#diagram [data-testid="exchange"]'))`) {
		t.Errorf("the step's first exchange is not in view beside it")
	}
	pg.axe("lesson, after a refused call")

	pg.js(`(scrollTo(0, 0), document.querySelector(".player-side").scrollTop = 100000, "")`)
	pg.do(click(`#diagram [data-testid="exchange"][data-status="403"]`), visible(`#inspector [data-testid="decision"]`))
	if id := pg.js(`document.activeElement.id`); id != "inspector" {
		t.Errorf("focus after opening an exchange is on %q, want the inspector", id)
	}
	if !pg.truth(inViewJS + `(document.getElementById("inspector-h"))`) {
		t.Errorf("the inspector's heading is not in view: top %v", pg.number(`document.getElementById("inspector-h").getBoundingClientRect().top`))
	}
	pg.axe("lesson, inspector open")

	pg.do(click(`[data-testid="apply-fix"]`), visible(`[data-testid="fix-message"]`), settled())
	if tid := pg.js(`document.activeElement.getAttribute("data-testid") || document.activeElement.tagName`); tid != "fix-message" {
		t.Errorf("focus after the fix is on %q, want the confirmation", tid)
	}
	if !pg.truth(inViewJS + `(document.querySelector('[data-testid="fix-message"]'))`) {
		t.Errorf("the fix's confirmation is not in view: top %v", pg.number(`document.querySelector('[data-testid="fix-message"]').getBoundingClientRect().top`))
	}
	if !pg.truth(`document.querySelector('[data-testid="apply-fix"]').disabled`) {
		t.Errorf("the fix button is still active once applied")
	}

	// The page without JavaScript's help: one exchange as a page.
	seq := pg.attr(`#diagram [data-testid="exchange"][data-status="403"]`, "data-seq")
	base := pg.js(`location.pathname`)
	pg.do(chromedp.Navigate(pe.srv.URL+base+"/exchanges/"+seq), visible(`#inspector`))
	pg.axe("exchange page")

	pg.do(chromedp.Navigate(pe.srv.URL+base+"/present?step=get-secret"), visible(`[data-testid="presenter"]`))
	shown := func() int {
		t.Helper()
		return int(pg.number(`document.querySelectorAll("#diagram .ex:not(.unrevealed)").length`))
	}
	if n := shown(); n != 1 {
		t.Errorf("the presenter opens with %d exchanges shown, want the first", n)
	}
	if !pg.truth(inViewJS + `(document.querySelector('#diagram [data-index="1"]'))`) {
		t.Errorf("the presenter's first exchange is not in view")
	}
	pg.do(click(`[data-testid="reveal-next"]`), click(`[data-testid="reveal-next"]`))
	if n := shown(); n != 3 {
		t.Errorf("after Next, Next: %d shown, want 3", n)
	}
	pg.do(click(`[data-testid="reveal-back"]`))
	if n := shown(); n != 2 {
		t.Errorf("after Back: %d shown, want 2", n)
	}
	pg.axe("presenter")

	// The walkthrough's deployment: one az command a line, copyable.
	pg.do(chromedp.Navigate(pe.srv.URL+"/lessons/walkthrough"), chromedp.Click(chromedp.CSS(`[data-testid="start-lesson"] button`)),
		visible(`[data-testid="lesson-title"]`))
	lines := pg.js(`JSON.stringify([...document.querySelectorAll("#cli-deploy .cmd")].map(c => c.textContent))`)
	var cmds []string
	pg.fail(json.Unmarshal([]byte(lines), &cmds))
	if len(cmds) != 9 {
		t.Errorf("the deployment's equivalent has %d lines, want its 9 commands: %q", len(cmds), cmds)
	}
	for _, c := range cmds {
		if !strings.HasPrefix(c, "az ") || strings.Count(c, "az ") > 1 && strings.Contains(c[3:], " az ") {
			t.Errorf("not one command a line: %q", c)
		}
	}
	if h := pg.number(`document.querySelector("#cli-deploy .cmd").getBoundingClientRect().height`); h > 60 {
		t.Errorf("a command line is %v px high", h)
	}
	pg.do(click(`#step-deploy [data-copy]`))
	if s := pg.js(`document.querySelector("#step-deploy [data-copy-status]").textContent`); s == "" {
		t.Errorf("Copy says nothing")
	}
}

// On a 390 px phone, every lesson page, after every one of its steps, has
// nothing that makes it scroll sideways; each step lists its own requests
// in readable type (the diagram is far below).
func TestBrowserEveryLessonFitsAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	pe := newPlayerEnv(t)
	pg := openChrome(t, 5*time.Minute)
	pg.do(chromedp.EmulateViewport(390, 844))
	width := func(where string) {
		t.Helper()
		if w := pg.number(`document.documentElement.scrollWidth`); w > 390 {
			wide := pg.js(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 391 && !(e.parentElement && e.parentElement.closest(".svg-scroll, pre"))).sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right).slice(0, 3).map(e => e.tagName + "." + e.getAttribute("class") + "<" + e.parentElement.tagName + "." + e.parentElement.getAttribute("class") + "<" + e.parentElement.parentElement.getAttribute("class") + " " + Math.round(e.getBoundingClientRect().right) + " " + JSON.stringify((e.textContent || "").slice(0, 60))).join("; ")`)
			t.Errorf("%s: the page is %v px wide on a 390 px phone (%s)", where, w, wide)
		}
	}
	for _, l := range pe.p.catalog.List() {
		// A fresh sandbox for each lesson: the start form, posted from the
		// catalog (opening a lesson reuses the learner's sandbox).
		pg.do(chromedp.Navigate(pe.srv.URL+"/lessons"), visible(`[data-testid="catalog"]`))
		pg.js(`(f => { f.method = "post"; f.action = "/lessons/` + l.ID + `/start";
			const i = document.createElement("input"); i.type = "hidden"; i.name = "_csrf";
			i.value = document.querySelector('meta[name="csrf-token"]').content; f.appendChild(i);
			document.body.appendChild(f); f.submit(); return ""; })(document.createElement("form"))`)
		pg.do(visible(`[data-testid="lesson"][data-lesson-id="` + l.ID + `"]`))
		clear(pg.runs) // a new sandbox: every step's first run
		width(l.ID)
		start := time.Now()
		for _, s := range l.Steps() {
			pg.do(pg.step(s.ID))
			width(l.ID + " after " + s.ID)
			n := int(pg.number(`document.querySelectorAll("#result-` + s.ID + ` [data-testid=step-exchanges] li").length`))
			count, _ := strconv.Atoi(pg.attr(`#result-`+s.ID+` [data-testid="step-outcome"]`, "data-count"))
			if n != count {
				t.Errorf("%s %s: %d requests, %d listed under the step", l.ID, s.ID, count, n)
			}
			if n > 0 {
				if px := pg.number(`parseFloat(getComputedStyle(document.querySelector("#result-` + s.ID + ` [data-testid=step-exchanges] li")).fontSize)`); px < 13 {
					t.Errorf("%s %s: the step's requests are in %v px type", l.ID, s.ID, px)
				}
			}
		}
		t.Logf("%s: %d steps in %v", l.ID, len(l.Steps()), time.Since(start).Round(time.Millisecond))
		if l.ID == "walkthrough" {
			pg.axe("walkthrough on a phone, every step run")
		}
	}
	// The diagram itself is drawn at its own size: readable text.
	if px := pg.number(`document.querySelector("#diagram svg text").getBoundingClientRect().height`); px < 12 {
		t.Errorf("the diagram's text is %v px high on a phone", px)
	}
}
