package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// playerStore is what the player needs of the store: the learner's
// sandboxes, progress, and lesson runs kept across restarts (a step's run
// saved with its progress and workshop event: SaveStep).
type playerStore interface {
	SandboxesByLearner(ctx context.Context, learnerID string) ([]store.Sandbox, error)
	ProgressByLearner(ctx context.Context, learnerID string) ([]store.Progress, error)
	SaveLessonRun(ctx context.Context, sandboxID, lessonID string, data []byte) error
	SaveStep(ctx context.Context, s store.StepSave) store.StepSaveErrors
	LessonRun(ctx context.Context, sandboxID, lessonID string) ([]byte, error)
}

// playerConfig is what the player is built with (by New).
type playerConfig struct {
	store     playerStore
	sandboxes Sandboxes
	// cloud is how the lesson runner reaches the sandboxes. Required.
	cloud lessons.Cloud
	// lessonsDir adds to or overrides the embedded lessons.
	lessonsDir string
	log        *slog.Logger
	limits     Limits
	// The server's HTTP side: which sandbox a request is for, the session's
	// learner (created on first action), and the server's own placeholder
	// values for a sandbox.
	sandboxFor    func(c echo.Context) (*store.Sandbox, *world.World, error)
	ensureLearner func(c echo.Context) (*store.Learner, error)
	lessonValues  func(sb *store.Sandbox) map[string]string
	// findPython returns what runs lessons' Python steps (nil: Go only,
	// and why the Python tab runs Go); the first call may wait for the
	// interpreter's probe.
	findPython func() (*lessons.Python, string)
	// Workshops (optional): stepEvent is the workshop event of a run a
	// learner made in a sandbox (nil: none; goalMet is asked only for a
	// workshop's sandbox), saved with the run; stepStored hears of it once
	// saved (err: it was not). notice is the workshop banner of a sandbox's
	// lesson page.
	stepEvent  func(ctx context.Context, sandboxID string, l *lessons.Lesson, res *lessons.StepResult, goalMet func() bool) *store.ProgressEvent
	stepStored func(ctx context.Context, e *store.ProgressEvent, err error)
	notice     func(ctx context.Context, sandboxID string) *ui.WorkshopNotice
	// realFacts gives a real-mode sandbox's facts (nil: no real mode).
	realFacts func(sandboxID string, w *world.World) (lessons.Facts, bool)
	// realMissing are the preflight capabilities the server's identity
	// lacks (real mode configured but not offered).
	realMissing []string
	// explain explains a real refusal from the wire (nil: no real mode).
	explain func(ctx context.Context, sandboxID string, ex *azure.Exchange) (*azure.Refusal, error)
}

// player is the lesson player: the lesson catalog, and one run ("the
// learner's app": a lessons.Runner with its live objects) per sandbox and
// lesson. The live objects are in memory only: after a restart the
// learner's program starts again (as a real one would). The run's history
// (its diagram markers and last results) and where the code runs are saved
// with every step (lesson_history.go), like the trace and the progress.
type player struct {
	playerConfig
	book    *trace.Book
	catalog *lessons.Catalog
	actions map[string]*lessons.Action
	hl      highlighter

	mu   sync.Mutex
	runs map[string]*lessonRun // sandbox ID + "/" + lesson ID

	hub       *streamHub    // the diagrams' event streams (stream_hub.go)
	closing   chan struct{} // closed when the server shuts down: streams end
	closeOnce sync.Once

	refusals sync.Map // sandbox ID + "/" + seq → *azure.Refusal (realRefusal)
}

// CloseStreams ends the lesson player's event streams so a graceful
// shutdown need not wait for open lesson pages (register it with
// http.Server.RegisterOnShutdown). Browsers reconnect to the next server.
func (s *Server) CloseStreams() {
	if p := s.player; p != nil {
		p.closeOnce.Do(func() { close(p.closing) })
	}
}

