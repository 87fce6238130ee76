package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned for writes submitted after Close.
var ErrClosed = errors.New("store: closed")

// maxBatch bounds one group commit, so a burst cannot hold the write lock
// (and its waiting requests) for long.
const maxBatch = 256

// queuedOps is how many writes may wait for the writer before submitters
// block: back-pressure instead of unbounded memory. Acknowledged writes and
// fire-and-forget ones (trace rows) each have that many places.
const queuedOps = 4096

// bgBatch and bgWait: fire-and-forget writes commit in batches of their
// own, when bgBatch of them wait or the oldest has waited bgWait (or an
// acknowledged write that is a barrier takes them along): a batch of trace
// rows costs one commit, not one per few requests.
const (
	bgBatch = 64
	bgWait  = 10 * time.Millisecond
)

// bgHigh is how many fire-and-forget writes may wait before they go ahead
// of acknowledged ones, so they cannot fill their queue (and block the
// requests recording them) under a steady stream of acknowledged writes.
const bgHigh = queuedOps / 2

// op is one write of the group commit: run executes it inside the batch's
// transaction; done (nil for fire-and-forget writes) receives its outcome
// once the batch has committed.
type op struct {
	name string
	run  func(tx *sql.Tx) error
	done chan error
	// multi: run has more than one statement; it gets a savepoint so a
	// failure undoes only its own part of the batch.
	multi bool
	// unordered: the write need not come after the fire-and-forget writes
	// queued before it (a world's change records, which no trace row
	// touches). Every other acknowledged write is a barrier: the trace rows
	// queued before it are committed with it or earlier (Flush,
	// ClearExchanges and DeleteSandbox rely on that).
	unordered bool
}

// writer is the group commit: one goroutine takes every write waiting at
// the time, runs them in one transaction and acknowledges each after the
// commit. Under load many requests share one commit; alone, a write commits
// at once (no timer, no added latency).
//
// Acknowledged writes (a request waits for them) and fire-and-forget ones
// (trace rows, nobody waits) queue apart: a commit of acknowledged writes
// does not carry the trace rows of the requests before them, which are
// committed in batches of their own (bgBatch, bgWait) between them.
type writer struct {
	ops    chan *op     // acknowledged writes
	bg     chan *op     // fire-and-forget writes
	mu     sync.RWMutex // held for reading while submitting, for writing by close
	closed bool
	exited chan struct{}
	// failed is called with the error of a fire-and-forget write (trace
	// rows), which has nobody to return it to.
	failed func(name string, err error)
	// commits counts transactions (tests check that writes share them).
	commits atomic.Int64
}

func (db *DB) startWriter() {
	db.wr = &writer{
		ops:    make(chan *op, queuedOps),
		bg:     make(chan *op, queuedOps),
		exited: make(chan struct{}),
		failed: db.writeFailed,
	}
	go db.writeLoop()
}

// submit queues o; o.done (when set) receives its outcome.
func (db *DB) submit(o *op) error {
	wr := db.wr
	wr.mu.RLock()
	defer wr.mu.RUnlock()
	if wr.closed {
		return fmt.Errorf("store: %s: %w", o.name, ErrClosed)
	}
	if o.done == nil {
		wr.bg <- o
	} else {
		wr.ops <- o
	}
	return nil
}

// exec submits a write and waits until its batch has committed. The write
// is not cancelled with ctx: once queued it is done whole or not at all,
// and the caller learns which.
func (db *DB) exec(name string, multi bool, run func(tx *sql.Tx) error) error {
	o := &op{name: name, run: run, multi: multi, done: make(chan error, 1)}
	if err := db.submit(o); err != nil {
		return err
	}
	return <-o.done
}

// execSQL runs one statement through the group commit and returns its
// result once its batch has committed: the writes of concurrent requests
// (lesson runs, progress, new sandboxes) share commits and queue in order
// instead of fighting for the writer connection.
func (db *DB) execSQL(name, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := db.exec(name, false, func(tx *sql.Tx) error {
		var err error
		res, err = tx.Exec(query, args...)
		return err
	})
	return res, err
}

// execStmt is execSQL with a prepared statement (the hot writes).
func (db *DB) execStmt(name string, st *sql.Stmt, args ...any) (sql.Result, error) {
	var res sql.Result
	err := db.exec(name, false, func(tx *sql.Tx) error {
		var err error
		res, err = tx.Stmt(st).Exec(args...)
		return err
	})
	return res, err
}

// Flush waits until every write submitted before it has committed (the
// trace rows queued without waiting, for instance).
func (db *DB) Flush(ctx context.Context) error {
	o := &op{name: "flush", run: func(*sql.Tx) error { return nil }, done: make(chan error, 1)}
	if err := db.submit(o); err != nil {
		return err
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("store: flush: %w", ctx.Err())
	}
}

