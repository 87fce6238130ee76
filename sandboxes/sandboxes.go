// Package sandboxes owns learners' sandboxes: their lifecycle (create, reset,
// delete, restore at start), the persistence of every change acknowledged
// on their worlds, and the limits on creating them. The cloud a sandbox
// runs against is behind Cloud, declared here: the simulated cloud is one
// implementation (Simulated). A real-mode sandbox also has resources in real
// Azure, created, reset and deleted through RealAzure (real.go) alongside its
// world (which keeps the lessons' simulated steps; the declared real
// steps run in Azure). The web layer and the
// command call this package; it knows nothing of HTTP.
package sandboxes

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// Store is what the service needs of the persistent store.
type Store interface {
	CreateSandbox(ctx context.Context, sb *store.Sandbox, world []byte) error
	DeleteSandbox(ctx context.Context, id string) error
	AllWorlds(ctx context.Context) (map[string][]byte, error)
	WorldLogs(ctx context.Context) (map[string]store.WorldLog, error)
	Exchanges(ctx context.Context, sandboxID string, limit int) ([]trace.Exchange, error)
	ClearExchanges(ctx context.Context, sandboxID string) error
	// DeleteLessonRuns forgets the saved lesson runs of a sandbox (reset).
	DeleteLessonRuns(ctx context.Context, sandboxID string) error
	// SandboxesByLearner counts a learner's sandboxes (Limits.PerLearner).
	SandboxesByLearner(ctx context.Context, learnerID string) ([]store.Sandbox, error)
	WorldSaver
}

// Cloud is what a sandbox runs against: it provisions a scenario for a
// sandbox, brings a saved one back, finds a sandbox's world and tears it
// down. Simulated is the simulated cloud's implementation.
type Cloud interface {
	// Provision builds the named scenario for the new sandbox id.
	Provision(ctx context.Context, id, scenario string) (*world.World, error)
	// Restore brings sandbox id back from what the store kept of it.
	Restore(id string, saved Saved) (*world.World, error)
	// World returns the sandbox's world, nil when it has none.
	World(id string) *world.World
	// Teardown removes the sandbox's world and frees its names.
	Teardown(ctx context.Context, id string) error
}

// Saved is what the store keeps of a sandbox's cloud: its state and the
// change records stored after it (oldest first), with the highest sequence
// number among them.
type Saved struct {
	State   []byte
	Changes [][]byte
	Seq     int64
}

// Config configures a Service.
type Config struct {
	Store Store // required
	Cloud Cloud // required
	// Book holds the sandboxes' traces. Required.
	Book *trace.Book
	// TraceLimit is how many exchanges of each trace Restore loads; 0 means
	// trace.DefaultLimit.
	TraceLimit int
	// Logger receives what Restore skips; nil logs nothing.
	Logger *slog.Logger
	// Admit is the limits hook: it is asked before each sandbox is created
	// and an error refuses the creation (returned as is). nil admits all.
	Admit func(ctx context.Context, learnerID, scenario string) error
	// Real, when set, offers real-mode sandboxes (real.go).
	Real RealAzure
	// Limits cap creation per learner, per client address and in total
	// (limits.go); zero fields take the defaults.
	Limits Limits
	// Now is the clock of the per-address limit; nil is time.Now.
	Now func() time.Time
}

