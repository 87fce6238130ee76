package store

import (
	"context"
	"fmt"
)

// SaveLessonRun creates or replaces the saved run of a lesson in a sandbox
// (the lesson player's history, opaque to the store). An unknown sandbox is
// ErrNotFound.
func (db *DB) SaveLessonRun(ctx context.Context, sandboxID, lessonID string, data []byte) error {
	if sandboxID == "" || lessonID == "" || data == nil {
		return fmt.Errorf("store: save lesson run: sandbox, lesson and data required: %w", ErrInvalid)
	}
	_, err := db.execStmt("save lesson run", db.stSaveRun, sandboxID, lessonID, db.stamp(), data)
	return wrap("save lesson run", err)
}

const saveLessonRunSQL = `INSERT INTO lesson_runs(sandbox_id, lesson_id, updated_at, data) VALUES(?, ?, ?, ?)
	ON CONFLICT(sandbox_id, lesson_id) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data`

// LessonRun returns the saved run of a lesson in a sandbox; ErrNotFound when
// there is none.
func (db *DB) LessonRun(ctx context.Context, sandboxID, lessonID string) ([]byte, error) {
	var data []byte
	err := db.r.QueryRowContext(ctx, `SELECT data FROM lesson_runs WHERE sandbox_id = ? AND lesson_id = ?`,
		sandboxID, lessonID).Scan(&data)
	if err != nil {
		return nil, wrap("lesson run", err)
	}
	return data, nil
}

// DeleteLessonRuns forgets every saved lesson run of a sandbox (it was
// reset). Deleting none is not an error.
func (db *DB) DeleteLessonRuns(ctx context.Context, sandboxID string) error {
	_, err := db.execSQL("delete lesson runs", `DELETE FROM lesson_runs WHERE sandbox_id = ?`, sandboxID)
	return wrap("delete lesson runs", err)
}
