package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func TestLessonRuns(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	l := mustLearner(t, db, "c")
	mustSandbox(t, db, "sb", l.ID)
	mustSandbox(t, db, "sb2", "")

	if _, err := db.LessonRun(ctx, "sb", "walkthrough"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing run: err = %v, want ErrNotFound", err)
	}
	saves := []struct {
		name, sandbox, lesson, data string
		wantErr                     error
	}{
		{"first", "sb", "walkthrough", `{"history":[1]}`, nil},
		{"replaces", "sb", "walkthrough", `{"history":[1,2]}`, nil},
		{"other lesson", "sb", "roles", `{"history":[3]}`, nil},
		{"sandbox without learner", "sb2", "walkthrough", `{}`, nil},
		{"unknown sandbox", "ghost", "walkthrough", `{}`, ErrNotFound},
		{"no lesson", "sb", "", `{}`, ErrInvalid},
		{"no sandbox", "", "walkthrough", `{}`, ErrInvalid},
	}
	for _, tc := range saves {
		t.Run(tc.name, func(t *testing.T) {
			if err := db.SaveLessonRun(ctx, tc.sandbox, tc.lesson, []byte(tc.data)); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	want := map[[2]string]string{
		{"sb", "walkthrough"}: `{"history":[1,2]}`, {"sb", "roles"}: `{"history":[3]}`, {"sb2", "walkthrough"}: `{}`,
	}
	for k, w := range want {
		if got, err := db.LessonRun(ctx, k[0], k[1]); err != nil || string(got) != w {
			t.Errorf("LessonRun(%s, %s) = %s, %v; want %s", k[0], k[1], got, err, w)
		}
	}

	if err := db.DeleteLessonRuns(ctx, "sb"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LessonRun(ctx, "sb", "roles"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after DeleteLessonRuns: err = %v", err)
	}
	if _, err := db.LessonRun(ctx, "sb2", "walkthrough"); err != nil {
		t.Errorf("another sandbox's run went too: %v", err)
	}
	// Deleting the sandbox deletes its runs.
	if err := db.DeleteSandbox(ctx, "sb2"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM lesson_runs`).Scan(&n); err != nil || n != 0 {
		t.Errorf("lesson_runs rows after deleting the sandbox = %d, %v", n, err)
	}
}

// A database from before migration 0002 gains the table on open, with its
// data intact.
func TestLessonRunsMigratesOldDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	mustSandbox(t, db, "sb", "")
	// Back to version 1.
	if _, err := db.w.ExecContext(ctx, `DROP TABLE lesson_runs; DELETE FROM schema_migrations WHERE version = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Sandbox(ctx, "sb"); err != nil {
		t.Fatalf("sandbox lost in the upgrade: %v", err)
	}
	if err := db.SaveLessonRun(ctx, "sb", "roles", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
}
