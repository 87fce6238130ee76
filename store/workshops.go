package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Workshop is a class an instructor runs: lessons in order, one scenario for
// every learner's sandbox, a join code.
type Workshop struct {
	ID           string
	InstructorID string
	Title        string
	Lessons      []string
	Scenario     string
	JoinCode     string
	// StuckAfter is how long without progress marks a learner stuck.
	StuckAfter time.Duration
	// EndsAt is when joining stops (zero: no end time).
	EndsAt time.Time
	// EndedAt is when the instructor ended it (zero: still running).
	EndedAt time.Time
	// CurrentLesson is where the instructor moved the class ("" = the first).
	CurrentLesson string
	// PresenterSandbox is the instructor's own sandbox for the projector.
	PresenterSandbox string
	// Notice is the instructor's last message to the class, sent at
	// NoticeAt ("" and zero: none).
	Notice    string
	NoticeAt  time.Time
	CreatedAt time.Time
}

// Member is a learner in a workshop under a display name unique in it.
type Member struct {
	ID          string
	WorkshopID  string
	LearnerID   string
	DisplayName string
	SandboxID   string // "" once the workshop ended (the sandbox is deleted)
	JoinedAt    time.Time
}

// ProgressEvent is one thing a member did or had done to their sandbox.
type ProgressEvent struct {
	Seq        int64
	WorkshopID string
	MemberID   string
	At         time.Time
	// Kind is "join", "step", "action" (a panel action or a fix), "fault"
	// (injected by the instructor), "reset" or "lesson" (moved by the
	// instructor).
	Kind     string
	LessonID string
	StepID   string
	OK       bool
	GoalMet  bool
	Outcome  string
}

const workshopCols = `id, instructor_id, title, lessons, scenario, join_code, stuck_after_secs,
	ifnull(ends_at, 0), ifnull(ended_at, 0), current_lesson, ifnull(presenter_sandbox, ''), notice,
	ifnull(notice_at, 0), created_at`

func scanWorkshop(row interface{ Scan(...any) error }) (*Workshop, error) {
	var w Workshop
	var lessons string
	var stuck, ends, ended, noticeAt, created int64
	if err := row.Scan(&w.ID, &w.InstructorID, &w.Title, &lessons, &w.Scenario, &w.JoinCode, &stuck,
		&ends, &ended, &w.CurrentLesson, &w.PresenterSandbox, &w.Notice, &noticeAt, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(lessons), &w.Lessons); err != nil {
		return nil, fmt.Errorf("lessons of workshop %s: %w", w.ID, err)
	}
	w.StuckAfter = time.Duration(stuck) * time.Second
	if ends != 0 {
		w.EndsAt = fromStamp(ends)
	}
	if ended != 0 {
		w.EndedAt = fromStamp(ended)
	}
	if noticeAt != 0 {
		w.NoticeAt = fromStamp(noticeAt)
	}
	w.CreatedAt = fromStamp(created)
	return &w, nil
}

func stampOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// CreateWorkshop stores a new workshop; an empty ID is generated. A join
// code already in use is ErrConflict (the caller draws another).
func (db *DB) CreateWorkshop(ctx context.Context, w *Workshop) error {
	if w.InstructorID == "" || w.Title == "" || len(w.Lessons) == 0 || w.JoinCode == "" || w.Scenario == "" {
		return fmt.Errorf("store: create workshop: instructor, title, lessons, scenario and join code required: %w", ErrInvalid)
	}
	if w.ID == "" {
		w.ID = newID()
	}
	js, err := json.Marshal(w.Lessons)
	if err != nil {
		return fmt.Errorf("store: create workshop: %w", err)
	}
	w.CreatedAt = fromStamp(db.stamp())
	_, err = db.w.ExecContext(ctx, `INSERT INTO workshops(id, instructor_id, title, lessons, scenario, join_code,
		stuck_after_secs, ends_at, current_lesson, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.InstructorID, w.Title, string(js), w.Scenario, w.JoinCode, int64(w.StuckAfter/time.Second),
		stampOrNull(w.EndsAt), w.CurrentLesson, w.CreatedAt.UnixNano())
	return wrap("create workshop", err)
}

// Workshop returns a workshop by ID, or ErrNotFound.
func (db *DB) Workshop(ctx context.Context, id string) (*Workshop, error) {
	w, err := scanWorkshop(db.r.QueryRowContext(ctx, `SELECT `+workshopCols+` FROM workshops WHERE id = ?`, id))
	if err != nil {
		return nil, wrap("workshop", err)
	}
	return w, nil
}

// WorkshopByCode returns the workshop of a join code, or ErrNotFound.
func (db *DB) WorkshopByCode(ctx context.Context, code string) (*Workshop, error) {
	w, err := scanWorkshop(db.r.QueryRowContext(ctx, `SELECT `+workshopCols+` FROM workshops WHERE join_code = ?`, code))
	if err != nil {
		return nil, wrap("workshop by code", err)
	}
	return w, nil
}

// WorkshopsByInstructor lists an instructor's workshops, newest first.
func (db *DB) WorkshopsByInstructor(ctx context.Context, instructorID string) ([]Workshop, error) {
	return db.queryWorkshops(ctx, "workshops by instructor", `WHERE instructor_id = ?
		ORDER BY created_at DESC, id`, instructorID)
}

// queryWorkshops lists the workshops a WHERE (and ORDER BY) clause selects.
func (db *DB) queryWorkshops(ctx context.Context, name, where string, args ...any) ([]Workshop, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+workshopCols+` FROM workshops `+where, args...)
	if err != nil {
		return nil, wrap(name, err)
	}
	defer rows.Close()
	var out []Workshop
	for rows.Next() {
		w, err := scanWorkshop(rows)
		if err != nil {
			return nil, wrap(name, err)
		}
		out = append(out, *w)
	}
	return out, wrap(name, rows.Err())
}

// SetWorkshopLesson records where the instructor moved the class.
func (db *DB) SetWorkshopLesson(ctx context.Context, id, lessonID string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE workshops SET current_lesson = ? WHERE id = ?`, lessonID, id)
	return affected("set workshop lesson", res, err)
}

