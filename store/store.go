// Package store persists the sandbox in SQLite (modernc.org/sqlite, pure Go):
// learners, their sandboxes (each world's serialized state), lesson progress,
// bounded traces and the server's secrets. All SQL of the program lives here.
//
// One writer connection serializes every write inside the process, so writers
// never fight over SQLite's lock; a pool of query-only connections serves
// reads concurrently thanks to WAL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned when the addressed row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a row with the same key already exists
// (sandbox ID, access key, session token).
var ErrConflict = errors.New("store: conflict")

// ErrInvalid is returned for arguments the store refuses (empty keys).
var ErrInvalid = errors.New("store: invalid argument")

// DB is the store. It is safe for concurrent use.
type DB struct {
	w *sql.DB // the one writer connection
	r *sql.DB // query-only reader pool

	now        func() time.Time
	traceLimit int64

	// Prepared statements on the hot paths (trace append/read, world save).
	stAppendEx, stQueueEx, stSaveWorld, stTrimChanges, stAddChange, stReadEx *sql.Stmt
	// … and the lesson player's, saved with every step.
	stSaveRun, stSaveProgress *sql.Stmt

	tokens    encodedOnce[trace.Token]   // decoded tokens' JSON, encoded once (rowjson.go)
	decisions encodedOnce[rbac.Decision] // shared RBAC decisions' JSON, the same way
	rows      sync.Pool                  // *[]byte: queued trace rows' buffers, reused once inserted

	wr  *writer       // the group commit (writer.go)
	ck  *checkpointer // the WAL checkpoint, off the writer (checkpoint.go)
	log *slog.Logger

	// Hot reads remembered until a write changes them (lookup_cache.go).
	learnerBySession lookupCache[Learner]  // by session hash
	memberBySandbox  lookupCache[*Member]  // by sandbox ID; nil: in no workshop
	sandboxMeta      lookupCache[*Sandbox] // by ID (SandboxMeta)
}

// Option configures Open.
type Option func(*DB)

// WithTraceLimit sets how many exchanges each sandbox keeps (newest first).
// n <= 0 keeps the default.
func WithTraceLimit(n int) Option {
	return func(db *DB) {
		if n > 0 {
			db.traceLimit = int64(n)
		}
	}
}

// WithLogger sets where the writer reports failed writes nobody waits for
// (trace rows); default slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(db *DB) {
		if l != nil {
			db.log = l
		}
	}
}

// WithClock sets the clock used for created/updated timestamps.
func WithClock(now func() time.Time) Option {
	return func(db *DB) {
		if now != nil {
			db.now = now
		}
	}
}

// Open opens (creating when missing) the database file at path, applies the
// pending migrations and prepares the hot statements.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: open %q: %w", path, ErrInvalid)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	// The file holds the CA and token-signing keys: create it owner-only.
	// SQLite gives the -wal and -shm files the main file's permissions.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db := &DB{now: time.Now, traceLimit: trace.DefaultLimit, log: slog.Default()}
	for _, o := range opts {
		o(db)
	}

	// busy_timeout comes first so the pragmas and statements after it wait
	// for a lock instead of failing with SQLITE_BUSY. synchronous(NORMAL) in
	// WAL mode is durable against a crash of the process (kill -9): a commit
	// is in the WAL file (the OS page cache) when it returns; only a power
	// loss or OS crash may roll back the last commits, which we accept.
	// journal_mode is not here: WAL is a property of the file, set once by
	// the writer (useWAL), because that switch can fail at once with
	// SQLITE_BUSY whatever the timeout.
	const pragmas = "_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(ON)" +
		"&_pragma=synchronous(NORMAL)"
	var err error
	// _txlock=immediate: a write transaction takes the write lock at BEGIN,
	// so it never fails half-way upgrading from a read lock.
	// The writer does not checkpoint (but as a backstop): the checkpointer
	// does, on its own connection. Its page cache is larger than readers'
	// (writerCacheKiB).
	db.w, err = sql.Open("sqlite", path+"?"+pragmas+"&_txlock=immediate"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)&_pragma=cache_size(%d)", walBackstop, -writerCacheKiB))
	if err != nil {
		return nil, fmt.Errorf("store: open writer: %w", err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)

	// The writer connects first: it creates the file and switches it to WAL
	// before any reader looks at it.
	if err := db.w.PingContext(ctx); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("store: open writer: %w", err)
	}
	if err := db.useWAL(ctx); err != nil {
		db.w.Close()
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.w.Close()
		return nil, err
	}
	// The limit is the schema's to enforce (exchanges_trim). Processes
	// sharing a file share the limit of whichever opened it last.
	if _, err := db.w.ExecContext(ctx, `INSERT INTO settings(name, value) VALUES('trace_limit', ?)
		ON CONFLICT(name) DO UPDATE SET value = excluded.value`, db.traceLimit); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("store: open: trace limit: %w", err)
	}

	db.r, err = sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	if err := db.r.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	ck, err := sql.Open("sqlite", path+"?"+pragmas)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open checkpointer: %w", err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	ck.SetConnMaxLifetime(0)
	ck.SetConnMaxIdleTime(0)
	db.startCheckpointer(ck)
	db.startWriter()
	return db, nil
}

