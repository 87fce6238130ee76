package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SaveLessonRun creates or replaces the saved run of a lesson in a sandbox
// (the lesson player's history, opaque to the store). An unknown sandbox is
// ErrNotFound.
func (db *DB) SaveLessonRun(ctx context.Context, sandboxID, lessonID string, data []byte) error {
	if err := checkRun(sandboxID, lessonID, data); err != nil {
		return err
	}
	_, err := db.execStmt("save lesson run", db.stSaveRun, sandboxID, lessonID, db.stamp(), data)
	return wrap("save lesson run", err)
}

// checkRun refuses a lesson run without its sandbox, lesson or data.
func checkRun(sandboxID, lessonID string, data []byte) error {
	if sandboxID == "" || lessonID == "" || data == nil {
		return fmt.Errorf("store: save lesson run: sandbox, lesson and data required: %w", ErrInvalid)
	}
	return nil
}

// StepSave is what one run of a lesson step saves: the lesson run and,
// beside it, the learner's progress row and the member's workshop event
// (each nil when there is none).
type StepSave struct {
	SandboxID, LessonID string
	Data                []byte
	Progress            *Progress
	Event               *ProgressEvent // its Seq is set once saved
}

// StepSaveErrors are a StepSave's outcome: Run is the lesson run's, Progress
// and Event the others'. Each write stands alone, as three writes would:
// one failing undoes none of the others.
type StepSaveErrors struct{ Run, Progress, Event error }

// SaveStep saves a step's writes (SaveLessonRun, SaveProgress, AppendEvent)
// as one acknowledged write: one place in the group commit and one wait for
// it, instead of one each. It returns once they are committed.
func (db *DB) SaveStep(ctx context.Context, s StepSave) StepSaveErrors {
	var out StepSaveErrors
	out.Run = checkRun(s.SandboxID, s.LessonID, s.Data)
	var progress []any
	if s.Progress != nil {
		progress, out.Progress = db.progressArgs(*s.Progress)
	}
	e := s.Event
	if e != nil {
		if out.Event = db.readyEvent(e); out.Event != nil {
			e = nil
		}
	}
	run := out.Run == nil
	if !run && progress == nil && e == nil {
		return out
	}
	at := db.stamp()
	var runErr, progressErr, eventErr error
	// Each statement stands alone, as in three single-statement writes of
	// one batch: SQLite undoes a failing statement only, and the batch's
	// transaction goes on.
	err := db.exec("save step", false, func(tx *sql.Tx) error {
		if run {
			_, runErr = tx.Stmt(db.stSaveRun).Exec(s.SandboxID, s.LessonID, at, s.Data)
		}
		if progress != nil {
			_, progressErr = tx.Stmt(db.stSaveProgress).Exec(progress...)
		}
		if e != nil {
			eventErr = insertEvent(tx, e)
		}
		return nil
	})
	outcome := func(name string, stmtErr error) error {
		if err != nil { // not committed: none was saved
			return err
		}
		return wrap(name, stmtErr)
	}
	if run {
		out.Run = outcome("save lesson run", runErr)
	}
	if progress != nil {
		out.Progress = outcome("save progress", progressErr)
	}
	if e != nil {
		out.Event = outcome("append event", eventErr)
	}
	return out
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