// SetWorkshopNotice records the instructor's message to the class.
func (db *DB) SetWorkshopNotice(ctx context.Context, id, message string, at time.Time) error {
	res, err := db.w.ExecContext(ctx, `UPDATE workshops SET notice = ?, notice_at = ? WHERE id = ?`,
		message, stampOrNull(at), id)
	return affected("set workshop notice", res, err)
}

// DueWorkshops lists the running workshops whose end time is at or before
// now (the scheduler ends them).
func (db *DB) DueWorkshops(ctx context.Context, now time.Time) ([]Workshop, error) {
	return db.queryWorkshops(ctx, "due workshops",
		`WHERE ended_at IS NULL AND ends_at IS NOT NULL AND ends_at <= ? ORDER BY ends_at, id`, now.UnixNano())
}

// SetPresenterSandbox records the instructor's own sandbox of a workshop.
func (db *DB) SetPresenterSandbox(ctx context.Context, id, sandboxID string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE workshops SET presenter_sandbox = ? WHERE id = ?`, sandboxID, id)
	return affected("set presenter sandbox", res, err)
}

// EndWorkshop marks a workshop ended (its join code stops working). The
// caller deletes the sandboxes; members and events stay.
func (db *DB) EndWorkshop(ctx context.Context, id string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE workshops SET ended_at = ? WHERE id = ? AND ended_at IS NULL`, db.stamp(), id)
	return affected("end workshop", res, err)
}

const memberCols = `id, workshop_id, learner_id, display_name, ifnull(sandbox_id, ''), joined_at`

func scanMember(row interface{ Scan(...any) error }) (*Member, error) {
	var m Member
	var at int64
	if err := row.Scan(&m.ID, &m.WorkshopID, &m.LearnerID, &m.DisplayName, &m.SandboxID, &at); err != nil {
		return nil, err
	}
	m.JoinedAt = fromStamp(at)
	return &m, nil
}

// AddMember adds a learner to a workshop; an empty ID is generated. A
// display name already taken in the workshop (case-insensitively), or a
// learner already in it, is ErrConflict.
func (db *DB) AddMember(ctx context.Context, m *Member) error {
	return db.addMember(m, nil)
}

// JoinMember is AddMember with the member's first event (e: its kind and
// time; the workshop and member are set) in the same commit: a class joins
// at once, and this is one commit wait instead of two.
func (db *DB) JoinMember(ctx context.Context, m *Member, e *ProgressEvent) error {
	if e == nil || e.Kind == "" {
		return fmt.Errorf("store: join member: an event with a kind required: %w", ErrInvalid)
	}
	return db.addMember(m, e)
}

func (db *DB) addMember(m *Member, e *ProgressEvent) error {
	if m.WorkshopID == "" || m.LearnerID == "" || m.DisplayName == "" {
		return fmt.Errorf("store: add member: workshop, learner and name required: %w", ErrInvalid)
	}
	if m.ID == "" {
		m.ID = newID()
	}
	m.JoinedAt = fromStamp(db.stamp())
	if e != nil {
		e.WorkshopID, e.MemberID = m.WorkshopID, m.ID
		if e.At.IsZero() {
			e.At = m.JoinedAt
		}
	}
	defer db.memberBySandbox.forget()
	return db.exec("add member", e != nil, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO workshop_members(id, workshop_id, learner_id, display_name, sandbox_id, joined_at)
		VALUES(?, ?, ?, ?, ?, ?)`, m.ID, m.WorkshopID, m.LearnerID, m.DisplayName, nullable(m.SandboxID), m.JoinedAt.UnixNano())
		if err != nil || e == nil {
			return wrap("add member", err)
		}
		return wrap("add member", insertEvent(tx, e))
	})
}

// SetMemberSandbox ties a member to their sandbox.
func (db *DB) SetMemberSandbox(ctx context.Context, memberID, sandboxID string) error {
	defer db.memberBySandbox.forget()
	return db.exec("set member sandbox", false, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE workshop_members SET sandbox_id = ? WHERE id = ?`, nullable(sandboxID), memberID)
		return affected("set member sandbox", res, err)
	})
}

