package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"fmt"
	"time"
)

// Sandbox is a sandbox's metadata; its world (the simulated cloud's state)
// is read with World or AllWorlds.
type Sandbox struct {
	ID        string
	LearnerID string // "" when no learner owns it (created with an API key only)
	// AccessKey is kept in clear so its owner can see it again; lookups go
	// through its SHA-256 (SandboxByAccessKey).
	AccessKey string
	Scenario  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const sandboxCols = `id, ifnull(learner_id, ''), access_key, scenario, created_at, updated_at`

func scanSandbox(row interface{ Scan(...any) error }) (*Sandbox, error) {
	var sb Sandbox
	var created, updated int64
	if err := row.Scan(&sb.ID, &sb.LearnerID, &sb.AccessKey, &sb.Scenario, &created, &updated); err != nil {
		return nil, err
	}
	sb.CreatedAt, sb.UpdatedAt = fromStamp(created), fromStamp(updated)
	return &sb, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateSandbox stores a new sandbox and its initial world. sb.ID and
// sb.AccessKey are required; zero timestamps are set from the store's clock
// and written back into sb. An unknown LearnerID is ErrNotFound; a taken ID
// or access key is ErrConflict.
func (db *DB) CreateSandbox(ctx context.Context, sb *Sandbox, world []byte) error {
	if sb == nil || sb.ID == "" || sb.AccessKey == "" {
		return fmt.Errorf("store: create sandbox: id and access key required: %w", ErrInvalid)
	}
	if world == nil {
		world = []byte{}
	}
	now := fromStamp(db.stamp())
	if sb.CreatedAt.IsZero() {
		sb.CreatedAt = now
	}
	if sb.UpdatedAt.IsZero() {
		sb.UpdatedAt = sb.CreatedAt
	}
	_, err := db.execSQL("create sandbox", `INSERT INTO sandboxes
		(id, learner_id, access_key, access_key_hash, scenario, created_at, updated_at, world)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?)`,
		sb.ID, nullable(sb.LearnerID), sb.AccessKey, hashKey(sb.AccessKey), sb.Scenario,
		sb.CreatedAt.UnixNano(), sb.UpdatedAt.UnixNano(), world)
	return wrap("create sandbox", err)
}

// SaveWorld replaces a sandbox's world, with every change record stored
// before it; it returns once the write is committed (see Open on
// durability). An unknown sandbox is ErrNotFound, so the sandbox row must
// exist before its world is first persisted: CreateSandbox (with a
// placeholder world such as "{}") before scenario.Build, DeleteSandbox if
// the build fails.
func (db *DB) SaveWorld(ctx context.Context, id string, world []byte) error {
	return db.QueueWorld(id, world, -1)()
}

// QueueWorld queues the replacement of a sandbox's world by one that
// includes every change record up to seq (-1: every record stored), and
// returns a function waiting for its commit (ErrNotFound for an unknown
// sandbox). With QueueChange it implements world.Persister: writes commit in
// the order they were queued, many requests' writes in one transaction.
func (db *DB) QueueWorld(id string, world []byte, seq int64) (wait func() error) {
	if world == nil {
		world = []byte{}
	}
	return db.queue("save world", true, func(tx *sql.Tx) error {
		upTo := seq
		if upTo < 0 {
			if err := tx.QueryRow(`SELECT ifnull(max(seq), 0) FROM world_changes WHERE sandbox_id = ?`, id).Scan(&upTo); err != nil {
				return wrap("save world", err)
			}
		}
		res, err := tx.Stmt(db.stSaveWorld).Exec(world, upTo, db.stamp(), id)
		if err := affected("save world", res, err); err != nil {
			return err
		}
		_, err = tx.Stmt(db.stTrimChanges).Exec(id, upTo)
		return wrap("save world", err)
	})
}

// QueueChange queues a change record numbered seq on top of a sandbox's
// stored world, and returns a function waiting for its commit (ErrNotFound
// for an unknown sandbox).
func (db *DB) QueueChange(id string, seq int64, change []byte) (wait func() error) {
	return db.queue("save change", false, func(tx *sql.Tx) error {
		res, err := tx.Stmt(db.stAddChange).Exec(id, seq, change)
		return affected("save change", res, err)
	})
}

// queue submits a write of a world (its state or a change record) and
// returns a function waiting for its outcome. No trace row touches a world,
// so the write does not wait for the trace rows queued before it.
func (db *DB) queue(name string, multi bool, run func(tx *sql.Tx) error) func() error {
	o := &op{name: name, run: run, multi: multi, done: make(chan error, 1), unordered: true}
	if err := db.submit(o); err != nil {
		return func() error { return err }
	}
	return func() error { return <-o.done }
}

// WorldLog is what a restore applies on top of a stored world: the change
// records stored after it, oldest first, and the highest sequence number the
// sandbox has (the world's or its last record's).
type WorldLog struct {
	Changes [][]byte
	Seq     int64
}

// WorldLogs returns every sandbox's WorldLog by sandbox ID (start-up
// restore, with AllWorlds).
func (db *DB) WorldLogs(ctx context.Context) (map[string]WorldLog, error) {
	out := map[string]WorldLog{}
	rows, err := db.r.QueryContext(ctx, `SELECT id, world_seq FROM sandboxes`)
	if err != nil {
		return nil, wrap("world logs", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, wrap("world logs", err)
		}
		out[id] = WorldLog{Seq: seq}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("world logs", err)
	}
	changes, err := db.r.QueryContext(ctx, `SELECT c.sandbox_id, c.seq, c.data FROM world_changes c
		JOIN sandboxes s ON s.id = c.sandbox_id AND c.seq > s.world_seq ORDER BY c.sandbox_id, c.seq`)
	if err != nil {
		return nil, wrap("world logs", err)
	}
	defer changes.Close()
	for changes.Next() {
		var id string
		var seq int64
		var data []byte
		if err := changes.Scan(&id, &seq, &data); err != nil {
			return nil, wrap("world logs", err)
		}
		l := out[id]
		l.Changes = append(l.Changes, data)
		l.Seq = max(l.Seq, seq)
		out[id] = l
	}
	return out, wrap("world logs", changes.Err())
}

// Sandbox returns a sandbox's metadata, or ErrNotFound.
func (db *DB) Sandbox(ctx context.Context, id string) (*Sandbox, error) {
	sb, err := scanSandbox(db.r.QueryRowContext(ctx, `SELECT `+sandboxCols+` FROM sandboxes WHERE id = ?`, id))
	if err != nil {
		return nil, wrap("sandbox", err)
	}
	return sb, nil
}

// SandboxMeta is Sandbox without UpdatedAt (zero), whose other fields
// never change: answered from memory after the first read, for the
// access check of every request to a sandbox's pages.
func (db *DB) SandboxMeta(ctx context.Context, id string) (*Sandbox, error) {
	sb, ok, gen := db.sandboxMeta.get(id)
	if !ok {
		var err error
		sb, err = db.Sandbox(ctx, id)
		if err != nil {
			return nil, err
		}
		sb.UpdatedAt = time.Time{}
		db.sandboxMeta.put(id, sb, gen)
	}
	c := *sb
	return &c, nil
}

// SandboxByAccessKey returns the sandbox whose access key is key, or
// ErrNotFound. The lookup is by SHA-256 of the key, then the stored key is
// compared in constant time, so response timing says nothing about how
// close a guess was.
func (db *DB) SandboxByAccessKey(ctx context.Context, key string) (*Sandbox, error) {
	if key == "" {
		return nil, fmt.Errorf("store: sandbox by access key: %w", ErrNotFound)
	}
	sb, err := scanSandbox(db.r.QueryRowContext(ctx,
		`SELECT `+sandboxCols+` FROM sandboxes WHERE access_key_hash = ?`, hashKey(key)))
	if err != nil {
		return nil, wrap("sandbox by access key", err)
	}
	if subtle.ConstantTimeCompare([]byte(sb.AccessKey), []byte(key)) != 1 {
		return nil, fmt.Errorf("store: sandbox by access key: %w", ErrNotFound)
	}
	return sb, nil
}

// SandboxesByLearner returns a learner's sandboxes, oldest first. A learner
// without sandboxes (or an unknown one) gets an empty list.
func (db *DB) SandboxesByLearner(ctx context.Context, learnerID string) ([]Sandbox, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+sandboxCols+` FROM sandboxes
		WHERE learner_id = ? ORDER BY created_at, id`, learnerID)
	if err != nil {
		return nil, wrap("sandboxes by learner", err)
	}
	defer rows.Close()
	out := []Sandbox{}
	for rows.Next() {
		sb, err := scanSandbox(rows)
		if err != nil {
			return nil, wrap("sandboxes by learner", err)
		}
		out = append(out, *sb)
	}
	return out, wrap("sandboxes by learner", rows.Err())
}

// World returns one sandbox's world, or ErrNotFound.
func (db *DB) World(ctx context.Context, id string) ([]byte, error) {
	var w []byte
	if err := db.r.QueryRowContext(ctx, `SELECT world FROM sandboxes WHERE id = ?`, id).Scan(&w); err != nil {
		return nil, wrap("world", err)
	}
	return w, nil
}

// AllWorlds returns every sandbox's world by sandbox ID (start-up restore).
func (db *DB) AllWorlds(ctx context.Context) (map[string][]byte, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, world FROM sandboxes`)
	if err != nil {
		return nil, wrap("all worlds", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var w []byte
		if err := rows.Scan(&id, &w); err != nil {
			return nil, wrap("all worlds", err)
		}
		out[id] = w
	}
	return out, wrap("all worlds", rows.Err())
}

// DeleteSandbox deletes a sandbox with its traces and progress (foreign-key
// cascades), or returns ErrNotFound.
//
// It goes through the writer, after the writes queued before it, so a
// late trace row or change of the sandbox cannot outlive it.
func (db *DB) DeleteSandbox(ctx context.Context, id string) error {
	defer db.memberBySandbox.forget() // the member's sandbox_id is set NULL
	defer db.sandboxMeta.forget()
	return db.exec("delete sandbox", false, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sandboxes WHERE id = ?`, id)
		return affected("delete sandbox", res, err)
	})
}
