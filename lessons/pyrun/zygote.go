package pyrun

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Zygote is a fork server: one interpreter that imported the SDK once and
// forks a worker per lesson run, so a class starting at once does not queue
// behind thirty interpreters importing azure.identity on two cores. The
// zygote starts on first use (or Warm), is started again when it died, and
// stops with Close or with the server. Every worker bound holds as for a
// worker started directly: its rlimits, environment, wall-clock and idle
// limits are applied to the forked child.
type Zygote struct {
	python  string
	imports time.Duration // how long the zygote may take to import the SDK

	mu       sync.Mutex
	cur      *zproc
	closed   bool
	failedAt time.Time // a start that failed: fall back for a while
	lastErr  error
}

// zygoteRetry is how long workers start directly after the fork server
// failed to start, before it is tried again.
const zygoteRetry = 30 * time.Second

var errZygoteClosed = errors.New("pyrun: fork server closed")

// NewZygote returns a fork server for the interpreter python (see Find).
// It starts on first use.
func NewZygote(python string) *Zygote {
	return &Zygote{python: python, imports: DefaultStart}
}

// Warm starts the fork server now, so the first learner does not wait for
// the SDK's import.
func (z *Zygote) Warm() error {
	_, err := z.proc()
	return err
}

// Pid is the fork server's process ID (0 when it is not running).
func (z *Zygote) Pid() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.cur == nil || z.cur.isDead() {
		return 0
	}
	return z.cur.pid()
}

// Close stops the fork server; its workers die with it.
func (z *Zygote) Close() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.closed = true
	if z.cur != nil {
		z.cur.close()
		z.cur = nil
	}
	return nil
}

// proc is the running fork server, started when there is none.
func (z *Zygote) proc() (*zproc, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.closed {
		return nil, errZygoteClosed
	}
	if z.cur != nil && !z.cur.isDead() {
		return z.cur, nil
	}
	if z.cur != nil {
		z.cur.close()
		z.cur = nil
	}
	if !z.failedAt.IsZero() && time.Since(z.failedAt) < zygoteRetry {
		return nil, z.lastErr
	}
	zp, err := startZygote(z.python, z.imports)
	if err != nil {
		z.failedAt, z.lastErr = time.Now(), fmt.Errorf("pyrun: fork server: %w", err)
		return nil, z.lastErr
	}
	z.failedAt, z.lastErr = time.Time{}, nil
	z.cur = zp
	return zp, nil
}

// start forks a worker. An error that is not a *Failure means the fork
// server could not do it: the caller starts the worker directly.
func (z *Zygote) start(ctx context.Context, cfg Config) (*Worker, error) {
	if cfg.Python != z.python {
		return nil, fmt.Errorf("pyrun: fork server runs %s, not %s", z.python, cfg.Python)
	}
	zp, err := z.proc()
	if err != nil {
		return nil, err
	}
	return zp.fork(ctx, cfg)
}
