package web

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
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

// Once the trace is full it drops its oldest exchange at every step; the
// diagram drops them a fifth of the trace at a time, so a step answer to a
// page still brings only the new rows (a whole diagram once per slide, not
// at every step), and the page that applies them shows the whole diagram.
func TestStepAnswerBringsOnlyNewRowsOnceTheTraceIsFull(t *testing.T) {
	const limit, steps = 50, 120
	pe := newPlayerEnvWith(t, func(e *env) { e.traceLimit = limit })
	base := pe.startLesson(t)
	for _, s := range []string{"grant-role", "create-credential", "create-client"} {
		if r := pe.b.form(base+"/steps/"+s, nil, true); r.StatusCode != 200 {
			t.Fatalf("%s = %d", s, r.StatusCode)
		}
	}
	page := pe.b.page(base).body
	mark := diagramMarkAttr.FindStringSubmatch(page)[1]
	rows := between(t, page, `<g id="diagram-rows">`, `</g></svg>`)
	list := between(t, page, `<ol id="diagram-list">`, `</ol>`)
	sandboxID := strings.Split(base, "/")[2]
	wholes, slid, full := 0, 0, 0
	firstSeq := func(rows string) string { return exchangesIn(rows)[0].seq }
	for i := range steps {
		if len(pe.book.List(sandboxID, 0)) == limit {
			full++
		}
		v := url.Values{"_csrf": {pe.b.csrf}}
		r := pe.b.do("POST", base+"/steps/get-secret", strings.NewReader(v.Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true", diagramMarkHeader: mark})
		if r.StatusCode != 200 {
			t.Fatalf("get-secret %d = %d: %s", i, r.StatusCode, r.body)
		}
		before := firstSeq(rows)
		if st := stateAttrs.FindStringSubmatch(r.body); st != nil {
			if st[1] != mark {
				t.Fatalf("get-secret %d: rows for %s, the page is at %s", i, st[1], mark)
			}
			if strings.Contains(r.body, `<svg hx-swap-oob="beforeend:#diagram-rows">`) {
				rows += between(t, r.body, `<svg hx-swap-oob="beforeend:#diagram-rows">`, `</svg>`)
			}
			if strings.Contains(r.body, `<ol hx-swap-oob="beforeend:#diagram-list">`) {
				list += between(t, r.body, `<ol hx-swap-oob="beforeend:#diagram-list">`, `</ol>`)
			}
			mark = st[2]
		} else if m := diagramMarkAttr.FindStringSubmatch(r.body); m != nil && wholeOOB.MatchString(r.body) {
			wholes++
			rows = between(t, r.body, `<g id="diagram-rows">`, `</g></svg>`)
			list = between(t, r.body, `<ol id="diagram-list">`, `</ol>`)
			mark = m[1]
			if firstSeq(rows) == before {
				t.Fatalf("get-secret %d: a whole diagram though its oldest row did not go", i)
			}
		} else {
			t.Fatalf("get-secret %d: no diagram for the page:\n%s", i, r.body)
		}
		if firstSeq(rows) != before {
			slid++
		}
		whole := pe.b.page(base + "/diagram").body
		if got := diagramMarkAttr.FindStringSubmatch(whole); got == nil || got[1] != mark {
			t.Fatalf("get-secret %d: the whole diagram is at %v, the answer said %s", i, got, mark)
		}
		if want := between(t, whole, `<g id="diagram-rows">`, `</g></svg>`); rows != want {
			t.Fatalf("get-secret %d: the page's rows differ from the whole diagram:\n%s\nwant\n%s", i, rows, want)
		}
		if want := between(t, whole, `<ol id="diagram-list">`, `</ol>`); list != want {
			t.Fatalf("get-secret %d: the page's list differs from the whole diagram", i)
		}
		if n := len(exchangesIn(rows)); n > limit || n <= limit*4/5 && full > 0 {
			t.Fatalf("get-secret %d: the diagram draws %d exchanges of a full trace of %d", i, n, limit)
		}
	}
	// The trace was full for most of the steps and slid a fifth at a time:
	// a whole diagram at each slide only.
	if want := full / (limit / 5); slid < want || slid > want+1 {
		t.Fatalf("the diagram slid %d times in %d steps on a full trace, want %d", slid, full, want)
	}
	if wholes > slid {
		t.Fatalf("%d whole diagrams in %d steps, %d slides", wholes, steps, slid)
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

// savesCounter counts the player's writes; acked counts the step writes
// that had returned (were committed). A step write is made slow, so an
// answer sent before its write returned shows in acked.
type savesCounter struct {
	playerStore
	mu                  sync.Mutex
	steps, runs, acked  int
	withProgress, event int
}

// stepsAcked is how many step writes had returned.
func (s *savesCounter) stepsAcked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

func (s *savesCounter) SaveStep(ctx context.Context, ss store.StepSave) store.StepSaveErrors {
	s.mu.Lock()
	s.steps++
	if ss.Progress != nil {
		s.withProgress++
	}
	if ss.Event != nil {
		s.event++
	}
	s.mu.Unlock()
	errs := s.playerStore.SaveStep(ctx, ss)
	time.Sleep(20 * time.Millisecond)
	s.mu.Lock()
	s.acked++
	s.mu.Unlock()
	return errs
}

func (s *savesCounter) SaveLessonRun(ctx context.Context, sandboxID, lessonID string, data []byte) error {
	s.mu.Lock()
	s.runs++
	s.mu.Unlock()
	return s.playerStore.SaveLessonRun(ctx, sandboxID, lessonID, data)
}

// A step run is one write of the store's group commit: its run, the
// learner's progress (and a workshop member's event) together, all of it
// saved before the answer.
func TestStepIsOneWrite(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	pe.b.page(base) // the run starts (and is saved) as the page opens
	c := &savesCounter{playerStore: pe.p.store}
	pe.p.store = c
	for i, s := range []string{"create-credential", "create-client", "get-secret"} {
		if r := pe.b.form(base+"/steps/"+s, nil, true); r.StatusCode != 200 {
			t.Fatalf("%s = %d", s, r.StatusCode)
		}
		if n := c.stepsAcked(); n != i+1 {
			t.Fatalf("%s answered with %d step writes committed, want %d", s, n, i+1)
		}
	}
	if c.steps != 3 || c.withProgress != 3 || c.runs != 0 || c.event != 0 {
		t.Fatalf("3 steps: %d step writes (%d with progress, %d with an event), %d run writes apart; want 3 (3, 0) and 0",
			c.steps, c.withProgress, c.event, c.runs)
	}
	// What was acknowledged is stored: the progress and the run.
	sb := strings.Split(base, "/")[2]
	ctx := context.Background()
	rec, err := pe.db.Sandbox(ctx, sb)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := pe.db.ProgressByLearner(ctx, rec.LearnerID)
	if err != nil || len(ps) != 1 || strings.Join(ps[0].StepsDone, ",") != "create-credential,create-client,get-secret" {
		t.Fatalf("progress = %+v, %v", ps, err)
	}
	data, err := pe.db.LessonRun(ctx, sb, lesson1)
	if err != nil || !strings.Contains(string(data), `"stepId":"get-secret"`) {
		t.Fatalf("saved run = %.300s, %v", data, err)
	}
}

// In a workshop member's sandbox the step's event rides in the same write,
// and the dashboard shows it.
func TestWorkshopStepIsOneWrite(t *testing.T) {
	c := newClassroom(t)
	ann, annURL := c.join(t, "Ann")
	ann.page(annURL)
	counter := &savesCounter{playerStore: c.app.player.store}
	c.app.player.store = counter
	var refused string
	for i, s := range []string{"create-credential", "create-client", "get-secret"} {
		r := ann.form(annURL+"/steps/"+s, nil, true)
		if r.StatusCode != 200 {
			t.Fatalf("%s = %d", s, r.StatusCode)
		}
		if n := counter.stepsAcked(); n != i+1 {
			t.Fatalf("%s answered with %d step writes committed, want %d", s, n, i+1)
		}
		for _, ex := range exchangesIn(r.body) {
			if ex.status == "403" {
				refused = ex.seq
			}
		}
	}
	if counter.steps != 3 || counter.withProgress != 3 || counter.event != 3 || counter.runs != 0 {
		t.Fatalf("3 steps: %d step writes (%d with progress, %d with an event), %d run writes apart; want 3 (3, 3) and 0",
			counter.steps, counter.withProgress, counter.event, counter.runs)
	}
	evs, err := c.db.Events(context.Background(), strings.Split(c.wsURL, "/")[3])
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, e := range evs {
		if e.Kind == "step" {
			steps = append(steps, e.StepID)
		}
	}
	if strings.Join(steps, ",") != "create-credential,create-client,get-secret" {
		t.Fatalf("step events = %v (all: %+v)", steps, evs)
	}
	if row := rowOf(t, c.teacher.page(c.wsURL).body, "Ann"); !strings.Contains(row, "403 ForbiddenByRbac") {
		t.Fatalf("Ann's row does not show the refused get-secret: %s", row)
	}
	// An action (the fix) is one write too: its run and its event, no
	// progress.
	if r := ann.form(annURL+"/fix", url.Values{"seq": {refused}}, true); r.StatusCode != 200 {
		t.Fatalf("fix of %q = %d", refused, r.StatusCode)
	}
	if counter.steps != 4 || counter.withProgress != 3 || counter.event != 4 || counter.runs != 0 || counter.stepsAcked() != 4 {
		t.Fatalf("after the fix: %d step writes (%d with progress, %d with an event, %d returned), %d run writes apart; want 4 (3, 4, 4) and 0",
			counter.steps, counter.withProgress, counter.event, counter.stepsAcked(), counter.runs)
	}
	evs, err = c.db.Events(context.Background(), strings.Split(c.wsURL, "/")[3])
	if err != nil || len(evs) == 0 || evs[len(evs)-1].Kind != "action" || !evs[len(evs)-1].OK {
		t.Fatalf("the fix's event: %+v, %v", evs, err)
	}
}
