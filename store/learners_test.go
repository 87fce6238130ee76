package store

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestLearners(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 123, time.UTC)}
	db := openTest(t, WithClock(clk.now))
	ctx := context.Background()

	l, err := db.CreateLearner(ctx, "cookie-1")
	if err != nil {
		t.Fatal(err)
	}
	if l.ID == "" || !l.CreatedAt.Equal(clk.t) || l.DisplayName != "" {
		t.Fatalf("CreateLearner = %+v", l)
	}

	t.Run("only a hash of the token is stored", func(t *testing.T) {
		var h []byte
		if err := db.r.QueryRowContext(ctx, `SELECT session_hash FROM learners WHERE id = ?`, l.ID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(h, []byte("cookie-1")) || len(h) != 32 {
			t.Errorf("session_hash = %x", h)
		}
	})

	for _, tc := range []struct {
		name, token string
		wantErr     error
	}{
		{"found", "cookie-1", nil},
		{"unknown token", "cookie-2", ErrNotFound},
		{"empty token", "", ErrNotFound},
		{"prefix of a token", "cookie-", ErrNotFound},
	} {
		t.Run("LearnerBySession/"+tc.name, func(t *testing.T) {
			got, err := db.LearnerBySession(ctx, tc.token)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && (got.ID != l.ID || !got.CreatedAt.Equal(l.CreatedAt)) {
				t.Errorf("got %+v, want %+v", got, l)
			}
		})
	}

	t.Run("duplicate token", func(t *testing.T) {
		if _, err := db.CreateLearner(ctx, "cookie-1"); !errors.Is(err, ErrConflict) {
			t.Errorf("err = %v, want ErrConflict", err)
		}
	})
	t.Run("empty token", func(t *testing.T) {
		if _, err := db.CreateLearner(ctx, ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("SetDisplayName", func(t *testing.T) {
		if err := db.SetDisplayName(ctx, l.ID, "Ada ✓"); err != nil {
			t.Fatal(err)
		}
		got, err := db.LearnerBySession(ctx, "cookie-1")
		if err != nil || got.DisplayName != "Ada ✓" {
			t.Errorf("after SetDisplayName: %+v, %v", got, err)
		}
		got, err = db.Learner(ctx, l.ID)
		if err != nil || got.DisplayName != "Ada ✓" {
			t.Errorf("Learner: %+v, %v", got, err)
		}
	})
	t.Run("SetCodeLanguage", func(t *testing.T) {
		if err := db.SetCodeLanguage(ctx, l.ID, "javascript"); err != nil {
			t.Fatal(err)
		}
		got, err := db.LearnerBySession(ctx, "cookie-1")
		if err != nil || got.CodeLanguage != "javascript" {
			t.Errorf("after SetCodeLanguage: %+v, %v", got, err)
		}
		if got, err := db.Learner(ctx, l.ID); err != nil || got.CodeLanguage != "javascript" {
			t.Errorf("Learner: %+v, %v", got, err)
		}
		if err := db.SetCodeLanguage(ctx, "nope", "go"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown learner: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("SetDisplayName unknown learner", func(t *testing.T) {
		if err := db.SetDisplayName(ctx, "nope", "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("Learner unknown", func(t *testing.T) {
		if _, err := db.Learner(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("IDs differ", func(t *testing.T) {
		l2, err := db.CreateLearner(ctx, "cookie-2")
		if err != nil {
			t.Fatal(err)
		}
		if l2.ID == l.ID {
			t.Error("two learners share an ID")
		}
	})
}
