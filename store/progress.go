package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Progress is a learner's progress in one lesson, in one sandbox ("" when
// the lesson is not tied to a sandbox). SaveProgress replaces the row for
// (LearnerID, LessonID, SandboxID).
type Progress struct {
	LearnerID string
	LessonID  string
	SandboxID string
	StepsDone []string
	GoalMet   bool
	UpdatedAt time.Time
}

// SaveProgress creates or replaces a progress row. A zero UpdatedAt is set
// from the store's clock. An unknown learner or sandbox is ErrNotFound.
func (db *DB) SaveProgress(ctx context.Context, p Progress) error {
	args, err := db.progressArgs(p)
	if err != nil {
		return err
	}
	_, err = db.execStmt("save progress", db.stSaveProgress, args...)
	return wrap("save progress", err)
}

// progressArgs are saveProgressSQL's arguments for p.
func (db *DB) progressArgs(p Progress) ([]any, error) {
	if p.LearnerID == "" || p.LessonID == "" {
		return nil, fmt.Errorf("store: save progress: learner and lesson required: %w", ErrInvalid)
	}
	steps := p.StepsDone
	if steps == nil {
		steps = []string{}
	}
	js, err := json.Marshal(steps)
	if err != nil {
		return nil, fmt.Errorf("store: save progress: %w", err)
	}
	at := p.UpdatedAt.UnixNano()
	if p.UpdatedAt.IsZero() {
		at = db.stamp()
	}
	return []any{p.LearnerID, p.LessonID, nullable(p.SandboxID), string(js), p.GoalMet, at}, nil
}

// No conflict target: the only unique constraint is progress_key, an
// expression index (NULL sandbox = "no sandbox" must still be unique).
const saveProgressSQL = `INSERT INTO progress(learner_id, lesson_id, sandbox_id, steps_done, goal_met, updated_at)
	VALUES(?, ?, ?, ?, ?, ?)
	ON CONFLICT DO UPDATE SET steps_done = excluded.steps_done, goal_met = excluded.goal_met,
		updated_at = excluded.updated_at`

// ProgressByLearner returns a learner's progress rows, least recently
// updated first.
func (db *DB) ProgressByLearner(ctx context.Context, learnerID string) ([]Progress, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT lesson_id, ifnull(sandbox_id, ''), steps_done, goal_met, updated_at
		FROM progress WHERE learner_id = ? ORDER BY updated_at, lesson_id, sandbox_id`, learnerID)
	if err != nil {
		return nil, wrap("progress by learner", err)
	}
	defer rows.Close()
	out := []Progress{}
	for rows.Next() {
		p := Progress{LearnerID: learnerID}
		var steps string
		var at int64
		if err := rows.Scan(&p.LessonID, &p.SandboxID, &steps, &p.GoalMet, &at); err != nil {
			return nil, wrap("progress by learner", err)
		}
		if err := json.Unmarshal([]byte(steps), &p.StepsDone); err != nil {
			return nil, fmt.Errorf("store: progress by learner: steps of %s: %w", p.LessonID, err)
		}
		p.UpdatedAt = fromStamp(at)
		out = append(out, p)
	}
	return out, wrap("progress by learner", rows.Err())
}