// Service is the one home of the sandbox lifecycle.
type Service struct {
	store Store
	cloud Cloud
	book  *trace.Book
	limit int
	log   *slog.Logger
	admit func(ctx context.Context, learnerID, scenario string) error
	real  RealAzure
	caps  *limiter

	// lifecycle serializes reset and delete: both swap or remove a
	// sandbox's world and must not interleave.
	lifecycle sync.Mutex
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Cloud == nil || cfg.Book == nil {
		return nil, errors.New("sandboxes: new: Store, Cloud and Book are required")
	}
	s := &Service{store: cfg.Store, cloud: cfg.Cloud, book: cfg.Book, limit: cfg.TraceLimit, log: cfg.Logger, admit: cfg.Admit, real: cfg.Real}
	s.caps = newLimiter(cfg.Limits, cfg.Now, func(ctx context.Context, learnerID string) (int, error) {
		sbs, err := s.store.SandboxesByLearner(ctx, learnerID)
		return len(sbs), err
	})
	if s.limit <= 0 {
		s.limit = trace.DefaultLimit
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Errors the service's callers tell apart (errors.Is); the *Error carrying
// them has a message safe to show.
var (
	ErrNotFound        = errors.New("sandboxes: not found")
	ErrUnknownScenario = errors.New("sandboxes: unknown scenario")
	ErrInvalid         = errors.New("sandboxes: invalid argument")
)

// Error is a refusal with a message for the learner.
type Error struct {
	Kind    error // ErrNotFound, ErrUnknownScenario, ErrInvalid, or a limit's (limits.go)
	Message string
	// RetryAfter, for the limits that pass, says when to try again.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Message }
func (e *Error) Unwrap() error { return e.Kind }

func refuse(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// World returns the sandbox's world, nil when it has none (deleted, or it
// failed to load at start).
func (s *Service) World(id string) *world.World { return s.cloud.World(id) }

// Book returns the sandboxes' traces.
func (s *Service) Book() *trace.Book { return s.book }

// Scenario validates a requested scenario name ("" is the walkthrough).
func Scenario(name string) (string, error) {
	if name == "" {
		return scenario.Walkthrough, nil
	}
	if !scenario.Known(name) {
		return "", refuse(ErrUnknownScenario, "unknown scenario %q (known: %v)", name, scenario.Names)
	}
	return name, nil
}

// NewID returns an opaque, URL-safe sandbox ID (it is also the proxy user
// name).
func NewID() string {
	var b [8]byte
	rand.Read(b[:])
	return "sbx" + hex.EncodeToString(b[:])
}

// newAccessKey returns 32 random bytes, base64url: a sandbox's access key.
func newAccessKey() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Create builds a scenario's world and stores the sandbox, owned by
// learnerID ("" = reachable with its access key only).
//
// The world is built first (its names are claimed) and the row is inserted
// inside an Update of the new world, with the state as that Update sees it:
// no mutation can slip between the snapshot and the insert.
func (s *Service) Create(ctx context.Context, learnerID, scenarioName string) (*store.Sandbox, *world.World, error) {
	name, err := Scenario(scenarioName)
	if err != nil {
		return nil, nil, err
	}
	if s.admit != nil {
		if err := s.admit(ctx, learnerID, name); err != nil {
			return nil, nil, err
		}
	}
	release, err := s.caps.reserve(ctx, learnerID)
	if err != nil {
		return nil, nil, err
	}
	created := false
	defer func() {
		if !created {
			release()
		}
	}()
	sb := &store.Sandbox{ID: NewID(), LearnerID: learnerID, AccessKey: newAccessKey(), Scenario: name}
	w, err := s.cloud.Provision(ctx, sb.ID, name)
	if err != nil {
		return nil, nil, fmt.Errorf("sandboxes: create: %w", err)
	}
	err = w.Update(ctx, func(tx *world.Tx) error {
		data, err := json.Marshal(tx.State)
		if err != nil {
			return err
		}
		return s.store.CreateSandbox(ctx, sb, data)
	})
	if err != nil {
		_ = s.cloud.Teardown(ctx, sb.ID)
		return nil, nil, fmt.Errorf("sandboxes: create: %w", err)
	}
	created = true
	return sb, w, nil
}

// Reset rebuilds the sandbox's scenario in place: same ID and access key, a
// new world (new tenant, principals, secrets), an empty trace, no saved
// lesson runs. When the rebuild fails the old world is put back.
func (s *Service) Reset(ctx context.Context, sb *store.Sandbox) (*world.World, error) {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	old := s.cloud.World(sb.ID)
	if old == nil {
		return nil, refuse(ErrNotFound, "sandbox not found")
	}
	snap, err := old.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("sandboxes: reset: %w", err)
	}
	name := sb.Scenario
	if !scenario.Known(name) {
		name = scenario.Walkthrough
	}
	if err := s.cloud.Teardown(ctx, sb.ID); err != nil {
		return nil, fmt.Errorf("sandboxes: reset: %w", err)
	}
	w, err := s.cloud.Provision(ctx, sb.ID, name)
	if err != nil {
		if _, rerr := s.cloud.Restore(sb.ID, Saved{State: snap}); rerr != nil {
			err = errors.Join(err, fmt.Errorf("putting the old world back: %w", rerr))
		}
		return nil, fmt.Errorf("sandboxes: reset: %w", err)
	}
	if err := s.store.ClearExchanges(ctx, sb.ID); err != nil {
		return nil, fmt.Errorf("sandboxes: reset: %w", err)
	}
	if err := s.store.DeleteLessonRuns(ctx, sb.ID); err != nil {
		return nil, fmt.Errorf("sandboxes: reset: %w", err)
	}
	// Empty the trace but keep its sequence numbers and subscribers: a
	// client polling with ?after= or a live view keeps working.
	s.book.Load(sb.ID, nil)
	if _, ok := s.Azure(sb.ID); ok {
		// New resources for the same sandbox; the old ones are deleted
		// in the background, tracked until Azure confirms.
		if _, err := s.real.Reset(ctx, sb.ID); err != nil {
			return nil, fmt.Errorf("sandboxes: reset in Azure: %w", err)
		}
	}
	return w, nil
}

// Delete removes the sandbox, its world and its trace.
func (s *Service) Delete(ctx context.Context, sb *store.Sandbox) error {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	if s.real != nil {
		// Queued (and saved) first: the resources are deleted in the
		// background and tracked until Azure confirms.
		if err := s.real.Delete(ctx, sb.ID); err != nil {
			return fmt.Errorf("sandboxes: delete in Azure: %w", err)
		}
	}
	if err := s.store.DeleteSandbox(ctx, sb.ID); err != nil {
		return fmt.Errorf("sandboxes: delete: %w", err)
	}
	s.caps.held.Add(-1) // the row is gone: the sandbox no longer counts
	if err := s.cloud.Teardown(ctx, sb.ID); err != nil {
		return fmt.Errorf("sandboxes: delete: %w", err)
	}
	s.book.Drop(sb.ID)
	return nil
}

// Restore brings back every stored sandbox's world (with the change records
// stored after it), at start; a trace is read from the store the first time
// it is used. A world that cannot be loaded is logged and skipped, so one
// bad row does not keep every learner out. It returns how many were
// restored.
func (s *Service) Restore(ctx context.Context) (int, error) {
	worlds, err := s.store.AllWorlds(ctx)
	if err != nil {
		return 0, fmt.Errorf("sandboxes: restore: %w", err)
	}
	logs, err := s.store.WorldLogs(ctx)
	if err != nil {
		return 0, fmt.Errorf("sandboxes: restore: %w", err)
	}
	// A trace is read when first used, not here: a start with many
	// sandboxes would otherwise decode every exchange of every one.
	s.book.LoadLazily(func(id string) ([]trace.Exchange, error) {
		return s.store.Exchanges(context.Background(), id, s.limit)
	})
	// Decoding the worlds is most of a start with many sandboxes: one
	// worker per core.
	ids := make(chan string)
	var wg sync.WaitGroup
	var n atomic.Int64
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for id := range ids {
				saved := Saved{State: worlds[id], Changes: logs[id].Changes, Seq: logs[id].Seq}
				if _, err := s.cloud.Restore(id, saved); err != nil {
					s.log.Error("sandbox not restored", "sandbox", id, "error", err)
					continue
				}
				n.Add(1)
			}
		})
	}
	for id := range worlds {
		ids <- id
	}
	close(ids)
	wg.Wait()
	s.caps.held.Store(int64(len(worlds))) // stored rows count, restored or not
	return int(n.Load()), nil
}

// maxAdvance bounds one clock move; maxOffset bounds the total, far below
// where time.Duration would overflow.
const (
	MaxAdvanceSeconds = 10 * 365 * 24 * 60 * 60
	maxOffset         = 100 * 365 * 24 * time.Hour
)

// AdvanceClock moves the sandbox's clock forward and returns its new time
// and total offset.
func (s *Service) AdvanceClock(ctx context.Context, w *world.World, seconds int64) (time.Time, time.Duration, error) {
	if seconds < 0 || seconds > MaxAdvanceSeconds {
		return time.Time{}, 0, refuse(ErrInvalid,
			"advanceSeconds must be between 0 and %d (10 years), got %d", MaxAdvanceSeconds, seconds)
	}
	var offset time.Duration
	err := w.Update(ctx, func(tx *world.Tx) error {
		next := tx.State.ClockOffset + time.Duration(seconds)*time.Second
		if next > maxOffset {
			return refuse(ErrInvalid, "the sandbox clock may not run more than 100 years ahead")
		}
		tx.State.ClockOffset = next
		offset = next
		return nil
	})
	if err != nil {
		return time.Time{}, 0, err
	}
	return w.Now(), offset, nil
}
