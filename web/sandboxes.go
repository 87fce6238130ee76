package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// The sandbox operations behind the handlers (API and forms share them).

// maxAdvance bounds one clock move; maxOffset bounds the total, far below
// where time.Duration would overflow.
const (
	maxAdvanceSeconds = 10 * 365 * 24 * 60 * 60
	maxOffset         = 100 * 365 * 24 * time.Hour
)

// newSandboxID returns an opaque, URL-safe sandbox ID (it is also the proxy
// user name).
func newSandboxID() string {
	var b [8]byte
	rand.Read(b[:])
	return "sbx" + hex.EncodeToString(b[:])
}

// checkScenario validates a requested scenario name ("" is the walkthrough).
func checkScenario(name string) (string, error) {
	if name == "" {
		return scenario.Walkthrough, nil
	}
	if !scenario.Known(name) {
		return "", errorf(CodeUnknownScenario, "unknown scenario %q (known: %v)", name, scenario.Names)
	}
	return name, nil
}

// createSandbox builds a scenario's world and stores the sandbox, owned by
// learnerID ("" = reachable with its access key only).
//
// The world is built first (its names are claimed in the registry) and the
// row is inserted inside an Update of the new world, with the state as that
// Update sees it: no mutation can slip between the snapshot and the insert.
func (s *Server) createSandbox(ctx context.Context, learnerID, scenarioName string) (*store.Sandbox, *world.World, error) {
	sb := &store.Sandbox{ID: newSandboxID(), LearnerID: learnerID, AccessKey: newSecret(), Scenario: scenarioName}
	w, err := scenario.Build(ctx, s.reg, sb.ID, scenarioName)
	if err != nil {
		return nil, nil, fmt.Errorf("web: create sandbox: %w", err)
	}
	err = w.Update(ctx, func(tx *world.Tx) error {
		data, err := json.Marshal(tx.State)
		if err != nil {
			return err
		}
		return s.store.CreateSandbox(ctx, sb, data)
	})
	if err != nil {
		s.reg.Remove(sb.ID)
		return nil, nil, fmt.Errorf("web: create sandbox: %w", err)
	}
	return sb, w, nil
}

// resetSandbox rebuilds the sandbox's scenario in place: same ID and access
// key, a new world (new tenant, principals, secrets), an empty trace. When
// the rebuild fails the old world is put back.
func (s *Server) resetSandbox(ctx context.Context, sb *store.Sandbox) (*world.World, error) {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	old := s.reg.Get(sb.ID)
	if old == nil {
		return nil, errSandboxNotFound()
	}
	snap, err := old.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("web: reset sandbox: %w", err)
	}
	name := sb.Scenario
	if !scenario.Known(name) {
		name = scenario.Walkthrough
	}
	s.reg.Remove(sb.ID)
	w, err := scenario.Build(ctx, s.reg, sb.ID, name)
	if err != nil {
		if st, lerr := world.Load(snap); lerr == nil {
			_, _ = s.reg.Add(st)
		}
		return nil, fmt.Errorf("web: reset sandbox: %w", err)
	}
	if err := s.store.ClearExchanges(ctx, sb.ID); err != nil {
		return nil, fmt.Errorf("web: reset sandbox: %w", err)
	}
	if err := s.forgetSaved(ctx, sb.ID); err != nil {
		return nil, fmt.Errorf("web: reset sandbox: %w", err)
	}
	// Empty the trace but keep its sequence numbers and subscribers: a
	// client polling with ?after= or a live view keeps working.
	s.book.Load(sb.ID, nil)
	return w, nil
}

// deleteSandbox removes the sandbox, its world and its trace.
func (s *Server) deleteSandbox(ctx context.Context, sb *store.Sandbox) error {
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	if err := s.store.DeleteSandbox(ctx, sb.ID); err != nil {
		return fmt.Errorf("web: delete sandbox: %w", err)
	}
	s.reg.Remove(sb.ID)
	s.book.Drop(sb.ID)
	return nil
}

// advanceClock moves the sandbox's clock forward and returns its new time.
func (s *Server) advanceClock(ctx context.Context, w *world.World, seconds int64) (time.Time, time.Duration, error) {
	if seconds < 0 || seconds > maxAdvanceSeconds {
		return time.Time{}, 0, errorf(CodeInvalidArgument,
			"advanceSeconds must be between 0 and %d (10 years), got %d", maxAdvanceSeconds, seconds)
	}
	var offset time.Duration
	err := w.Update(ctx, func(tx *world.Tx) error {
		next := tx.State.ClockOffset + time.Duration(seconds)*time.Second
		if next > maxOffset {
			return errorf(CodeInvalidArgument, "the sandbox clock may not run more than 100 years ahead")
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
