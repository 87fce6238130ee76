package store

import (
	"context"
	"crypto/subtle"
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
	_, err := db.w.ExecContext(ctx, `INSERT INTO sandboxes
		(id, learner_id, access_key, access_key_hash, scenario, created_at, updated_at, world)
		VALUES(?, ?, ?, ?, ?, ?, ?, ?)`,
		sb.ID, nullable(sb.LearnerID), sb.AccessKey, hashKey(sb.AccessKey), sb.Scenario,
		sb.CreatedAt.UnixNano(), sb.UpdatedAt.UnixNano(), world)
	return wrap("create sandbox", err)
}

// SaveWorld replaces a sandbox's world. It implements world.Persister: it
// returns only once the write is committed (see Open on durability). An
// unknown sandbox is ErrNotFound, so the sandbox row must exist before its
// world is first persisted: CreateSandbox (with a placeholder world such as
// "{}") before scenario.Build, DeleteSandbox if the build fails.
func (db *DB) SaveWorld(ctx context.Context, id string, world []byte) error {
	if world == nil {
		world = []byte{}
	}
	res, err := db.stSaveWorld.ExecContext(ctx, world, db.stamp(), id)
	return affected("save world", res, err)
}

// Sandbox returns a sandbox's metadata, or ErrNotFound.
func (db *DB) Sandbox(ctx context.Context, id string) (*Sandbox, error) {
	sb, err := scanSandbox(db.r.QueryRowContext(ctx, `SELECT `+sandboxCols+` FROM sandboxes WHERE id = ?`, id))
	if err != nil {
		return nil, wrap("sandbox", err)
	}
	return sb, nil
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
func (db *DB) DeleteSandbox(ctx context.Context, id string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM sandboxes WHERE id = ?`, id)
	return affected("delete sandbox", res, err)
}
