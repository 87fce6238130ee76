package sandboxes_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sandboxes"
)

// Finding: anonymous sandbox creation had no limit (500 in 2.7 s, all
// 201). Creation is now capped per learner, per client address (refilling
// over time) and in total, each refusal with its kind and, where waiting
// helps, when to try again.
func TestCreationLimits(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	svc, err := sandboxes.New(sandboxes.Config{Store: e.db, Cloud: e.cloud, Book: e.book, Now: func() time.Time { return now },
		Limits: sandboxes.Limits{PerLearner: 2, PerAddressPerMinute: 2, PerAddressBurst: 3, Total: 7}})
	if err != nil {
		t.Fatal(err)
	}
	from := func(addr string) context.Context { return sandboxes.WithClient(context.Background(), addr) }
	create := func(ctx context.Context, learner string) error {
		_, _, err := svc.Create(ctx, learner, "")
		return err
	}
	refused := func(err error, kind error, retry bool) {
		t.Helper()
		var se *sandboxes.Error
		if !errors.Is(err, kind) || !errors.As(err, &se) || se.Message == "" || (se.RetryAfter > 0) != retry {
			t.Fatalf("got %v, want a %v refusal (retry after: %v)", err, kind, retry)
		}
	}

	// Per address: a burst of 3, then one every 30 s.
	for i := 0; i < 3; i++ {
		if err := create(from("10.0.0.1"), ""); err != nil {
			t.Fatalf("creation %d: %v", i, err)
		}
	}
	err = create(from("10.0.0.1"), "")
	refused(err, sandboxes.ErrThrottled, true)
	var se *sandboxes.Error
	errors.As(err, &se)
	if se.RetryAfter != 30*time.Second {
		t.Errorf("Retry-After %v, want 30s", se.RetryAfter)
	}
	// A workshop's class shares one NAT address: joins are not rated by it.
	if err := create(sandboxes.ForWorkshop(from("10.0.0.1")), ""); err != nil {
		t.Fatalf("a workshop join from a throttled address: %v", err)
	}
	now = now.Add(30 * time.Second)
	if err := create(from("10.0.0.1"), ""); err != nil {
		t.Fatalf("after waiting: %v", err)
	}

	// Per learner, whatever the address: the learner's two fill the server.
	ada := e.learner()
	for _, addr := range []string{"10.0.0.2", "10.0.0.3"} {
		if err := create(from(addr), ada); err != nil {
			t.Fatal(err)
		}
	}
	// The server is full for everyone, learner or not.
	refused(create(from("10.0.0.4"), e.learner()), sandboxes.ErrFull, true)
	refused(create(context.Background(), ""), sandboxes.ErrFull, true)
	if n := len(e.reg.All()); n != 7 {
		t.Fatalf("%d worlds after refusals, want 7", n)
	}

	// Deleting one makes room; the learner's quota still holds.
	sb, err := e.db.SandboxesByLearner(context.Background(), ada)
	if err != nil || len(sb) != 2 {
		t.Fatalf("ada's sandboxes %v, %v", sb, err)
	}
	if err := svc.Delete(context.Background(), &sb[0]); err != nil {
		t.Fatal(err)
	}
	if err := create(from("10.0.0.5"), ada); err != nil {
		t.Fatalf("after a delete: %v", err)
	}
	refused(create(from("10.0.0.6"), ada), sandboxes.ErrQuota, false)
}
