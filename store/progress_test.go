package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	db := openTest(t, WithClock(clk.now))
	ctx := context.Background()
	l := mustLearner(t, db, "c")
	other := mustLearner(t, db, "o")
	mustSandbox(t, db, "sb", l.ID)

	if ps, err := db.ProgressByLearner(ctx, l.ID); err != nil || ps == nil || len(ps) != 0 {
		t.Fatalf("empty progress = %#v, %v", ps, err)
	}

	steps := []struct {
		name    string
		p       Progress
		wantErr error
	}{
		{"first step", Progress{LearnerID: l.ID, LessonID: "rbac", SandboxID: "sb", StepsDone: []string{"s1"}}, nil},
		{"second step replaces", Progress{LearnerID: l.ID, LessonID: "rbac", SandboxID: "sb", StepsDone: []string{"s1", "s2"}, GoalMet: true}, nil},
		{"no sandbox", Progress{LearnerID: l.ID, LessonID: "intro"}, nil},
		{"no sandbox replaces", Progress{LearnerID: l.ID, LessonID: "intro", StepsDone: []string{"read"}}, nil},
		{"other learner", Progress{LearnerID: other.ID, LessonID: "rbac"}, nil},
		{"explicit time", Progress{LearnerID: l.ID, LessonID: "later", UpdatedAt: clk.t.Add(time.Hour)}, nil},
		{"unknown learner", Progress{LearnerID: "ghost", LessonID: "rbac"}, ErrNotFound},
		{"unknown sandbox", Progress{LearnerID: l.ID, LessonID: "rbac", SandboxID: "ghost"}, ErrNotFound},
		{"no lesson", Progress{LearnerID: l.ID}, ErrInvalid},
		{"no learner", Progress{LessonID: "x"}, ErrInvalid},
	}
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			clk.t = clk.t.Add(time.Second)
			if err := db.SaveProgress(ctx, tc.p); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}

	ps, err := db.ProgressByLearner(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 {
		t.Fatalf("got %d rows: %+v", len(ps), ps)
	}
	// Ordered by update time: rbac (2nd save), intro (4th), later (+1h).
	want := []struct {
		lesson, sandbox string
		steps           []string
		goal            bool
	}{
		{"rbac", "sb", []string{"s1", "s2"}, true},
		{"intro", "", []string{"read"}, false},
		{"later", "", []string{}, false},
	}
	for i, w := range want {
		p := ps[i]
		if p.LessonID != w.lesson || p.SandboxID != w.sandbox || !slices.Equal(p.StepsDone, w.steps) ||
			p.GoalMet != w.goal || p.LearnerID != l.ID || p.UpdatedAt.IsZero() {
			t.Errorf("row %d = %+v, want %+v", i, p, w)
		}
	}
	if !ps[2].UpdatedAt.Equal(time.Date(2025, 3, 1, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("explicit UpdatedAt not kept: %v", ps[2].UpdatedAt)
	}
}
