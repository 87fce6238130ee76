package web

import (
	"context"
	"encoding/csv"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// consoleErrors collects what a page's console would show as errors:
// exceptions, console.error, and the browser's own error entries (CSP
// violations, failed loads such as a missing favicon).
type consoleErrors struct {
	mu   sync.Mutex
	errs []string
}

func (ce *consoleErrors) listen(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			msg = "console.error"
		}
	case *cdplog.EventEntryAdded:
		if e.Entry.Level == cdplog.EntryLevelError {
			msg = string(e.Entry.Source) + ": " + e.Entry.Text + " " + e.Entry.URL
		}
	}
	if msg != "" {
		ce.mu.Lock()
		ce.errs = append(ce.errs, msg)
		ce.mu.Unlock()
	}
}

func (ce *consoleErrors) list() []string {
	ce.mu.Lock()
	defer ce.mu.Unlock()
	return append([]string(nil), ce.errs...)
}

// tab opens a page in a browser context of its own (its own cookies: one
// person), with its console watched.
func tab(t *testing.T, browser *chromePage, ce *consoleErrors) *chromePage {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(ce.listen))
	t.Cleanup(cancel)
	pg := &chromePage{t: t, ctx: ctx, runs: map[string]int{}}
	pg.do(chromedp.Navigate("about:blank"))
	_, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{})
	pg.fail(err)
	return pg
}

// until polls a JavaScript condition from Go, ignoring errors while a form
// submission or a link navigates (the page's nodes go away mid-query).
func until(t *testing.T, pg *chromePage, cond string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(pg.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%v)", cond, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func has(sel string) string { return "!!" + quote(sel) }

// fill sets a form field's value in one JavaScript expression. chromedp's
// SetValue resolves the node first and then sets it; after a form
// navigation the node it resolved can belong to the page that just went
// away ("No node with given id found").
func fill(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		js := `(el => { el.value = ` + strconv.Quote(value) + `; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return true })(` + quote(sel) + `)`
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		return err
	})
}