// lessonRun is one learner's run of one lesson in one sandbox.
type lessonRun struct {
	w      *world.World
	runner *lessons.Runner
	lesson *lessons.Lesson
	tabs   map[string][]ui.CodeTab // highlighted code by step (names expanded)
	// vals are the server's placeholders ({proxyUrl}, …) for this sandbox.
	vals map[string]string

	saveMu sync.Mutex // one save at a time, so an older snapshot never wins

	mu       sync.Mutex
	history  []stepRun
	last     map[string]int // step ID → index into history
	ran      []string       // step IDs in first-run order
	panelMsg string
	panelErr string
	// The lesson page's diagram as last rendered whole (wholeDiagram), and
	// the mark of what it shows.
	diagramMark string
	diagramHTML []byte
	// rows keeps the diagram's rendered rows: the next whole diagram
	// renders only the rows added since.
	rowsMu sync.Mutex
	rows   ui.DiagramRows

	itemsMu sync.Mutex
	items   map[int64]keptItem // the diagram's exchanges by Seq (exchangeItem)
}

// stepRun is one run of a step (or a panel action, a fix, a restart): the
// diagram's marker.
type stepRun struct {
	StepID   string
	Label    string
	Marker   string
	AfterSeq int64 // the last exchange before the run
	Res      *lessons.StepResult
	At       time.Time
	N        int // the how-manieth run of the step
	Count    int // how many exchanges it made (Res.Exchanges may be trimmed from the trace)
	// saved is the run as saved (a savedStep's JSON), encoded once: the
	// history is saved with every step.
	saved []byte
}

// newPlayer loads the lessons (embedded, plus the --lessons directory).
func newPlayer(cfg playerConfig) (*player, error) {
	if cfg.store == nil || cfg.sandboxes == nil || cfg.cloud == nil {
		return nil, errors.New("web: player: a store, the sandboxes and a cloud are required")
	}
	cat, err := lessons.LoadAll(cfg.lessonsDir)
	if err != nil {
		return nil, fmt.Errorf("web: lessons: %w", err)
	}
	p := &player{playerConfig: cfg, book: cfg.sandboxes.Book(), catalog: cat, actions: map[string]*lessons.Action{},
		runs: map[string]*lessonRun{}, closing: make(chan struct{})}
	p.hub = newStreamHub(p, cfg.limits.StreamsPerSandbox, cfg.limits.StreamsPerLearner, cfg.log)
	for _, a := range lessons.Actions() {
		p.actions[a.Name] = a
	}
	return p, nil
}

// python is what runs lessons' Python steps (nil: none, pyWhy says why).
func (p *player) python() *lessons.Python {
	py, _ := p.findPython()
	return py
}

// pyWhy says why lessons cannot run Python ("" when they can).
func (p *player) pyWhy() string {
	_, why := p.findPython()
	return why
}

// lessonParam resolves the :lesson route parameter.
func (p *player) lessonParam(c echo.Context) (*lessons.Lesson, error) {
	l := p.catalog.Get(c.Param("lesson"))
	if l == nil {
		return nil, errorf(CodeNotFound, "lesson not found")
	}
	return l, nil
}

// target is what every sandbox-bound player request works on.
type target struct {
	sb     *store.Sandbox
	w      *world.World
	lesson *lessons.Lesson
	run    *lessonRun
	// lang is the code language the learner reads steps in ("" = each
	// step's first).
	lang string
	// byInstructor marks runs a workshop's instructor made (faults): the
	// dashboard records them as faults, not as the learner's progress.
	byInstructor bool

	// The sandbox's placeholder values, read once per request for all its
	// texts (fillingsIn, htmlFillingsIn): a lesson page has a dozen step
	// cards, narrative blocks and hints, each read them again before.
	fillMu         sync.Mutex
	fill, fillHTML *fillings
	htmlVals       map[string]string // the server's values, HTML-escaped
}

