package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

func mustLearner(t testing.TB, db *DB, token string) *Learner {
	t.Helper()
	l, err := db.CreateLearner(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustSandbox(t testing.TB, db *DB, id, learnerID string) *Sandbox {
	t.Helper()
	sb := &Sandbox{ID: id, LearnerID: learnerID, AccessKey: "key-" + id, Scenario: "walkthrough"}
	if err := db.CreateSandbox(context.Background(), sb, []byte(`{"id":"`+id+`"}`)); err != nil {
		t.Fatal(err)
	}
	return sb
}

// mustWorkshop is an instructor's one-lesson workshop.
func mustWorkshop(t testing.TB, db *DB) *Workshop {
	t.Helper()
	ctx := context.Background()
	in, err := db.AddInstructor(ctx, "Ada", "link")
	if err != nil {
		t.Fatal(err)
	}
	w := &Workshop{InstructorID: in.ID, Title: "Intro", Lessons: []string{"a"}, Scenario: "walkthrough", JoinCode: "ABC234"}
	if err := db.CreateWorkshop(ctx, w); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCreateSandbox(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	db := openTest(t, WithClock(clk.now))
	ctx := context.Background()
	l := mustLearner(t, db, "c1")

	sb := &Sandbox{ID: "sb1", LearnerID: l.ID, AccessKey: "k1", Scenario: "walkthrough"}
	if err := db.CreateSandbox(ctx, sb, []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if !sb.CreatedAt.Equal(clk.t) || !sb.UpdatedAt.Equal(clk.t) {
		t.Errorf("timestamps not set: %+v", sb)
	}

	for _, tc := range []struct {
		name    string
		sb      *Sandbox
		wantErr error
	}{
		{"nil", nil, ErrInvalid},
		{"no id", &Sandbox{AccessKey: "k"}, ErrInvalid},
		{"no key", &Sandbox{ID: "x"}, ErrInvalid},
		{"duplicate id", &Sandbox{ID: "sb1", AccessKey: "other"}, ErrConflict},
		{"duplicate access key", &Sandbox{ID: "sb2", AccessKey: "k1"}, ErrConflict},
		{"unknown learner", &Sandbox{ID: "sb3", AccessKey: "k3", LearnerID: "ghost"}, ErrNotFound},
		{"no learner (API key only)", &Sandbox{ID: "sb4", AccessKey: "k4"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.CreateSandbox(ctx, tc.sb, nil)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestSandboxLookups(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	l1, l2 := mustLearner(t, db, "c1"), mustLearner(t, db, "c2")
	a := mustSandbox(t, db, "a", l1.ID)
	b := mustSandbox(t, db, "b", l1.ID)
	mustSandbox(t, db, "c", l2.ID)
	orphan := mustSandbox(t, db, "d", "")

	t.Run("Sandbox", func(t *testing.T) {
		for _, tc := range []struct {
			id      string
			want    *Sandbox
			wantErr error
		}{
			{"a", a, nil}, {"d", orphan, nil}, {"zzz", nil, ErrNotFound}, {"", nil, ErrNotFound},
		} {
			got, err := db.Sandbox(ctx, tc.id)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Sandbox(%q) err = %v, want %v", tc.id, err, tc.wantErr)
			}
			if tc.want != nil && !sameSandbox(*got, *tc.want) {
				t.Errorf("Sandbox(%q) = %+v, want %+v", tc.id, got, tc.want)
			}
		}
	})
	t.Run("SandboxByAccessKey", func(t *testing.T) {
		for _, tc := range []struct {
			key     string
			wantID  string
			wantErr error
		}{
			{"key-a", "a", nil}, {"key-b", "b", nil}, {"key-", "", ErrNotFound},
			{"KEY-A", "", ErrNotFound}, {"", "", ErrNotFound}, {"a", "", ErrNotFound},
		} {
			got, err := db.SandboxByAccessKey(ctx, tc.key)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("SandboxByAccessKey(%q) err = %v, want %v", tc.key, err, tc.wantErr)
			}
			if err == nil && (got.ID != tc.wantID || got.AccessKey != tc.key) {
				t.Errorf("SandboxByAccessKey(%q) = %+v", tc.key, got)
			}
		}
	})
	t.Run("SandboxesByLearner", func(t *testing.T) {
		for _, tc := range []struct {
			learner string
			want    []string
		}{
			{l1.ID, []string{"a", "b"}}, {l2.ID, []string{"c"}}, {"ghost", nil},
		} {
			got, err := db.SandboxesByLearner(ctx, tc.learner)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Error("nil slice; want empty for JSON []")
			}
			if fmt.Sprint(ids(got)) != fmt.Sprint(tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("SandboxesByLearner = %v, want %v", ids(got), tc.want)
			}
		}
		got, _ := db.SandboxesByLearner(ctx, l1.ID)
		if !sameSandbox(got[1], *b) {
			t.Errorf("got %+v, want %+v", got[1], *b)
		}
	})
}

func sameSandbox(a, b Sandbox) bool {
	return a.ID == b.ID && a.LearnerID == b.LearnerID && a.AccessKey == b.AccessKey &&
		a.Scenario == b.Scenario && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func ids(sbs []Sandbox) []string {
	var out []string
	for _, s := range sbs {
		out = append(out, s.ID)
	}
	return out
}

func TestWorlds(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	db := openTest(t, WithClock(clk.now))
	ctx := context.Background()
	mustSandbox(t, db, "a", "")
	mustSandbox(t, db, "b", "")

	clk.t = clk.t.Add(time.Minute)
	if err := db.SaveWorld(ctx, "a", []byte(`{"v":2}`)); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveWorld(ctx, "ghost", []byte(`{}`)); !errors.Is(err, ErrNotFound) {
		t.Errorf("SaveWorld(unknown) err = %v, want ErrNotFound", err)
	}
	got, err := db.World(ctx, "a")
	if err != nil || string(got) != `{"v":2}` {
		t.Errorf("World(a) = %s, %v", got, err)
	}
	if _, err := db.World(ctx, "ghost"); !errors.Is(err, ErrNotFound) {
		t.Errorf("World(unknown) err = %v", err)
	}
	sb, _ := db.Sandbox(ctx, "a")
	if !sb.UpdatedAt.Equal(clk.t) || sb.CreatedAt.Equal(clk.t) {
		t.Errorf("after SaveWorld: created %v updated %v (clock %v)", sb.CreatedAt, sb.UpdatedAt, clk.t)
	}
	all, err := db.AllWorlds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || string(all["a"]) != `{"v":2}` || string(all["b"]) != `{"id":"b"}` {
		t.Errorf("AllWorlds = %q", all)
	}
}

func TestDeleteSandboxCascades(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	l := mustLearner(t, db, "c")
	mustSandbox(t, db, "gone", l.ID)
	mustSandbox(t, db, "kept", l.ID)
	for _, id := range []string{"gone", "kept"} {
		for range 3 {
			if err := db.AppendExchange(ctx, &trace.Exchange{SandboxID: id, Method: "GET"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SaveProgress(ctx, Progress{LearnerID: l.ID, LessonID: "l1", SandboxID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteSandbox(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSandbox(ctx, "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete err = %v, want ErrNotFound", err)
	}
	if _, err := db.Sandbox(ctx, "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Sandbox after delete err = %v", err)
	}
	for _, table := range []string{"exchanges", "progress", "trace_heads"} {
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE sandbox_id = 'gone'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows of the deleted sandbox", table, n)
		}
	}
	if exs, err := db.Exchanges(ctx, "kept", 0); err != nil || len(exs) != 3 {
		t.Errorf("other sandbox's trace: %d, %v", len(exs), err)
	}
	if ps, err := db.ProgressByLearner(ctx, l.ID); err != nil || len(ps) != 1 || ps[0].SandboxID != "kept" {
		t.Errorf("progress after delete: %+v, %v", ps, err)
	}
	// The ID is free again (a reset may recreate a sandbox under its ID).
	mustSandbox(t, db, "gone", l.ID)
	if exs, err := db.Exchanges(ctx, "gone", 0); err != nil || len(exs) != 0 {
		t.Errorf("recreated sandbox has trace %d, %v", len(exs), err)
	}
}
