package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Learner is an anonymous learner, known by a session cookie.
type Learner struct {
	ID          string
	DisplayName string
	CreatedAt   time.Time
	// CodeLanguage is the language the learner reads code steps in ("" =
	// each step's first).
	CodeLanguage string
}

// newID returns 128 random bits in hex: opaque, unguessable, URL-safe.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand documents it)
	return hex.EncodeToString(b[:])
}

// hashKey is what the store keeps of a bearer secret (session token, access
// key): looking a row up by the hash means the secret's bytes are never
// compared in a data-dependent way and a copy of the database cannot be
// replayed as a cookie.
func hashKey(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// CreateLearner creates a learner identified by sessionToken (only its
// SHA-256 is stored). A token already in use is ErrConflict.
func (db *DB) CreateLearner(ctx context.Context, sessionToken string) (*Learner, error) {
	if sessionToken == "" {
		return nil, fmt.Errorf("store: create learner: empty session token: %w", ErrInvalid)
	}
	l := &Learner{ID: newID(), CreatedAt: fromStamp(db.stamp())}
	_, err := db.execSQL("create learner",
		`INSERT INTO learners(id, session_hash, display_name, created_at) VALUES(?, ?, '', ?)`,
		l.ID, hashKey(sessionToken), l.CreatedAt.UnixNano())
	if err != nil {
		return nil, wrap("create learner", err)
	}
	return l, nil
}

// LearnerBySession returns the learner of a session token, or ErrNotFound.
func (db *DB) LearnerBySession(ctx context.Context, sessionToken string) (*Learner, error) {
	if sessionToken == "" {
		return nil, fmt.Errorf("store: learner by session: %w", ErrNotFound)
	}
	hash := hashKey(sessionToken)
	l, ok, gen := db.learnerBySession.get(string(hash))
	if ok {
		return &l, nil
	}
	var created int64
	err := db.r.QueryRowContext(ctx,
		`SELECT id, display_name, created_at, code_language FROM learners WHERE session_hash = ?`,
		hash).Scan(&l.ID, &l.DisplayName, &created, &l.CodeLanguage)
	if err != nil {
		return nil, wrap("learner by session", err)
	}
	l.CreatedAt = fromStamp(created)
	db.learnerBySession.put(string(hash), l, gen)
	return &l, nil
}

// Learner returns a learner by ID, or ErrNotFound.
func (db *DB) Learner(ctx context.Context, id string) (*Learner, error) {
	var l Learner
	var created int64
	err := db.r.QueryRowContext(ctx,
		`SELECT id, display_name, created_at, code_language FROM learners WHERE id = ?`, id).
		Scan(&l.ID, &l.DisplayName, &created, &l.CodeLanguage)
	if err != nil {
		return nil, wrap("learner", err)
	}
	l.CreatedAt = fromStamp(created)
	return &l, nil
}

// SetDisplayName sets a learner's display name. The web layer validates the
// text; the store keeps what it is given.
func (db *DB) SetDisplayName(ctx context.Context, learnerID, name string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE learners SET display_name = ? WHERE id = ?`, name, learnerID)
	db.learnerBySession.forget()
	return affected("set display name", res, err)
}

// SetCodeLanguage sets the language a learner reads code steps in. The web
// layer validates it.
func (db *DB) SetCodeLanguage(ctx context.Context, learnerID, lang string) error {
	res, err := db.w.ExecContext(ctx, `UPDATE learners SET code_language = ? WHERE id = ?`, lang, learnerID)
	db.learnerBySession.forget()
	return affected("set code language", res, err)
}
