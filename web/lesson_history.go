package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// savedRun is a lesson run as stored: its history and where the code runs.
// The live objects (credential, clients) are not saved: like a real
// program's, they are gone after a restart.
type savedRun struct {
	// Tenant identifies the world the run belongs to: a reset builds a new
	// tenant, and a run of the old one must not be restored into it.
	Tenant string        `json:"tenant"`
	Place  lessons.Place `json:"place"`
	// Language is what the learner chose to run the code in.
	Language string      `json:"language,omitempty"`
	History  []savedStep `json:"history"`
	// Real marks a run against real Azure: a simulated run saved while the
	// sandbox's resources were being created is not restored into the real
	// one (its workstation holds the simulator's values).
	Real bool `json:"real,omitempty"`
}

// savedStep is a stepRun without its exchanges: they are in the persisted
// trace, found again by their numbers.
type savedStep struct {
	StepID   string              `json:"stepId"`
	Label    string              `json:"label"`
	Marker   string              `json:"marker"`
	AfterSeq int64               `json:"afterSeq"`
	At       time.Time           `json:"at"`
	N        int                 `json:"n"`
	Count    int                 `json:"count"`
	Seqs     []int64             `json:"seqs,omitempty"`
	Result   *lessons.StepResult `json:"result"`
}

// save stores the run's history. It runs before the request that changed
// the history is answered: what the learner was shown survives a restart.
func (p *player) save(ctx context.Context, r *lessonRun) error {
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	data, err := r.savedJSON()
	if err != nil {
		return fmt.Errorf("web: save lesson run: %w", err)
	}
	if err := p.store.SaveLessonRun(ctx, r.w.ID(), r.lesson.ID, data); err != nil {
		return fmt.Errorf("web: save lesson run: %w", err)
	}
	return nil
}

// saveStep is save with the step's other writes (s: the run's data is
// filled in here) in the same write of the group commit. The error is the
// run's; errs says how the others fared.
func (p *player) saveStep(ctx context.Context, r *lessonRun, s store.StepSave) (errs store.StepSaveErrors, err error) {
	r.saveMu.Lock()
	defer r.saveMu.Unlock()
	data, jerr := r.savedJSON()
	if jerr != nil {
		data = nil // the others are saved still, as they were beside a failed save
	}
	s.Data = data
	errs = p.store.SaveStep(ctx, s)
	if jerr != nil {
		return errs, fmt.Errorf("web: save lesson run: %w", jerr)
	}
	if errs.Run != nil {
		return errs, fmt.Errorf("web: save lesson run: %w", errs.Run)
	}
	return errs, nil
}

// savedJSON is the run as saved (a savedRun), its history spliced in from
// each step's JSON, encoded once (stepRun.saved).
func (r *lessonRun) savedJSON() ([]byte, error) {
	s := savedRun{Place: r.runner.Place(), Language: r.runner.Language(), Real: r.runner.Real() != nil}
	r.w.View(func(st *world.State) { s.Tenant = st.TenantID })
	head, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	// History (nil) is written "history":null, once: a key, since quotes
	// inside string values are escaped. The steps go in its place.
	before, after, ok := bytes.Cut(head, []byte(`"history":null`))
	if !ok {
		return nil, errors.New("web: saved run: unexpected encoding")
	}
	var out bytes.Buffer
	r.mu.Lock()
	size := len(head) + 2
	for i := range r.history {
		size += len(r.history[i].saved) + 1
	}
	out.Grow(size + 1024) // the new steps' JSON, roughly
	out.Write(before)
	out.WriteString(`"history":[`)
	for i := range r.history {
		sr := &r.history[i]
		if sr.saved == nil {
			b, err := json.Marshal(savedStepOf(sr))
			if err != nil {
				r.mu.Unlock()
				return nil, err
			}
			sr.saved = b
		}
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(sr.saved)
	}
	r.mu.Unlock()
	out.WriteByte(']')
	out.Write(after)
	return out.Bytes(), nil
}

func savedStepOf(sr *stepRun) savedStep {
	ss := savedStep{StepID: sr.StepID, Label: sr.Label, Marker: sr.Marker, AfterSeq: sr.AfterSeq, At: sr.At, N: sr.N, Count: sr.Count}
	if sr.Res != nil {
		res := *sr.Res
		for _, ex := range res.Exchanges {
			ss.Seqs = append(ss.Seqs, ex.Seq)
		}
		// The step's own place, for its "ran on …" words; the
		// environment (a client secret) is the run's Place's business.
		res.Exchanges, res.Place.Env = nil, nil
		ss.Result = &res
	}
	return ss
}

// loadRun reads the saved run of the lesson in the world: nil when there is
// none, or it belongs to a world the sandbox no longer has, or it cannot be
// read (the run then starts afresh).
func (p *player) loadRun(ctx context.Context, w *world.World, l *lessons.Lesson) (*savedRun, error) {
	data, err := p.store.LessonRun(ctx, w.ID(), l.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("web: load lesson run: %w", err)
	}
	var s savedRun
	if err := json.Unmarshal(data, &s); err != nil {
		p.log.Warn("saved lesson run unreadable, starting afresh", "sandbox", w.ID(), "lesson", l.ID, "error", err)
		return nil, nil
	}
	var tenant string
	w.View(func(st *world.State) { tenant = st.TenantID })
	if s.Tenant != tenant {
		return nil, nil
	}
	return &s, nil
}

// restore puts a saved history into a new run, with each run's exchanges
// taken from the trace, and moves the code back to where it ran. A marker
// tells the learner the program started again.
func (p *player) restore(r *lessonRun, s *savedRun) {
	bySeq := map[int64]int{}
	exs := p.exchanges(r.w.ID())
	for i := range exs {
		bySeq[exs[i].Seq] = i
	}
	for _, ss := range s.History {
		res := ss.Result
		if res == nil {
			res = &lessons.StepResult{StepID: ss.StepID, Marker: ss.Marker, OK: true}
		}
		for _, seq := range ss.Seqs {
			if i, ok := bySeq[seq]; ok {
				res.Exchanges = append(res.Exchanges, exs[i])
			}
		}
		r.record(stepRun{StepID: ss.StepID, Label: ss.Label, Marker: ss.Marker, AfterSeq: ss.AfterSeq, At: ss.At, N: ss.N, Count: ss.Count, Res: res})
	}
	if s.Place.RunsOn != "" {
		r.runner.SetPlace(s.Place)
	}
	if s.Language != "" {
		// Python may have gone since (the run then stays in Go).
		_ = r.runner.SetLanguage(s.Language)
	}
	r.record(stepRun{StepID: "restart", Label: "The server restarted: your program starts again (its objects are gone)",
		Marker: r.lesson.Marker("restart"), AfterSeq: p.lastSeq(r.w.ID()), Res: &lessons.StepResult{StepID: "restart", OK: true}})
}