// fillingsIn is fillingsOf(st, t.run.vals), read once per request. Call it
// inside World.View.
func (t *target) fillingsIn(st *world.State) *fillings {
	t.fillMu.Lock()
	defer t.fillMu.Unlock()
	if t.fill == nil {
		t.fill = fillingsOf(st, t.run.vals)
	}
	return t.fill
}

// htmlFillingsIn is the same for lesson HTML: the server's values escaped
// (see expandHTML). It returns them with the fillings.
func (t *target) htmlFillingsIn(st *world.State) (*fillings, map[string]string) {
	t.fillMu.Lock()
	defer t.fillMu.Unlock()
	if t.fillHTML == nil {
		t.htmlVals = make(map[string]string, len(t.run.vals))
		for k, v := range t.run.vals {
			t.htmlVals[k] = template.HTMLEscapeString(v)
		}
		t.fillHTML = fillingsOf(st, t.htmlVals)
	}
	return t.fillHTML, t.htmlVals
}

// forgetFillings drops the placeholder values read so far: the world may
// have changed since (a step ran, or a stream's target renders again).
func (t *target) forgetFillings() {
	t.fillMu.Lock()
	defer t.fillMu.Unlock()
	t.fill, t.fillHTML, t.htmlVals = nil, nil, nil
}

// resolve finds the sandbox (the caller's own), the lesson and its run.
func (p *player) resolve(c echo.Context) (*target, error) {
	sb, w, err := p.sandboxFor(c)
	if err != nil {
		return nil, err
	}
	l, err := p.lessonParam(c)
	if err != nil {
		return nil, err
	}
	run, err := p.runFor(c.Request().Context(), sb, w, l)
	if err != nil {
		return nil, err
	}
	return &target{sb: sb, w: w, lesson: l, run: run, lang: openTab(viewer(c).CodeLanguage, run.runner)}, nil
}

// tabRunner says which language a lesson run's code runs in.
type tabRunner interface {
	PythonAvailable() bool
	Language() string
}

// openTab is the code tab a step opens on: the language its Run executes
// where the server runs Python (Python, or Go when the learner chose Go
// for this lesson), so the code on screen is the code that runs; otherwise
// the learner's reading choice (kept with the learner), whose Python tab
// says that Run executes Go.
func openTab(chosen string, r tabRunner) string {
	if r.PythonAvailable() {
		return r.Language()
	}
	return chosen
}

// runFor returns the lesson's run in the world, starting one (and applying
// the lesson's setup) when there is none or the sandbox was reset (its
// world replaced).
func (p *player) runFor(ctx context.Context, sb *store.Sandbox, w *world.World, l *lessons.Lesson) (*lessonRun, error) {
	key := w.ID() + "/" + l.ID
	var real lessons.Facts
	if p.realFacts != nil {
		real, _ = p.realFacts(sb.ID, w)
	}
	p.mu.Lock()
	r := p.runs[key]
	p.mu.Unlock()
	// A run started while the sandbox's Azure resources were being created
	// is simulated; once they are ready the lesson starts again in real mode.
	if r != nil && r.w == w && (real == nil || r.runner.Real() != nil) {
		return r, nil
	}
	// Built outside p.mu, which every player request passes: highlighting
	// the lesson's code and reading the saved run take milliseconds, and a
	// class opens its lessons at once.
	r = &lessonRun{w: w, lesson: l, runner: lessons.NewRunner(p.cloud, w, l), last: map[string]int{}, vals: p.lessonValues(sb)}
	if real != nil {
		// The page shows the real resources' names; the declared steps
		// run against real Azure.
		r.runner.UseReal(real)
		for k, v := range real.Placeholders() {
			r.vals["{"+k+"}"] = v
		}
	}
	if py := p.python(); py != nil {
		// Python where the server has it: the code on the page is the
		// code that runs. The learner may choose Go (saved with the run).
		r.runner.UsePython(py)
		_ = r.runner.SetLanguage(lessons.LangPython)
	}
	r.tabs = p.codeTabs(w, l, r.vals)
	// A run saved before a restart is restored before anyone can see the
	// new run: its setup happened already and must not happen again.
	saved, err := p.loadRun(ctx, w, l)
	if err != nil {
		return nil, err
	}
	if saved != nil && saved.Real != (real != nil) {
		saved = nil // the run starts again in the other cloud, with its setup
	}
	if saved != nil {
		p.restore(r, saved)
	}
	p.mu.Lock()
	if cur := p.runs[key]; cur != nil && cur.w == w && (real == nil || cur.runner.Real() != nil) { // another request started it meanwhile
		p.mu.Unlock()
		r.runner.Close()
		return cur, nil
	}
	for k, old := range p.runs { // runs of reset or deleted sandboxes
		if p.sandboxes.World(old.w.ID()) != old.w {
			old.runner.Close()
			delete(p.runs, k)
		}
	}
	p.runs[key] = r
	p.mu.Unlock()
	if saved != nil {
		return r, p.save(ctx, r)
	}
	if len(l.Setup) > 0 {
		after := p.lastSeq(w.ID())
		results, err := r.runner.Setup(ctx)
		for i, res := range results {
			r.record(stepRun{StepID: res.StepID, Label: "Lesson setup: " + lessons.Describe(l.Setup[i].Action, l.Setup[i].Params),
				Marker: l.SetupMarker(), AfterSeq: after, Res: res})
		}
		if err != nil {
			return nil, fmt.Errorf("web: lesson setup: %w", err)
		}
	}
	// Saved even without setup: the saved run is what tells a restarted
	// server that this run (and its setup) already happened.
	return r, p.save(ctx, r)
}

