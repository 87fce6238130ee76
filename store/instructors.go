package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Instructor runs workshops. They sign in with a one-time link printed by
// "sandbox instructor add"; the store keeps only hashes of the link's token
// and of the browser session it becomes.
type Instructor struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// maxInstructorName bounds a name (it is shown on every dashboard).
const maxInstructorName = 80

// AddInstructor creates the instructor named name, or gives an existing one
// (also a removed one) a new sign-in link: linkToken replaces any link not
// used yet. Only the token's SHA-256 is stored.
func (db *DB) AddInstructor(ctx context.Context, name, linkToken string) (*Instructor, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxInstructorName || linkToken == "" {
		return nil, fmt.Errorf("store: add instructor: name (1-%d characters) and link required: %w", maxInstructorName, ErrInvalid)
	}
	in := &Instructor{ID: newID(), Name: name, CreatedAt: fromStamp(db.stamp())}
	// A re-added instructor keeps their ID and first date: RETURNING gives
	// the stored row, not the one offered.
	var at int64
	err := db.w.QueryRowContext(ctx, `INSERT INTO instructors(id, name, link_hash, created_at) VALUES(?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET link_hash = excluded.link_hash, removed_at = NULL
		RETURNING id, name, created_at`,
		in.ID, in.Name, hashKey(linkToken), in.CreatedAt.UnixNano()).Scan(&in.ID, &in.Name, &at)
	if err != nil {
		return nil, wrap("add instructor", err)
	}
	in.CreatedAt = fromStamp(at)
	return in, nil
}

// RemoveInstructor revokes an instructor: the unused link and every signed-in
// session stop working. Their workshops and their progress stay.
func (db *DB) RemoveInstructor(ctx context.Context, name string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE instructors SET link_hash = NULL, session_hash = NULL, removed_at = ?
		WHERE name = ? AND removed_at IS NULL`, db.stamp(), strings.TrimSpace(name))
	return affected("remove instructor", res, err)
}

// Instructors lists the instructors who are not removed, by name.
func (db *DB) Instructors(ctx context.Context) ([]Instructor, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, created_at FROM instructors WHERE removed_at IS NULL ORDER BY name`)
	if err != nil {
		return nil, wrap("instructors", err)
	}
	defer rows.Close()
	var out []Instructor
	for rows.Next() {
		var in Instructor
		var at int64
		if err := rows.Scan(&in.ID, &in.Name, &at); err != nil {
			return nil, wrap("instructors", err)
		}
		in.CreatedAt = fromStamp(at)
		out = append(out, in)
	}
	return out, wrap("instructors", rows.Err())
}

// RedeemInstructorLink signs an instructor in: the link's token is used up
// (a second use is ErrNotFound) and sessionToken becomes their browser
// session, replacing an earlier one.
func (db *DB) RedeemInstructorLink(ctx context.Context, linkToken, sessionToken string) (*Instructor, error) {
	if linkToken == "" || sessionToken == "" {
		return nil, fmt.Errorf("store: redeem instructor link: %w", ErrNotFound)
	}
	var in Instructor
	var at int64
	err := db.w.QueryRowContext(ctx, `UPDATE instructors SET link_hash = NULL, session_hash = ?
		WHERE link_hash = ? AND removed_at IS NULL RETURNING id, name, created_at`,
		hashKey(sessionToken), hashKey(linkToken)).Scan(&in.ID, &in.Name, &at)
	if err != nil {
		return nil, wrap("redeem instructor link", err)
	}
	in.CreatedAt = fromStamp(at)
	return &in, nil
}

// InstructorBySession returns the signed-in instructor of a session token,
// or ErrNotFound (also for a removed instructor).
func (db *DB) InstructorBySession(ctx context.Context, sessionToken string) (*Instructor, error) {
	if sessionToken == "" {
		return nil, fmt.Errorf("store: instructor by session: %w", ErrNotFound)
	}
	var in Instructor
	var at int64
	err := db.r.QueryRowContext(ctx, `SELECT id, name, created_at FROM instructors
		WHERE session_hash = ? AND removed_at IS NULL`, hashKey(sessionToken)).Scan(&in.ID, &in.Name, &at)
	if err != nil {
		return nil, wrap("instructor by session", err)
	}
	in.CreatedAt = fromStamp(at)
	return &in, nil
}