// walWait bounds how long useWAL retries, like busy_timeout for the rest.
const walWait = 10 * time.Second

// useWAL switches the file to WAL. Switching from a fresh file's rollback
// journal reads the header under a shared lock and then needs the write
// lock; when another connection (another Open, another process) is doing
// the same, SQLite answers SQLITE_BUSY at once instead of calling the busy
// handler, since waiting while holding the shared lock could deadlock. The
// statement has let go of its lock when it fails, so trying again is safe;
// once one connection has switched the file, the others find it in WAL.
func (db *DB) useWAL(ctx context.Context) error {
	deadline := time.Now().Add(walWait)
	for pause := time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		var mode string
		err := db.w.QueryRowContext(ctx, `PRAGMA journal_mode=WAL`).Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("store: open: journal mode is %q, want wal", mode)
		case !isBusy(err) || time.Now().After(deadline):
			return fmt.Errorf("store: open: journal mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: open: journal mode: %w", ctx.Err())
		case <-time.After(pause):
		}
	}
}

func (db *DB) prepare(ctx context.Context) error {
	for _, p := range []struct {
		on  *sql.DB
		dst **sql.Stmt
		sql string
	}{
		// One statement, one commit: the number is one past the newest kept
		// exchange (a seek on the index) or past the mark ClearExchanges
		// left; the exchanges_trim trigger drops what falls off the limit.
		{db.w, &db.stAppendEx, `INSERT INTO exchanges(sandbox_id, seq, data) VALUES(?1,
			max(ifnull((SELECT max(seq) FROM exchanges WHERE sandbox_id = ?1), 0),
			    ifnull((SELECT seq FROM trace_heads WHERE sandbox_id = ?1), 0)) + 1,
			?2) RETURNING seq`},
		// The same without RETURNING, for rows nobody waits for: an Exec
		// costs less than a query with a result row to read.
		{db.w, &db.stQueueEx, `INSERT INTO exchanges(sandbox_id, seq, data) VALUES(?1,
			max(ifnull((SELECT max(seq) FROM exchanges WHERE sandbox_id = ?1), 0),
			    ifnull((SELECT seq FROM trace_heads WHERE sandbox_id = ?1), 0)) + 1,
			?2)`},
		{db.w, &db.stSaveWorld, `UPDATE sandboxes SET world = ?, world_seq = ?, updated_at = ? WHERE id = ?`},
		{db.w, &db.stTrimChanges, `DELETE FROM world_changes WHERE sandbox_id = ? AND seq <= ?`},
		// Only for an existing sandbox (0 rows: ErrNotFound), like an UPDATE.
		{db.w, &db.stAddChange, `INSERT INTO world_changes(sandbox_id, seq, data)
			SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM sandboxes WHERE id = ?1)`},
		{db.r, &db.stReadEx, `SELECT seq, data FROM exchanges WHERE sandbox_id = ?
			ORDER BY seq DESC LIMIT ?`},
		{db.w, &db.stSaveRun, saveLessonRunSQL},
		{db.w, &db.stSaveProgress, saveProgressSQL},
	} {
		st, err := p.on.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

// Close closes every statement and connection. SQLite checkpoints the WAL
// into the main file when its last connection closes.
func (db *DB) Close() error {
	db.stopWriter() // commits what is queued
	errs := []error{db.stopCheckpointer()}
	for _, st := range []*sql.Stmt{db.stAppendEx, db.stQueueEx, db.stSaveWorld, db.stTrimChanges, db.stAddChange, db.stReadEx, db.stSaveRun, db.stSaveProgress} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks that both the writer and a reader answer (for /healthz).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping writer: %w", err)
	}
	var one int
	if err := db.r.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("store: ping reader: %w", err)
	}
	return nil
}

// stamp is the clock as stored: Unix nanoseconds, UTC.
func (db *DB) stamp() int64 { return db.now().UnixNano() }

// writeFailed reports a failed write nobody waits for.
func (db *DB) writeFailed(name string, err error) {
	db.log.Warn("store: write failed", "op", name, "err", err)
}

func fromStamp(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// writerCacheKiB is the writer connection's page cache (SQLite's default is
// 2000 KiB). A full trace is 500 rows of 3-4 KB, a page each: the trim
// deletes the row 500 appends back, whose page had just fallen out of the
// default cache, so every trace row cost a read of the WAL or the file
// (2.4 preads per queue request, 1.1 with this cache). The cache fills only
// with pages the writer touches.
const writerCacheKiB = 8192
