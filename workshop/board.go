package workshop

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/azure-auth-sandbox/sandbox/store"
)

// Event kinds (store.ProgressEvent.Kind).
const (
	KindJoin   = "join"
	KindStep   = "step"   // a lesson step ran
	KindAction = "action" // a panel action or a one-click fix
	KindFault  = "fault"  // the instructor injected a fault
	KindReset  = "reset"  // the sandbox was reset
)

// StuckFailures is how many failures in a row of the same step mark a
// learner stuck.
const StuckFailures = 3

// Store is what the classroom needs of the store.
type Store interface {
	Workshop(ctx context.Context, id string) (*store.Workshop, error)
	Members(ctx context.Context, workshopID string) ([]store.Member, error)
	Events(ctx context.Context, workshopID string) ([]store.ProgressEvent, error)
	AppendEvent(ctx context.Context, e *store.ProgressEvent) error
}

// Hub keeps one live Board per workshop, built from the store's events the
// first time it is asked for (so a restarted server shows the same
// dashboard), and kept current by Record.
type Hub struct {
	st  Store
	now func() time.Time

	mu     sync.Mutex
	boards map[string]*Board
}

// NewHub returns a hub over st; now is the clock (nil: time.Now).
func NewHub(st Store, now func() time.Time) *Hub {
	if now == nil {
		now = time.Now
	}
	return &Hub{st: st, now: now, boards: map[string]*Board{}}
}

// Now is the hub's clock.
func (h *Hub) Now() time.Time { return h.now() }

// Board returns the workshop's live board.
func (h *Hub) Board(ctx context.Context, workshopID string) (*Board, error) {
	h.mu.Lock()
	b := h.boards[workshopID]
	h.mu.Unlock()
	if b != nil {
		return b, nil
	}
	w, err := h.st.Workshop(ctx, workshopID)
	if err != nil {
		return nil, fmt.Errorf("workshop: board: %w", err)
	}
	ms, err := h.st.Members(ctx, workshopID)
	if err != nil {
		return nil, fmt.Errorf("workshop: board: %w", err)
	}
	evs, err := h.st.Events(ctx, workshopID)
	if err != nil {
		return nil, fmt.Errorf("workshop: board: %w", err)
	}
	b = newBoard(*w)
	for i := range ms {
		b.addLocked(&ms[i])
	}
	for i := range evs {
		b.applyLocked(&evs[i])
		b.builtSeq = max(b.builtSeq, evs[i].Seq)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur := h.boards[workshopID]; cur != nil { // built meanwhile
		return cur, nil
	}
	h.boards[workshopID] = b
	return b, nil
}

// Record stores a member's event and shows it on the board.
func (h *Hub) Record(ctx context.Context, e *store.ProgressEvent) error {
	if e.At.IsZero() {
		e.At = h.now()
	}
	if err := h.st.AppendEvent(ctx, e); err != nil {
		return fmt.Errorf("workshop: record: %w", err)
	}
	return h.Stored(ctx, e)
}

// Stored shows an event the store already holds (stored with another
// write, as a join with its member) on the board.
func (h *Hub) Stored(ctx context.Context, e *store.ProgressEvent) error {
	b, err := h.Board(ctx, e.WorkshopID)
	if err != nil {
		return err
	}
	b.mu.Lock()
	// A board built after the append already holds the event. Concurrent
	// Records apply in any order, so compare with what the build read, not
	// with the newest event applied.
	if e.Seq > b.builtSeq {
		b.applyLocked(e)
	}
	b.mu.Unlock()
	b.changed()
	return nil
}

// Board is a workshop's live standing: one row per member.
type Board struct {
	mu    sync.Mutex
	w     store.Workshop
	rows  map[string]*row
	order []string // member IDs in join order
	// builtSeq is the newest event the board was built from; Record
	// applies only later ones.
	builtSeq int64
	notice   Notice

	smu  sync.Mutex
	subs map[chan struct{}]bool // true: notices only (a learner's page)
}

// Notice is what the instructor last told the class.
type Notice struct {
	Seq     int64
	Message string
	// Lesson is where the instructor moved the class ("" = not moved).
	Lesson string
	At     time.Time
}

type row struct {
	member       store.Member
	lesson, step string
	stepSince    time.Time // when the learner reached the current step
	lastProgress time.Time // the last success (or the join)
	// fails counts each step's failures since it last succeeded (a learner
	// re-runs the steps before a failing one between attempts).
	fails       map[string]int
	goals       map[string]bool
	outcome     string
	outcomeOK   bool
	fault       string // the last fault the instructor injected
	steps, errs int
}

func newBoard(w store.Workshop) *Board {
	return &Board{w: w, rows: map[string]*row{}, subs: map[chan struct{}]bool{},
		notice: Notice{Lesson: w.CurrentLesson, Message: w.Notice, At: w.NoticeAt}}
}

// Len is how many members the board shows.
func (b *Board) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.order)
}

// AddMember puts a new member on the board.
func (b *Board) AddMember(m store.Member) {
	b.mu.Lock()
	b.addLocked(&m)
	b.mu.Unlock()
	b.changed()
}

func (b *Board) addLocked(m *store.Member) {
	if r := b.rows[m.ID]; r != nil {
		r.member = *m
		return
	}
	b.rows[m.ID] = &row{member: *m, goals: map[string]bool{}, fails: map[string]int{}, stepSince: m.JoinedAt, lastProgress: m.JoinedAt}
	b.order = append(b.order, m.ID)
}

// SetMemberSandbox records a member's (new) sandbox.
func (b *Board) SetMemberSandbox(memberID, sandboxID string) {
	b.mu.Lock()
	if r := b.rows[memberID]; r != nil {
		r.member.SandboxID = sandboxID
	}
	b.mu.Unlock()
	b.changed()
}

