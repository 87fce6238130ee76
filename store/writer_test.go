package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// Writes waiting while the writer is busy share one transaction, and each
// is acknowledged with its own outcome: one failing write (an unknown
// sandbox) does not undo the others of its batch.
func TestGroupCommitSharesTransactions(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := db.CreateSandbox(ctx, &Sandbox{ID: "sb", AccessKey: "k"}, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	// Hold the one writer connection, so every write below queues up.
	conn, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := db.wr.commits.Load()
	const n = 50
	waits := make([]func() error, n)
	for i := range n {
		id := "sb"
		if i == 7 {
			id = "ghost"
		}
		waits[i] = db.QueueChange(id, int64(i+1), fmt.Appendf(nil, `{"i":%d}`, i))
	}
	var wg sync.WaitGroup
	var appendErr error
	wg.Go(func() { appendErr = db.AppendExchange(ctx, &trace.Exchange{SandboxID: "sb", URL: "u"}) })
	conn.Close()
	for i, wait := range waits {
		err := wait()
		if i == 7 {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("change of an unknown sandbox: err = %v, want ErrNotFound", err)
			}
		} else if err != nil {
			t.Errorf("change %d: %v", i, err)
		}
	}
	wg.Wait()
	if appendErr != nil {
		t.Fatal(appendErr)
	}
	// The writer may have taken the first write alone before the rest queued.
	if c := db.wr.commits.Load() - before; c > 3 {
		t.Errorf("%d writes took %d transactions, want them to share (<= 3)", n+1, c)
	}
	logs, err := db.WorldLogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(logs["sb"].Changes); got != n-1 || logs["sb"].Seq != n {
		t.Errorf("stored %d changes up to seq %d, want %d up to %d", got, logs["sb"].Seq, n-1, n)
	}
}