// Member returns a member of a workshop, or ErrNotFound (also for a member
// of another workshop).
func (db *DB) Member(ctx context.Context, workshopID, memberID string) (*Member, error) {
	m, err := scanMember(db.r.QueryRowContext(ctx, `SELECT `+memberCols+` FROM workshop_members
		WHERE workshop_id = ? AND id = ?`, workshopID, memberID))
	if err != nil {
		return nil, wrap("member", err)
	}
	return m, nil
}

// MemberByLearner returns the learner's membership in a workshop, or
// ErrNotFound.
func (db *DB) MemberByLearner(ctx context.Context, workshopID, learnerID string) (*Member, error) {
	m, err := scanMember(db.r.QueryRowContext(ctx, `SELECT `+memberCols+` FROM workshop_members
		WHERE workshop_id = ? AND learner_id = ?`, workshopID, learnerID))
	if err != nil {
		return nil, wrap("member by learner", err)
	}
	return m, nil
}

// MemberBySandbox returns the member whose sandbox this is, or ErrNotFound
// (a sandbox outside every workshop).
func (db *DB) MemberBySandbox(ctx context.Context, sandboxID string) (*Member, error) {
	m, ok, gen := db.memberBySandbox.get(sandboxID)
	if !ok {
		var err error
		m, err = scanMember(db.r.QueryRowContext(ctx, `SELECT `+memberCols+` FROM workshop_members
		WHERE sandbox_id = ?`, sandboxID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			m = nil
		case err != nil:
			return nil, wrap("member by sandbox", err)
		}
		db.memberBySandbox.put(sandboxID, m, gen)
	}
	if m == nil {
		return nil, wrap("member by sandbox", sql.ErrNoRows)
	}
	c := *m
	return &c, nil
}

// Members lists a workshop's members in join order.
func (db *DB) Members(ctx context.Context, workshopID string) ([]Member, error) {
	return db.queryMembers(ctx, "members", `WHERE workshop_id = ? ORDER BY joined_at, id`, workshopID)
}

// queryMembers lists the members a WHERE (and ORDER BY) clause selects.
func (db *DB) queryMembers(ctx context.Context, name, where string, args ...any) ([]Member, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+memberCols+` FROM workshop_members `+where, args...)
	if err != nil {
		return nil, wrap(name, err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, wrap(name, err)
		}
		out = append(out, *m)
	}
	return out, wrap(name, rows.Err())
}

// MembershipsByLearner lists the learner's memberships, newest first.
func (db *DB) MembershipsByLearner(ctx context.Context, learnerID string) ([]Member, error) {
	return db.queryMembers(ctx, "memberships by learner", `WHERE learner_id = ? ORDER BY joined_at DESC, id`, learnerID)
}

// AppendEvent records a member's progress event and sets its Seq (and At,
// when zero, from the store's clock).
func (db *DB) AppendEvent(ctx context.Context, e *ProgressEvent) error {
	if err := db.readyEvent(e); err != nil {
		return err
	}
	// The group commit: every learner's step appends one.
	return db.exec("append event", false, func(tx *sql.Tx) error {
		return wrap("append event", insertEvent(tx, e))
	})
}

// readyEvent refuses an event without its workshop, member or kind, and
// sets a zero At from the store's clock.
func (db *DB) readyEvent(e *ProgressEvent) error {
	if e.WorkshopID == "" || e.MemberID == "" || e.Kind == "" {
		return fmt.Errorf("store: append event: workshop, member and kind required: %w", ErrInvalid)
	}
	if e.At.IsZero() {
		e.At = fromStamp(db.stamp())
	}
	return nil
}

func insertEvent(tx *sql.Tx, e *ProgressEvent) error {
	return tx.QueryRow(`INSERT INTO progress_events(workshop_id, member_id, at, kind, lesson_id, step_id,
		ok, goal_met, outcome) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		e.WorkshopID, e.MemberID, e.At.UnixNano(), e.Kind, e.LessonID, e.StepID, e.OK, e.GoalMet, e.Outcome).Scan(&e.Seq)
}

// Events returns a workshop's events, oldest first.
func (db *DB) Events(ctx context.Context, workshopID string) ([]ProgressEvent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT seq, member_id, at, kind, lesson_id, step_id, ok, goal_met, outcome
		FROM progress_events WHERE workshop_id = ? ORDER BY seq`, workshopID)
	if err != nil {
		return nil, wrap("events", err)
	}
	defer rows.Close()
	var out []ProgressEvent
	for rows.Next() {
		e := ProgressEvent{WorkshopID: workshopID}
		var at int64
		if err := rows.Scan(&e.Seq, &e.MemberID, &at, &e.Kind, &e.LessonID, &e.StepID, &e.OK, &e.GoalMet, &e.Outcome); err != nil {
			return nil, wrap("events", err)
		}
		e.At = fromStamp(at)
		out = append(out, e)
	}
	return out, wrap("events", rows.Err())
}
