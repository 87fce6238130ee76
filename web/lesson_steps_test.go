package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

var (
	diagramMarkAttr = regexp.MustCompile(`<section id="diagram"[^>]* data-mark="([^"]*)"`)
	wholeOOB        = regexp.MustCompile(`<section id="diagram"[^>]* hx-swap-oob="true"`)
	stateAttrs      = regexp.MustCompile(`<div hidden id="diagram-state" hx-swap-oob="true" data-base="([^"]*)" data-mark="([^"]*)" data-count="(\d+)"`)
)

// between returns the text between the first from and the next to.
func between(t *testing.T, s, from, to string) string {
	t.Helper()
	_, after, ok := strings.Cut(s, from)
	if !ok {
		t.Fatalf("no %q in:\n%s", from, s)
	}
	in, _, ok := strings.Cut(after, to)
	if !ok {
		t.Fatalf("no %q after %q", to, from)
	}
	return in
}

// A step answer to a page that says which diagram it shows brings only the
// rows after it, and a page that applies them (as app.js does) shows what
// the whole diagram shows; a page showing something else gets it whole.
func TestStepAnswerBringsOnlyNewRows(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	page := pe.b.page(base)
	m := diagramMarkAttr.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("the page's diagram has no mark:\n%s", page.body)
	}
	mark := m[1]
	rows := between(t, page.body, `<g id="diagram-rows">`, `</g></svg>`)
	list := between(t, page.body, `<ol id="diagram-list">`, `</ol>`)
	step := func(name, mark string) string {
		t.Helper()
		v := url.Values{"_csrf": {pe.b.csrf}}
		r := pe.b.do("POST", base+"/steps/"+name, strings.NewReader(v.Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", diagramMarkHeader: mark})
		if r.StatusCode != 200 {
			t.Fatalf("%s = %d: %s", name, r.StatusCode, r.body)
		}
		return r.body
	}
	for _, name := range []string{"create-credential", "create-client", "get-secret", "get-secret"} {
		body := step(name, mark)
		if strings.Contains(body, `<section id="diagram"`) {
			t.Fatalf("%s: the whole diagram was sent to a page at mark %s", name, mark)
		}
		st := stateAttrs.FindStringSubmatch(body)
		if st == nil || st[1] != mark {
			t.Fatalf("%s: no diagram state based on %s:\n%s", name, mark, body)
		}
		rows += between(t, body, `<svg hx-swap-oob="beforeend:#diagram-rows">`, `</svg>`)
		if strings.Contains(body, `<ol hx-swap-oob="beforeend:#diagram-list">`) {
			list += between(t, body, `<ol hx-swap-oob="beforeend:#diagram-list">`, `</ol>`)
		}
		mark = st[2]
		whole := pe.b.page(base + "/diagram").body
		if got := diagramMarkAttr.FindStringSubmatch(whole); got == nil || got[1] != mark {
			t.Fatalf("%s: the whole diagram is at %v, the answer said %s", name, got, mark)
		}
		if want := between(t, whole, `<g id="diagram-rows">`, `</g></svg>`); rows != want {
			t.Fatalf("%s: the page's rows after the answers differ from the whole diagram:\n%s\nwant\n%s", name, rows, want)
		}
		if want := between(t, whole, `<ol id="diagram-list">`, `</ol>`); list != want {
			t.Fatalf("%s: the page's list differs from the whole diagram:\n%s\nwant\n%s", name, list, want)
		}
		if !strings.Contains(whole, `data-count="`+st[3]+`"`) {
			t.Fatalf("%s: the state's count %s is not the diagram's", name, st[3])
		}
	}
	if n := len(exchangesIn(rows)); n < 4 {
		t.Fatalf("the rows hold %d exchanges, want the challenge, token and calls", n)
	}
	// A mark the diagram never had, or none: the whole diagram, out of band.
	for _, stale := range []string{"1-0", "x", ""} {
		body := step("create-client", stale)
		if !wholeOOB.MatchString(body) {
			t.Fatalf("mark %q: no whole diagram:\n%s", stale, body)
		}
		if strings.Contains(body, `id="diagram-state" hx-swap-oob`) {
			t.Fatalf("mark %q: rows were sent for a diagram the page does not show", stale)
		}
	}
}

// The lesson page draws its diagram from the run's kept rows: byte for
// byte the diagram rendered whole, whether the step answers before it
// brought rows (the kept rows then lag) or whole diagrams.
func TestLessonPageDiagramIsTheWholeDiagram(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	check := func(when string) {
		t.Helper()
		page := pe.b.page(base).body
		whole := pe.b.page(base + "/diagram").body
		if !strings.Contains(whole, `<section id="diagram"`) {
			t.Fatalf("%s: /diagram holds no diagram:\n%s", when, whole)
		}
		if !strings.Contains(page, whole) {
			t.Fatalf("%s: the page's diagram is not the whole diagram:\n%s\nwant within the page\n%s", when, page, whole)
		}
	}
	check("at the start")
	mark := ""
	for i, name := range []string{"create-credential", "create-client", "get-secret", "get-secret", "create-client", "get-secret"} {
		if i%2 == 1 {
			mark = "" // a whole diagram: the run's rows are rendered and kept
		}
		v := url.Values{"_csrf": {pe.b.csrf}}
		r := pe.b.do("POST", base+"/steps/"+name, strings.NewReader(v.Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", diagramMarkHeader: mark})
		if r.StatusCode != 200 {
			t.Fatalf("%s = %d: %s", name, r.StatusCode, r.body)
		}
		if st := stateAttrs.FindStringSubmatch(r.body); st != nil {
			mark = st[2]
		} else if m := diagramMarkAttr.FindStringSubmatch(r.body); m != nil {
			mark = m[1]
		}
		check("after " + name)
	}
}

// A request reads the placeholder values once, but a run may change them:
// what the request fills in after a run (a rerun's next goal, the answer)
// has the world's values after it, not those read before.
func TestRunRereadsThePlaceholderValues(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	ctx := context.Background()
	sb, err := pe.db.Sandbox(ctx, strings.Split(base, "/")[2])
	if err != nil {
		t.Fatal(err)
	}
	w, l := pe.reg.Get(sb.ID), pe.p.catalog.Get(lesson1)
	run, err := pe.p.runFor(ctx, sb, w, l)
	if err != nil {
		t.Fatal(err)
	}
	tg := &target{sb: sb, w: w, lesson: l, run: run}
	before := string(tg.expandHTML("[{clientSecret}]"))
	if _, err := pe.p.do(ctx, tg, "rotate", func() (*lessons.StepResult, error) {
		err := w.Update(ctx, func(tx *world.Tx) error {
			tx.State.Keychain[scenario.LabelLocalDev] = "rotated-secret"
			return nil
		})
		return &lessons.StepResult{StepID: "create-credential", OK: true}, err
	}); err != nil {
		t.Fatal(err)
	}
	if got := string(tg.expandHTML("[{clientSecret}]")); got != "[rotated-secret]" {
		t.Errorf("after the run: %s (before it: %s)", got, before)
	}
}