// A class in real browsers: the instructor creates a workshop, three
// learners join in browser contexts of their own, one fails the same step
// three times and shows as stuck on the live dashboard, a fault injected
// for everyone shows in each learner's diagram, and the CSV export lists
// the three. No page logs a console error (CSP, missing favicon).
func TestBrowserWorkshop(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	e := newEnv(t)
	if _, err := e.db.AddInstructor(context.Background(), "Ada", "the-link"); err != nil {
		t.Fatal(err)
	}
	browser := openChrome(t)
	browser.do(chromedp.Navigate("about:blank"))
	var ce consoleErrors

	teacher := tab(t, browser, &ce)
	teacher.do(chromedp.Navigate(e.srv.URL+"/instructor/signin?token=the-link"),
		click(`[data-testid="instructor-signin"] button`))
	until(t, teacher, has(`[data-testid="workshop-form"]`))
	teacher.do(fill(`#ws-title`, "Friday class"),
		click(`[data-testid="workshop-form"] button[type="submit"]`))
	until(t, teacher, has(`[data-testid="join-code"]`)+" && "+has(`[data-testid="join-qr"]`))

	code := teacher.text(`[data-testid="join-code"]`)
	if _, err := chromedp.Run(teacher.ctx, chromedp.Poll[bool](`(i => i.complete && i.naturalWidth > 0)(document.querySelector('[data-testid="join-qr"]'))`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Errorf("the QR code image did not load: %v", err)
	}
	dashboard := teacher.js(`location.href`)

	names := []string{"Ann", "Bob", "Cy"}
	learners := map[string]*chromePage{}
	for _, name := range names {
		lp := tab(t, browser, &ce)
		lp.do(chromedp.Navigate(e.srv.URL+"/"),
			visible(`[data-testid="home-lessons"]`),
			fill(`#join-code`, strings.ToLower(code)),
			fill(`#join-name`, name),
			click(`[data-testid="join-form"] button`))
		until(t, lp, has(`[data-testid="lesson-title"]`)+" && "+has(`[data-testid="workshop-notice"]`))
		learners[name] = lp
	}

	// Ann reads the secret three times without a role: stuck.
	ann := learners["Ann"]
	ann.do(ann.step("create-credential"), ann.step("create-client"),
		ann.step("get-secret"), ann.step("get-secret"), ann.step("get-secret"))
	bob := learners["Bob"]
	bob.do(bob.step("create-credential"))

	_, err := chromedp.Run(teacher.ctx, chromedp.Poll[bool](
		`!!document.querySelector('[data-testid="learner-row"][data-name="Ann"][data-stuck="true"]') && document.querySelectorAll('[data-testid="learner-row"]').length === 3`,
		chromedp.WithPollingTimeout(15*time.Second)))
	teacher.fail(err)
	annRow := teacher.text(`[data-testid="learner-row"][data-name="Ann"]`)
	for _, want := range []string{"stuck", "403 ForbiddenByRbac at Key Vault: no Key Vault Secrets User", "Read the secret"} {
		if !strings.Contains(annRow, want) {
			t.Errorf("Ann's row lacks %q: %s", want, annRow)
		}
	}
	if s := teacher.attr(`[data-testid="learner-row"][data-name="Bob"]`, "data-stuck"); s != "false" {
		t.Errorf("Bob stuck = %s", s)
	}

	// A message and a fault for everyone.
	teacher.do(fill(`#bc-msg`, "Look at the 403"),
		click(`[data-testid="broadcast-form"] button`))
	until(t, teacher, `(document.querySelector('[data-testid="action-message"]')||{innerText:""}).innerText.includes("message sent")`)
	teacher.do(fill(`#ft-kind`, "siteIdentityOff"),
		click(`[data-testid="fault-form"] button[type="submit"]`))
	// The form navigates: poll from Go, ignoring the moments between pages.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		msg, err := chromedp.Run(teacher.ctx, chromedp.Evaluate[string](`(document.querySelector('[data-testid="action-message"]')||{innerText:""}).innerText`))
		if err == nil && strings.Contains(msg, "fault injected") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fault message: %q %v", msg, err)
		}
	}
	if msg := teacher.text(`[data-testid="action-message"]`); !strings.Contains(msg, "3 of 3") {
		t.Fatalf("fault: %q", msg)
	}
	for _, name := range names {
		lp := learners[name]
		_, err := chromedp.Run(lp.ctx, chromedp.Poll[bool](`(document.querySelector('[data-testid="notice-message"]')||{}).innerText === "Instructor: Look at the 403"`,
			chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Errorf("%s did not get the message: %v", name, err)
		}
		// The fault's marker and its ARM request, live in the diagram.
		_, err = chromedp.Run(lp.ctx, chromedp.Poll[bool](`document.querySelector("#diagram svg").textContent.includes("Instructor: turn off the site's system-assigned identity") && !!document.querySelector('#diagram [data-testid="exchange"][data-service="ARM"]')`,
			chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Errorf("%s's diagram does not show the fault: %v\n%s", name, err, lp.svgText())
		}
	}

	body, err := chromedp.Run(teacher.ctx, chromedp.Evaluate[string](`fetch(location.pathname + "/progress.csv").then(r => r.text())`, chromedp.EvalAwaitPromise))
	teacher.fail(err)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("CSV (%v): %q", err, body)
	}
	for i, name := range names {
		if recs[i+1][0] != name {
			t.Errorf("CSV row %d = %q, want %s", i+1, recs[i+1][0], name)
		}
	}

	// The learner page seen by the instructor, and the landing page.
	teacher.do(chromedp.Navigate(dashboard), visible(`[data-testid="learner-link"]`),
		click(`[data-testid="learner-row"][data-name="Ann"] [data-testid="learner-link"]`))
	until(t, teacher, has(`[data-testid="learner-trace"]`))
	teacher.do(chromedp.Navigate(e.srv.URL+"/"), visible(`[data-testid="home-lessons"]`))
	time.Sleep(200 * time.Millisecond) // late console entries
	if errs := ce.list(); len(errs) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(errs, "\n"))
	}
}