// forget drops the runs of a sandbox (it was reset or deleted).
func (p *player) forget(sandboxID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, r := range p.runs {
		if strings.HasPrefix(k, sandboxID+"/") {
			r.runner.Close()
			delete(p.runs, k)
		}
	}
}

// StopPrograms stops every lesson run's Python worker (server shutdown).
func (s *Server) StopPrograms() {
	p := s.player
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.runs {
		r.runner.Close()
	}
}

// lessonValues are the server's own lesson placeholders for the sandbox:
// where its proxy and CA certificate are (the public URL, like the home
// page's), and the proxy URL carrying the sandbox's ID and proxy password.
func (s *Server) lessonValues(sb *store.Sandbox) map[string]string {
	return map[string]string{
		lessons.PlaceholderProxyURL:         s.proxyURL(nil),
		lessons.PlaceholderProxyURLWithAuth: s.proxyURL(url.UserPassword(sb.ID, s.proxyPassword(sb))),
		lessons.PlaceholderCACertURL:        s.url("/ca.pem"),
	}
}

// lastSeq is the sandbox's newest exchange number.
func (p *player) lastSeq(sandboxID string) int64 { return p.book.LastSeq(sandboxID) }

// do runs a step or an action and records it for the diagram.
func (p *player) do(ctx context.Context, t *target, label string, run func() (*lessons.StepResult, error)) (*lessons.StepResult, error) {
	res, _, err := p.doStep(ctx, t, label, run, false)
	return res, err
}

// stepOutcome is what doStep read after a run for the answer: the trace
// and the goal on it, and whether the learner's progress was saved.
type stepOutcome struct {
	exs         []trace.Exchange
	goal        ui.GoalView
	progressErr error
}