func (db *DB) writeLoop() {
	wr := db.wr
	defer close(wr.exited)
	batch := make([]*op, 0, maxBatch)
	// held: trace rows taken from bg, waiting for a batch of their own.
	held := make([]*op, 0, maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	ops, bg := wr.ops, wr.bg
	for ops != nil || bg != nil || len(held) > 0 {
		batch = batch[:0]
		var o *op
		var ok bool
		// Acknowledged writes first, unless the trace rows pile up.
		if len(bg) < bgHigh && ops != nil {
			select {
			case o, ok = <-ops:
				if !ok {
					ops = nil
					continue
				}
			default:
			}
		}
		if o != nil {
			letOthersSubmit()
			batch, held = db.gatherAcked(batch, o, ops, bg, held)
			db.commit(batch)
			continue
		}
		// Trace rows commit in batches: when enough wait, when the oldest
		// has waited bgWait, or at the end.
		if len(held)+len(bg) >= bgBatch || (len(held) > 0 && ops == nil && bg == nil) {
			batch = gather(append(batch, held...), bg, maxBatch)
			held = held[:0]
			db.commit(batch)
			continue
		}
		var tick <-chan time.Time
		if len(held) > 0 {
			tick = timer.C
		}
		select {
		case o, ok = <-ops:
			if !ok {
				ops = nil
				continue
			}
			letOthersSubmit()
			batch, held = db.gatherAcked(batch, o, ops, bg, held)
			db.commit(batch)
		case o, ok = <-bg:
			if !ok {
				bg = nil
				continue
			}
			if len(held) == 0 {
				timer.Reset(bgWait)
			}
			held = append(held, o)
		case <-tick:
			batch = gather(append(batch, held...), bg, maxBatch)
			held = held[:0]
			db.commit(batch)
		}
	}
}

// letOthersSubmit yields the writer's thread once, after it took an
// acknowledged write and before it gathers the batch, so requests already
// running on other goroutines reach their own submit and share the commit;
// when nothing else is runnable it returns at once (no timer, no added
// latency): PostgreSQL's commit_delay without the wait. With 16 queue
// clients it took the acknowledged writes per commit from 1.8 to 4.9 and
// the server's CPU per run down by a tenth.
func letOthersSubmit() { runtime.Gosched() }

// gatherAcked adds o and the acknowledged writes waiting after it to batch;
// before each barrier it adds the trace rows held and waiting, so these
// commit no later than the barrier. It returns the batch and held, emptied
// when it took them.
func (db *DB) gatherAcked(batch []*op, o *op, ops, bg chan *op, held []*op) ([]*op, []*op) {
	for {
		if !o.unordered {
			batch = append(batch, held...)
			held = held[:0]
			if bg != nil {
				batch = gather(batch, bg, len(batch)+cap(bg))
			}
		}
		batch = append(batch, o)
		if len(batch) >= maxBatch || ops == nil {
			return batch, held
		}
		var ok bool
		select {
		case o, ok = <-ops:
			if !ok {
				return batch, held
			}
		default:
			return batch, held
		}
	}
}

// gather adds the writes waiting in ch to batch, up to max in all.
func gather(batch []*op, ch chan *op, max int) []*op {
	for len(batch) < max {
		select {
		case o, ok := <-ch:
			if !ok {
				return batch
			}
			batch = append(batch, o)
		default:
			return batch
		}
	}
	return batch
}

// commit runs a batch in one transaction. An op that fails is undone alone
// (a single statement undoes itself; a multi-statement op has a
// savepoint) and gets its error; the others commit. When the commit itself
// fails, every op of the batch gets that error.
func (db *DB) commit(batch []*op) {
	errs := make([]error, len(batch))
	// Not the callers' contexts: a batch is shared, and a client that went
	// away must not undo the writes of others.
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		for i := range errs {
			errs[i] = wrap(batch[i].name, err)
		}
		db.finish(batch, errs)
		return
	}
	for i, o := range batch {
		errs[i] = db.runOne(ctx, tx, o)
	}
	db.wr.commits.Add(1)
	if err := tx.Commit(); err != nil {
		for i := range errs {
			errs[i] = wrap(batch[i].name, err)
		}
	}
	db.finish(batch, errs)
	db.committed()
}

func (db *DB) runOne(ctx context.Context, tx *sql.Tx, o *op) error {
	if !o.multi {
		return o.run(tx)
	}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT op`); err != nil {
		return wrap(o.name, err)
	}
	err := o.run(tx)
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO op`); rerr != nil {
			err = errors.Join(err, wrap(o.name, rerr))
		}
	}
	if _, rerr := tx.ExecContext(ctx, `RELEASE op`); rerr != nil {
		err = errors.Join(err, wrap(o.name, rerr))
	}
	return err
}

func (db *DB) finish(batch []*op, errs []error) {
	for i, o := range batch {
		if o.done != nil {
			o.done <- errs[i]
		} else if errs[i] != nil {
			db.wr.failed(o.name, errs[i])
		}
	}
}

// stopWriter commits what is queued and ends the writer.
func (db *DB) stopWriter() {
	if db.wr == nil {
		return
	}
	db.wr.mu.Lock()
	if !db.wr.closed {
		db.wr.closed = true
		close(db.wr.ops)
		close(db.wr.bg)
	}
	db.wr.mu.Unlock()
	<-db.wr.exited
}