// A stored world replaces the change records up to its sequence number; a
// restore gets the records after it, in order.
func TestWorldChangeRecords(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	for _, id := range []string{"a", "b"} {
		if err := db.CreateSandbox(ctx, &Sandbox{ID: id, AccessKey: "k" + id}, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	for seq := int64(1); seq <= 4; seq++ {
		if err := db.QueueChange("a", seq, fmt.Appendf(nil, "a%d", seq))(); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.QueueChange("b", 5, []byte("b5"))(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueueWorld("a", []byte(`{"v":2}`), 2)(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueueWorld("ghost", []byte(`{}`), 9)(); !errors.Is(err, ErrNotFound) {
		t.Errorf("QueueWorld(unknown) err = %v, want ErrNotFound", err)
	}
	if err := db.QueueChange("a", 4, []byte("again"))(); !errors.Is(err, ErrConflict) {
		t.Errorf("a sequence number twice: err = %v, want ErrConflict", err)
	}
	logs, err := db.WorldLogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%q %d", logs["a"].Changes, logs["a"].Seq); got != `["a3" "a4"] 4` {
		t.Errorf("a: %s, want the records after 2", got)
	}
	if got := fmt.Sprintf("%q %d", logs["b"].Changes, logs["b"].Seq); got != `["b5"] 5` {
		t.Errorf("b: %s", got)
	}
	// SaveWorld (no sequence number) includes every record so far.
	if err := db.SaveWorld(ctx, "a", []byte(`{"v":3}`)); err != nil {
		t.Fatal(err)
	}
	logs, err = db.WorldLogs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(logs["a"].Changes) != 0 || logs["a"].Seq != 4 {
		t.Errorf("after SaveWorld: %q up to %d, want none up to 4", logs["a"].Changes, logs["a"].Seq)
	}
	// Deleting the sandbox deletes its records.
	if err := db.DeleteSandbox(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM world_changes WHERE sandbox_id = 'b'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("records of a deleted sandbox: %d (%v)", left, err)
	}
}

// Trace rows queued without waiting are stored by Flush, and by Close at the
// latest; after Close nothing is accepted.
func TestQueuedExchangesAreStoredByFlushAndClose(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSandbox(ctx, &Sandbox{ID: "sb", AccessKey: "k"}, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := db.QueueExchange(&trace.Exchange{SandboxID: "sb", URL: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if exs, err := db.Exchanges(ctx, "sb", 0); err != nil || len(exs) != 10 {
		t.Fatalf("after Flush: %d exchanges (%v), want 10", len(exs), err)
	}
	for i := 10; i < 20; i++ {
		if err := db.QueueExchange(&trace.Exchange{SandboxID: "sb", URL: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A row of a sandbox that is gone is dropped, not an error.
	if err := db.QueueExchange(&trace.Exchange{SandboxID: "ghost"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueueExchange(&trace.Exchange{SandboxID: "sb"}); !errors.Is(err, ErrClosed) {
		t.Errorf("QueueExchange after Close: err = %v, want ErrClosed", err)
	}
	if err := db.SaveWorld(ctx, "sb", []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("SaveWorld after Close: err = %v, want ErrClosed", err)
	}
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exs, err := db.Exchanges(ctx, "sb", 0)
	if err != nil || len(exs) != 20 {
		t.Fatalf("after Close and reopen: %d exchanges (%v), want 20", len(exs), err)
	}
	for i, ex := range exs {
		if ex.URL != fmt.Sprint(i) || ex.Seq != int64(i+1) {
			t.Errorf("exchange %d = seq %d %q", i, ex.Seq, ex.URL)
		}
	}
	if err := db.QueueExchange(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("QueueExchange(nil) err = %v", err)
	}
}

// Acknowledged writes go ahead of the trace rows queued before them, in one
// commit where they can; a barrier (any acknowledged write but a world's)
// takes the trace rows queued before it along, ahead of itself.
func TestAcknowledgedWritesGoAheadOfTraceRows(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	var order []string // appended by the writer goroutine only
	step := func(name string) func(*sql.Tx) error {
		return func(*sql.Tx) error { order = append(order, name); return nil }
	}
	// Hold the one writer connection, so every write below queues up.
	conn, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wait := func(o *op) func() error {
		o.done = make(chan error, 1)
		if err := db.submit(o); err != nil {
			t.Fatal(err)
		}
		return func() error { return <-o.done }
	}
	a := wait(&op{name: "a", run: step("a"), unordered: true})
	for _, n := range []string{"x1", "x2"} {
		if err := db.submit(&op{name: n, run: step(n)}); err != nil {
			t.Fatal(err)
		}
	}
	b := wait(&op{name: "b", run: step("b"), unordered: true})
	c := wait(&op{name: "c", run: step("c")}) // a barrier
	if err := db.submit(&op{name: "x3", run: step("x3")}); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	for _, w := range []func() error{a, b, c} {
		if err := w(); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// x3 was queued after c: it may commit with c's batch, or after it.
	if got := strings.Join(order, " "); got != "a b x1 x2 c x3" && got != "a b x1 x2 x3 c" {
		t.Errorf("writes ran in the order %q, want a b x1 x2, then c and x3", got)
	}
}

// The trace rows queued before ClearExchanges or DeleteSandbox do not
// outlive them, though acknowledged writes pass trace rows.
func TestBarriersTakeQueuedTraceRowsAlong(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	mustSandbox(t, db, "sb", "")
	mustSandbox(t, db, "gone", "")
	for i := range 50 {
		for _, id := range []string{"sb", "gone"} {
			if err := db.QueueExchange(&trace.Exchange{SandboxID: id, URL: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.ClearExchanges(ctx, "sb"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSandbox(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if err := db.QueueExchange(&trace.Exchange{SandboxID: "sb", URL: "after"}); err != nil {
		t.Fatal(err)
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	exs, err := db.Exchanges(ctx, "sb", 0)
	if err != nil || len(exs) != 1 || exs[0].URL != "after" || exs[0].Seq != 51 {
		t.Fatalf("after clear: %+v (%v), want only the exchange queued after it, seq 51", exs, err)
	}
	var left int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM exchanges WHERE sandbox_id = 'gone'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("rows of a deleted sandbox: %d (%v)", left, err)
	}
}
