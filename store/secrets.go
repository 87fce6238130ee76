package store

import (
	"context"
	"fmt"
)

// Secret returns a server secret (CA key, token-signing keys), or
// ErrNotFound. The value is stored as given: the data directory is the
// server's own and must be protected like its keys (it is created 0700).
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	if err := db.r.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v); err != nil {
		return nil, wrap("secret "+name, err)
	}
	return v, nil
}

// PutSecret creates or replaces a server secret.
func (db *DB) PutSecret(ctx context.Context, name string, value []byte) error {
	if name == "" {
		return fmt.Errorf("store: put secret: empty name: %w", ErrInvalid)
	}
	if value == nil {
		value = []byte{} // NOT NULL column; an empty secret is still a secret
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO secrets(name, value, updated_at) VALUES(?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, db.stamp())
	return wrap("put secret "+name, err)
}
