package web

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a-h/templ"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// Default caps on open event streams: a learner's lesson page, presenter
// view and a few more tabs fit; a script opening hundreds does not.
const (
	DefaultStreamsPerSandbox = 8
	DefaultStreamsPerLearner = 16
)

// streamHub renders each lesson diagram once per trace change and hands the
// same bytes to every stream showing it, so an open stream costs bytes, not
// CPU. It also counts open streams per sandbox and per learner.
type streamHub struct {
	p          *player
	perSandbox int
	perLearner int
	log        *slog.Logger
	mu         sync.Mutex
	feeds      map[feedKey]*feed
	bySandbox  map[string]int
	byLearner  map[string]int
	renders    atomic.Int64 // how many times a diagram was rendered (tests, benchmarks)
}

// feedKey names what a stream shows: a sandbox's lesson, whole or one step
// (the presenter).
type feedKey struct{ sandbox, lesson, step string }

// feed is one diagram's latest rendering and the streams waiting for the
// next.
type feed struct {
	key     feedKey
	streams int // guarded by streamHub.mu

	mu      sync.Mutex
	frame   []byte        // the latest events, ready to write
	changed chan struct{} // closed (and replaced) when frame changes
	done    chan struct{} // closed when the feed ends (sandbox reset or deleted)
	stop    func()        // ends the trace subscription
}

func newStreamHub(p *player, perSandbox, perLearner int, log *slog.Logger) *streamHub {
	return &streamHub{p: p, perSandbox: perSandbox, perLearner: perLearner, log: log,
		feeds: map[feedKey]*feed{}, bySandbox: map[string]int{}, byLearner: map[string]int{}}
}

// join counts a new stream of t against the caps and returns its feed,
// starting the feed (one render now, then one per trace change) when it is
// the first stream. release must be called when the stream ends.
func (h *streamHub) join(t *target, step string) (*feed, func(), error) {
	key := feedKey{t.sb.ID, t.lesson.ID, step}
	learner := t.sb.LearnerID
	h.mu.Lock()
	if err := h.countLocked(t.sb.ID, learner); err != nil {
		h.mu.Unlock()
		return nil, nil, err
	}
	f := h.feeds[key]
	fresh := f == nil
	if fresh {
		f = &feed{key: key, changed: make(chan struct{}), done: make(chan struct{})}
		h.feeds[key] = f
	}
	f.streams++
	h.mu.Unlock()

	if fresh {
		// Subscribed before the first render, so no exchange falls between.
		ch, stop := h.p.book.Subscribe(t.sb.ID)
		f.mu.Lock()
		f.stop = stop
		f.mu.Unlock()
		f.publish(h.render(t, step))
		go h.run(f, t, step, ch)
	} else {
		f.waitFirst()
	}
	var once sync.Once
	release := func() { once.Do(func() { h.leave(f, t.sb.ID, learner) }) }
	return f, release, nil
}

// countLocked counts one more open stream of a sandbox (and its learner)
// against the caps, or refuses it.
func (h *streamHub) countLocked(sandboxID, learner string) error {
	if h.perSandbox > 0 && h.bySandbox[sandboxID] >= h.perSandbox {
		return &Error{Code: CodeTooManyRequests, RetryAfter: 30 * time.Second,
			Message: "this sandbox already has the most live streams allowed open; close a lesson tab (or its presenter view) and reload"}
	}
	if h.perLearner > 0 && learner != "" && h.byLearner[learner] >= h.perLearner {
		return &Error{Code: CodeTooManyRequests, RetryAfter: 30 * time.Second,
			Message: "you already have the most live streams allowed open; close some lesson tabs and reload"}
	}
	h.bySandbox[sandboxID]++
	if learner != "" {
		h.byLearner[learner]++
	}
	return nil
}

func (h *streamHub) uncountLocked(sandboxID, learner string) {
	if h.bySandbox[sandboxID]--; h.bySandbox[sandboxID] <= 0 {
		delete(h.bySandbox, sandboxID)
	}
	if learner != "" {
		if h.byLearner[learner]--; h.byLearner[learner] <= 0 {
			delete(h.byLearner, learner)
		}
	}
}

// admit counts a stream that has no diagram feed (a workshop learner's
// notices) under the same caps; release must be called when it ends.
func (h *streamHub) admit(sandboxID, learner string) (func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.countLocked(sandboxID, learner); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.uncountLocked(sandboxID, learner)
		})
	}, nil
}

func (h *streamHub) leave(f *feed, sandboxID, learner string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.uncountLocked(sandboxID, learner)
	if f.streams--; f.streams == 0 {
		if h.feeds[f.key] == f {
			delete(h.feeds, f.key)
		}
		f.stopOnce()
	}
}

// run renders the feed after each burst of exchanges until the trace
// subscription ends (the sandbox was reset or deleted, or the last stream
// left).
func (h *streamHub) run(f *feed, t *target, step string, ch <-chan trace.Exchange) {
	defer func() {
		h.mu.Lock()
		if h.feeds[f.key] == f {
			delete(h.feeds, f.key) // later streams start afresh (a reset sandbox)
		}
		h.mu.Unlock()
		f.stopOnce()
	}()
	for {
		select {
		case <-f.done:
			return
		case _, ok := <-ch:
			if !ok || !drain(f.done, ch) {
				return
			}
			f.publish(h.render(t, step))
		}
	}
}

// render is the events a stream of the diagram sends: the diagram and, for
// the lesson page (no step), the goal panel.
func (h *streamHub) render(t *target, step string) (frame []byte) {
	// Renders run on the feed's goroutine, outside the handlers' panic
	// recovery: a panic must not take the server down.
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("web: diagram render panicked", "panic", v)
			frame = []byte(": diagram unavailable\n\n")
		}
	}()
	h.renders.Add(1)
	// The feed keeps its target from render to render: the placeholder
	// values it read for the last frame may be stale.
	t.forgetFillings()
	ctx := context.Background()
	var buf bytes.Buffer
	var exs []trace.Exchange
	diagram := templ.Component(nil)
	if step == "" || t.lesson.Step(step) == nil {
		// The lesson page's whole diagram, shared with the step answers.
		exs = h.p.exchanges(t.sb.ID)
		diagram = rawHTML(h.p.wholeDiagram(t, h.p.diagramView(t, exs)))
	} else {
		diagram = ui.Diagram(h.p.diagramFor(t, step))
	}
	if err := writeEvent(ctx, &buf, "diagram", diagram); err != nil {
		h.log.Warn("web: render diagram", "err", err)
	}
	if step == "" {
		if err := writeEvent(ctx, &buf, "goal", ui.GoalPanel(h.p.goalView(t, exs))); err != nil {
			h.log.Warn("web: render goal", "err", err)
		}
	}
	return buf.Bytes()
}

func (f *feed) publish(frame []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frame = frame
	close(f.changed)
	f.changed = make(chan struct{})
}

// latest returns the current frame and the channel closed when it changes.
func (f *feed) latest() ([]byte, <-chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frame, f.changed
}

// waitFirst waits until the feed's starter has published its first frame.
func (f *feed) waitFirst() {
	for {
		frame, changed := f.latest()
		if frame != nil {
			return
		}
		select {
		case <-changed:
		case <-f.done:
			return
		}
	}
}

func (f *feed) stopOnce() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.done:
	default:
		close(f.done)
		if f.stop != nil {
			f.stop()
		}
	}
}
