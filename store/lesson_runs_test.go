package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
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

// SaveStep saves a step's run, progress and workshop event in one commit,
// each standing alone: one refused leaves the others saved.
func TestSaveStep(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	l := mustLearner(t, db, "c")
	mustSandbox(t, db, "sb", l.ID)
	w := mustWorkshop(t, db)
	m := &Member{WorkshopID: w.ID, LearnerID: l.ID, DisplayName: "Grace", SandboxID: "sb"}
	if err := db.AddMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	event := func() *ProgressEvent {
		return &ProgressEvent{WorkshopID: w.ID, MemberID: m.ID, Kind: "step", LessonID: "walkthrough", StepID: "s1", OK: true, At: at}
	}
	progress := func(lessonID string) *Progress {
		return &Progress{LearnerID: l.ID, LessonID: lessonID, SandboxID: "sb", StepsDone: []string{"s1"}, GoalMet: true}
	}
	cases := []struct {
		name                      string
		save                      StepSave
		runErr, progErr, eventErr error
		wantRun                   string // the saved run after ("" = none)
		wantProgress, wantEvents  int
	}{
		{name: "all three", save: StepSave{SandboxID: "sb", LessonID: "walkthrough", Data: []byte(`{"n":1}`), Progress: progress("walkthrough"), Event: event()},
			wantRun: `{"n":1}`, wantProgress: 1, wantEvents: 1},
		{name: "run only", save: StepSave{SandboxID: "sb", LessonID: "walkthrough", Data: []byte(`{"n":2}`)},
			wantRun: `{"n":2}`, wantProgress: 1, wantEvents: 1},
		{name: "unknown sandbox: progress and event still saved", save: StepSave{SandboxID: "ghost", LessonID: "walkthrough", Data: []byte(`{}`), Progress: progress("roles"), Event: event()},
			runErr: ErrNotFound, wantRun: `{"n":2}`, wantProgress: 2, wantEvents: 2},
		{name: "unknown learner: the run and event still saved", save: StepSave{SandboxID: "sb", LessonID: "walkthrough", Data: []byte(`{"n":3}`), Progress: &Progress{LearnerID: "nobody", LessonID: "walkthrough"}, Event: event()},
			progErr: ErrNotFound, wantRun: `{"n":3}`, wantProgress: 2, wantEvents: 3},
		{name: "unknown member: the run and progress still saved", save: StepSave{SandboxID: "sb", LessonID: "walkthrough", Data: []byte(`{"n":4}`), Progress: progress("keys"),
			Event: &ProgressEvent{WorkshopID: w.ID, MemberID: "nobody", Kind: "step", At: at}},
			eventErr: ErrNotFound, wantRun: `{"n":4}`, wantProgress: 3, wantEvents: 3},
		{name: "invalid event and run", save: StepSave{LessonID: "walkthrough", Progress: progress("walkthrough"), Event: &ProgressEvent{Kind: "step"}},
			runErr: ErrInvalid, eventErr: ErrInvalid, wantRun: `{"n":4}`, wantProgress: 3, wantEvents: 3},
		{name: "nothing valid", save: StepSave{Progress: &Progress{}}, runErr: ErrInvalid, progErr: ErrInvalid, wantRun: `{"n":4}`, wantProgress: 3, wantEvents: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := db.wr.commits.Load()
			errs := db.SaveStep(ctx, tc.save)
			if !errors.Is(errs.Run, tc.runErr) || (tc.runErr == nil) != (errs.Run == nil) {
				t.Errorf("run err = %v, want %v", errs.Run, tc.runErr)
			}
			if !errors.Is(errs.Progress, tc.progErr) || (tc.progErr == nil) != (errs.Progress == nil) {
				t.Errorf("progress err = %v, want %v", errs.Progress, tc.progErr)
			}
			if !errors.Is(errs.Event, tc.eventErr) || (tc.eventErr == nil) != (errs.Event == nil) {
				t.Errorf("event err = %v, want %v", errs.Event, tc.eventErr)
			}
			if c := db.wr.commits.Load() - before; c > 1 {
				t.Errorf("%d commits, want at most one", c)
			}
			if got, err := db.LessonRun(ctx, "sb", "walkthrough"); err != nil || string(got) != tc.wantRun {
				t.Errorf("run = %s, %v; want %s", got, err, tc.wantRun)
			}
			if ps, err := db.ProgressByLearner(ctx, l.ID); err != nil || len(ps) != tc.wantProgress {
				t.Errorf("progress = %+v, %v; want %d rows", ps, err, tc.wantProgress)
			}
			evs, err := db.Events(ctx, w.ID)
			if err != nil || len(evs) != tc.wantEvents {
				t.Fatalf("events = %+v, %v; want %d", evs, err, tc.wantEvents)
			}
			if e := tc.save.Event; e != nil && tc.eventErr == nil && (e.Seq != evs[len(evs)-1].Seq || !evs[len(evs)-1].At.Equal(at)) {
				t.Errorf("event seq %d, stored %+v", e.Seq, evs[len(evs)-1])
			}
		})
	}
	// Not committed (here: the store is closed): each write gets the error.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	errs := db.SaveStep(ctx, StepSave{SandboxID: "sb", LessonID: "walkthrough", Data: []byte(`{}`), Progress: progress("walkthrough"), Event: event()})
	for what, err := range map[string]error{"run": errs.Run, "progress": errs.Progress, "event": errs.Event} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", what, err)
		}
	}
}