// doStep is do that, with progress set, also saves the learner's progress
// (the goal read from the trace after the run, returned in the outcome).
// The run, the progress and the workshop's event are saved in one write of
// the store's group commit, on the request's own goroutine: one wait for
// one commit, not one per write.
func (p *player) doStep(ctx context.Context, t *target, label string, run func() (*lessons.StepResult, error), progress bool) (*lessons.StepResult, stepOutcome, error) {
	var out stepOutcome
	after := p.lastSeq(t.sb.ID)
	res, err := run()
	t.forgetFillings() // the run may have changed the values
	if err != nil {
		return nil, out, err
	}
	if len(res.Exchanges) > 0 {
		after = min(after, res.Exchanges[0].Seq-1)
	}
	t.run.record(stepRun{StepID: res.StepID, Label: label, Marker: res.Marker, AfterSeq: after, Res: res})
	save := store.StepSave{SandboxID: t.run.w.ID(), LessonID: t.run.lesson.ID}
	goalMet := func() bool { return p.goalView(t, p.exchanges(t.sb.ID)).Met }
	if progress {
		out.exs = p.exchanges(t.sb.ID)
		out.goal = p.goalView(t, out.exs)
		goalMet = func() bool { return out.goal.Met }
		if t.sb.LearnerID != "" {
			save.Progress = &store.Progress{LearnerID: t.sb.LearnerID, LessonID: t.lesson.ID, SandboxID: t.sb.ID,
				StepsDone: t.run.stepsRan(), GoalMet: out.goal.Met}
		}
	}
	if !t.byInstructor && p.stepEvent != nil {
		save.Event = p.stepEvent(ctx, t.sb.ID, t.lesson, res, goalMet)
	}
	errs, err := p.saveStep(ctx, t.run, save)
	if save.Event != nil {
		p.stepStored(ctx, save.Event, errs.Event)
	}
	if errs.Progress != nil {
		out.progressErr = fmt.Errorf("web: save progress: %w", errs.Progress)
	}
	if err != nil {
		return nil, out, err
	}
	return res, out, nil
}

func (r *lessonRun) record(sr stepRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if sr.At.IsZero() {
		sr.At = time.Now()
	}
	if sr.Count == 0 && sr.Res != nil {
		sr.Count = len(sr.Res.Exchanges)
	}
	if sr.N == 0 { // restored runs keep theirs
		if i, seen := r.last[sr.StepID]; seen {
			sr.N = r.history[i].N + 1
		} else {
			sr.N = 1
		}
	}
	r.history = append(r.history, sr)
	if r.lesson.Step(sr.StepID) != nil && !slices.Contains(r.ran, sr.StepID) {
		r.ran = append(r.ran, sr.StepID)
	}
	r.last[sr.StepID] = len(r.history) - 1
	if len(r.history) > maxHistory {
		r.trimLocked()
	}
}

// maxHistory bounds a run's history (it is saved with every step, and the
// trace keeps only its newest exchanges anyway).
const maxHistory = 300

// trimLocked drops the oldest quarter of the history, except the last run
// of each step (the step's result shows it).
func (r *lessonRun) trimLocked() {
	drop := len(r.history) - maxHistory*3/4
	kept := r.history[:0:0]
	for i, sr := range r.history {
		if i < drop && r.last[sr.StepID] != i {
			continue
		}
		kept = append(kept, sr)
	}
	r.history = kept
	clear(r.last)
	for i, sr := range r.history {
		r.last[sr.StepID] = i
	}
}

// snapshot returns the run's history and the last run of each step.
func (r *lessonRun) snapshot() ([]stepRun, map[string]stepRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	last := make(map[string]stepRun, len(r.last))
	for id, i := range r.last {
		last[id] = r.history[i]
	}
	return append([]stepRun(nil), r.history...), last
}

func (r *lessonRun) stepsRan() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ran...)
}

func (r *lessonRun) setPanelResult(msg, errText string) {
	r.mu.Lock()
	r.panelMsg, r.panelErr = msg, errText
	r.mu.Unlock()
}

// takePanelResult returns the last panel action's outcome once.
func (r *lessonRun) takePanelResult() (string, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, e := r.panelMsg, r.panelErr
	r.panelMsg, r.panelErr = "", ""
	return m, e
}

// exchanges returns the sandbox's trace.
func (p *player) exchanges(sandboxID string) []trace.Exchange { return p.book.List(sandboxID, 0) }

// lessonURL is the lesson's page in the sandbox.
func lessonURL(sandboxID, lessonID string) string {
	return "/sandboxes/" + sandboxID + "/lessons/" + lessonID
}

// isHTMX reports whether htmx (or app.js) asked for a fragment.
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }
