package store

import (
	"context"
	"fmt"
)

// PutAzureSandbox creates or replaces a real-mode sandbox's state.
func (db *DB) PutAzureSandbox(ctx context.Context, id string, data []byte) error {
	if id == "" || len(data) == 0 {
		return fmt.Errorf("store: put azure sandbox: empty id or data: %w", ErrInvalid)
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO azure_sandboxes(id, updated_at, data) VALUES(?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data`,
		id, db.stamp(), data)
	return wrap("put azure sandbox "+id, err)
}

// PutAzureSandboxes creates or replaces several real-mode sandboxes' states
// in one transaction.
func (db *DB) PutAzureSandboxes(ctx context.Context, rows map[string][]byte) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("put azure sandboxes", err)
	}
	defer tx.Rollback()
	now := db.stamp()
	for id, data := range rows {
		if id == "" || len(data) == 0 {
			return fmt.Errorf("store: put azure sandboxes: empty id or data: %w", ErrInvalid)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO azure_sandboxes(id, updated_at, data) VALUES(?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data`, id, now, data); err != nil {
			return wrap("put azure sandboxes", err)
		}
	}
	return wrap("put azure sandboxes", tx.Commit())
}

// DeleteAzureSandbox forgets a real-mode sandbox (its resources are gone).
func (db *DB) DeleteAzureSandbox(ctx context.Context, id string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM azure_sandboxes WHERE id = ?`, id)
	return wrap("delete azure sandbox "+id, err)
}

// AzureSandboxes returns every real-mode sandbox's state by ID.
func (db *DB) AzureSandboxes(ctx context.Context) (map[string][]byte, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, data FROM azure_sandboxes`)
	if err != nil {
		return nil, wrap("azure sandboxes", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return nil, wrap("azure sandboxes", err)
		}
		out[id] = data
	}
	return out, wrap("azure sandboxes", rows.Err())
}