// SetWorkshop replaces the workshop's own fields (moved, ended).
func (b *Board) SetWorkshop(w store.Workshop) {
	b.mu.Lock()
	b.w = w
	b.notice.Seq++
	b.mu.Unlock()
	b.notify(true)
}

func (b *Board) applyLocked(e *store.ProgressEvent) {
	r := b.rows[e.MemberID]
	if r == nil {
		return
	}
	switch e.Kind {
	case KindStep, KindAction:
		key := e.LessonID + "/" + e.StepID
		if e.Kind == KindStep {
			r.steps++
			if e.LessonID != r.lesson || e.StepID != r.step {
				r.lesson, r.step, r.stepSince = e.LessonID, e.StepID, e.At
			}
		} else if e.LessonID != "" && r.lesson == "" {
			r.lesson = e.LessonID
		}
		switch {
		case e.OK:
			delete(r.fails, key)
			r.lastProgress = e.At
		case e.Kind == KindStep:
			r.fails[key]++
			r.errs++
		}
		if e.GoalMet && !r.goals[e.LessonID] {
			r.goals[e.LessonID] = true
			r.lastProgress = e.At
		}
		r.outcome, r.outcomeOK = e.Outcome, e.OK
	case KindFault:
		r.fault = e.Outcome
	case KindReset:
		r.step, r.stepSince, r.lastProgress = "", e.At, e.At
		clear(r.fails)
		r.outcome, r.outcomeOK = "sandbox reset", true
	case KindJoin:
		r.lastProgress = e.At
	}
}

// Row is one learner's line on the dashboard.
type Row struct {
	MemberID    string
	Name        string
	SandboxID   string
	JoinedAt    time.Time
	Lesson      string
	Step        string
	OnStep      time.Duration // time on the current step
	Goals       map[string]bool
	Outcome     string
	OutcomeOK   bool
	Fault       string // the last fault injected
	Steps       int    // steps run
	Failures    int    // steps that failed
	Stuck       bool
	StuckReason string
}

// Snapshot returns the workshop and its rows (join order) as of now.
func (b *Board) Snapshot(now time.Time) (store.Workshop, []Row) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Row, 0, len(b.order))
	for _, id := range b.order {
		r := b.rows[id]
		goals := make(map[string]bool, len(r.goals))
		for k, v := range r.goals {
			goals[k] = v
		}
		v := Row{MemberID: id, Name: r.member.DisplayName, SandboxID: r.member.SandboxID, JoinedAt: r.member.JoinedAt,
			Lesson: r.lesson, Step: r.step, OnStep: now.Sub(r.stepSince), Goals: goals, Outcome: r.outcome,
			OutcomeOK: r.outcomeOK, Fault: r.fault, Steps: r.steps, Failures: r.errs}
		v.Stuck, v.StuckReason = stuck(r, b.w, now)
		out = append(out, v)
	}
	w := b.w
	w.Lessons = append([]string(nil), w.Lessons...)
	return w, out
}

// stuck says whether a learner needs help, and why: the same step failed
// StuckFailures times in a row, or no progress for the workshop's
// StuckAfter. A learner who met every goal is never stuck; neither is
// anyone once the workshop ended.
func stuck(r *row, w store.Workshop, now time.Time) (bool, string) {
	if !w.EndedAt.IsZero() {
		return false, ""
	}
	done := len(w.Lessons) > 0
	for _, l := range w.Lessons {
		done = done && r.goals[l]
	}
	if done {
		return false, ""
	}
	for key, n := range r.fails {
		if n >= StuckFailures && strings.HasPrefix(key, r.lesson+"/") {
			return true, fmt.Sprintf("%q failed %d times", strings.TrimPrefix(key, r.lesson+"/"), n)
		}
	}
	if w.StuckAfter > 0 && now.Sub(r.lastProgress) >= w.StuckAfter {
		return true, "no progress for " + now.Sub(r.lastProgress).Truncate(time.Second).String()
	}
	return false, ""
}

// Notice returns what the instructor last told the class.
func (b *Board) Notice() Notice {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.notice
}

// Broadcast shows a message on every learner's page.
func (b *Board) Broadcast(msg string, at time.Time) {
	b.mu.Lock()
	b.notice.Seq++
	b.notice.Message, b.notice.At = msg, at
	b.mu.Unlock()
	b.notify(true)
}

// MoveTo sends the class to a lesson (the caller stored it).
func (b *Board) MoveTo(lesson string, at time.Time) {
	b.mu.Lock()
	b.notice.Seq++
	b.notice.Lesson, b.notice.At = lesson, at
	b.w.CurrentLesson = lesson
	b.mu.Unlock()
	b.notify(true)
}

// Subscribe returns a channel that receives a value after every change
// (changes coalesce: a slow reader sees the latest state, not each one).
func (b *Board) Subscribe() (<-chan struct{}, func()) { return b.subscribe(false) }

// SubscribeNotices is Subscribe for a learner's page: only the notice
// (message, lesson move) and the workshop's end wake it, not every
// learner's step.
func (b *Board) SubscribeNotices() (<-chan struct{}, func()) { return b.subscribe(true) }

func (b *Board) subscribe(noticesOnly bool) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	b.smu.Lock()
	b.subs[ch] = noticesOnly
	b.smu.Unlock()
	return ch, func() {
		b.smu.Lock()
		delete(b.subs, ch)
		b.smu.Unlock()
	}
}

func (b *Board) changed() { b.notify(false) }

func (b *Board) notify(notice bool) {
	b.smu.Lock()
	defer b.smu.Unlock()
	for ch, noticesOnly := range b.subs {
		if noticesOnly && !notice {
			continue
		}
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
