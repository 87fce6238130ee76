package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestInstructors(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	db := openTest(t, WithClock(clock.now))
	ctx := context.Background()

	in, err := db.AddInstructor(ctx, "Ada", "link-1")
	if err != nil {
		t.Fatal(err)
	}
	var h []byte
	if err := db.r.QueryRowContext(ctx, `SELECT link_hash FROM instructors WHERE id = ?`, in.ID).Scan(&h); err != nil {
		t.Fatal(err)
	}
	if len(h) != 32 || bytes.Contains(h, []byte("link-1")) {
		t.Fatalf("link_hash = %x, want a SHA-256", h)
	}

	steps := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{"a wrong link", func() error { _, err := db.RedeemInstructorLink(ctx, "link-x", "s1"); return err }, ErrNotFound},
		{"the link signs in", func() error { _, err := db.RedeemInstructorLink(ctx, "link-1", "s1"); return err }, nil},
		{"the session finds the instructor", func() error {
			got, err := db.InstructorBySession(ctx, "s1")
			if err == nil && got.ID != in.ID {
				t.Errorf("InstructorBySession = %+v", got)
			}
			return err
		}, nil},
		{"the link is used up", func() error { _, err := db.RedeemInstructorLink(ctx, "link-1", "s2"); return err }, ErrNotFound},
		{"add again gives a new link, same instructor", func() error {
			clock.t = clock.t.Add(48 * time.Hour)
			again, err := db.AddInstructor(ctx, "ada", "link-2")
			if err == nil && (again.ID != in.ID || !again.CreatedAt.Equal(in.CreatedAt)) {
				t.Errorf("AddInstructor again = %+v, want ID %s created %s", again, in.ID, in.CreatedAt)
			}
			return err
		}, nil},
		{"remove", func() error { return db.RemoveInstructor(ctx, "Ada") }, nil},
		{"a removed instructor's session stops", func() error { _, err := db.InstructorBySession(ctx, "s1"); return err }, ErrNotFound},
		{"a removed instructor's new link stops", func() error { _, err := db.RedeemInstructorLink(ctx, "link-2", "s3"); return err }, ErrNotFound},
		{"remove twice", func() error { return db.RemoveInstructor(ctx, "Ada") }, ErrNotFound},
		{"remove unknown", func() error { return db.RemoveInstructor(ctx, "Bob") }, ErrNotFound},
		{"empty name", func() error { _, err := db.AddInstructor(ctx, " ", "l"); return err }, ErrInvalid},
	}
	for _, s := range steps {
		err := s.do()
		if !errors.Is(err, s.wantErr) && !(s.wantErr == nil && err == nil) {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.wantErr)
		}
	}
	if list, err := db.Instructors(ctx); err != nil || len(list) != 0 {
		t.Fatalf("Instructors after removal = %v, %v", list, err)
	}
}

func TestWorkshopsMembersEvents(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	db := openTest(t, WithClock(clk.now))
	ctx := context.Background()
	in, err := db.AddInstructor(ctx, "Ada", "link")
	if err != nil {
		t.Fatal(err)
	}
	w := &Workshop{InstructorID: in.ID, Title: "Intro", Lessons: []string{"a", "b"}, Scenario: "walkthrough",
		JoinCode: "ABC234", StuckAfter: 5 * time.Minute, EndsAt: clk.t.Add(time.Hour)}
	if err := db.CreateWorkshop(ctx, w); err != nil {
		t.Fatal(err)
	}
	dup := *w
	dup.ID = ""
	if err := db.CreateWorkshop(ctx, &dup); !errors.Is(err, ErrConflict) {
		t.Fatalf("same join code: %v, want ErrConflict", err)
	}
	got, err := db.WorkshopByCode(ctx, "ABC234")
	if err != nil || got.ID != w.ID || got.StuckAfter != 5*time.Minute || !got.EndsAt.Equal(w.EndsAt) || len(got.Lessons) != 2 || !got.EndedAt.IsZero() {
		t.Fatalf("WorkshopByCode = %+v, %v", got, err)
	}
	if _, err := db.WorkshopByCode(ctx, "NOPE22"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown code: %v", err)
	}

	l1, _ := db.CreateLearner(ctx, "c1")
	l2, _ := db.CreateLearner(ctx, "c2")
	sb := &Sandbox{ID: "sbx1", LearnerID: l1.ID, AccessKey: "k1", Scenario: "walkthrough"}
	if err := db.CreateSandbox(ctx, sb, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	m1 := &Member{WorkshopID: w.ID, LearnerID: l1.ID, DisplayName: "Grace", SandboxID: "sbx1"}
	if err := db.AddMember(ctx, m1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		m    Member
		want error
	}{
		{"name taken (any case)", Member{WorkshopID: w.ID, LearnerID: l2.ID, DisplayName: "grace"}, ErrConflict},
		{"learner already in", Member{WorkshopID: w.ID, LearnerID: l1.ID, DisplayName: "Other"}, ErrConflict},
		{"unknown workshop", Member{WorkshopID: "nope", LearnerID: l2.ID, DisplayName: "X"}, ErrNotFound},
		{"no name", Member{WorkshopID: w.ID, LearnerID: l2.ID}, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := db.AddMember(ctx, &tc.m); !errors.Is(err, tc.want) {
				t.Fatalf("AddMember = %v, want %v", err, tc.want)
			}
		})
	}
	if m, err := db.MemberBySandbox(ctx, "sbx1"); err != nil || m.ID != m1.ID {
		t.Fatalf("MemberBySandbox = %+v, %v", m, err)
	}
	if _, err := db.Member(ctx, "other-workshop", m1.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("member through another workshop: %v", err)
	}
	e := &ProgressEvent{WorkshopID: w.ID, MemberID: m1.ID, Kind: "step", LessonID: "a", StepID: "s", Outcome: "403"}
	if err := db.AppendEvent(ctx, e); err != nil || e.Seq == 0 {
		t.Fatalf("AppendEvent = %v (seq %d)", err, e.Seq)
	}

	// Ending deletes the sandbox (the caller does); the member and its
	// events stay.
	if err := db.EndWorkshop(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.EndWorkshop(ctx, w.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("end twice: %v", err)
	}
	if err := db.DeleteSandbox(ctx, "sbx1"); err != nil {
		t.Fatal(err)
	}
	ms, err := db.Members(ctx, w.ID)
	if err != nil || len(ms) != 1 || ms[0].SandboxID != "" {
		t.Fatalf("Members after end = %+v, %v", ms, err)
	}
	evs, err := db.Events(ctx, w.ID)
	if err != nil || len(evs) != 1 || evs[0].Outcome != "403" || evs[0].StepID != "s" {
		t.Fatalf("Events = %+v, %v", evs, err)
	}
	if w2, _ := db.Workshop(ctx, w.ID); w2.EndedAt.IsZero() {
		t.Fatal("EndedAt not set")
	}
}

func TestWorkshopNoticeAndDue(t *testing.T) {
	clk := &fakeClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := Open(context.Background(), path, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in, err := db.AddInstructor(ctx, "Ada", "link")
	if err != nil {
		t.Fatal(err)
	}
	soon := &Workshop{InstructorID: in.ID, Title: "Soon", Lessons: []string{"a"}, Scenario: "walkthrough",
		JoinCode: "ABC234", EndsAt: clk.t.Add(time.Hour)}
	later := &Workshop{InstructorID: in.ID, Title: "Later", Lessons: []string{"a"}, Scenario: "walkthrough",
		JoinCode: "ABC235", EndsAt: clk.t.Add(2 * time.Hour)}
	open := &Workshop{InstructorID: in.ID, Title: "Open", Lessons: []string{"a"}, Scenario: "walkthrough", JoinCode: "ABC236"}
	for _, w := range []*Workshop{soon, later, open} {
		if err := db.CreateWorkshop(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	at := clk.t.Add(time.Minute)
	if err := db.SetWorkshopNotice(ctx, soon.ID, "Break until 11:00", at); err != nil {
		t.Fatal(err)
	}
	if err := db.SetWorkshopNotice(ctx, "nope", "x", at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("notice of an unknown workshop: %v", err)
	}
	due := func(now time.Time) []string {
		t.Helper()
		ws, err := db.DueWorkshops(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, w := range ws {
			out = append(out, w.Title)
		}
		return out
	}
	if got := due(clk.t); len(got) != 0 {
		t.Fatalf("due now = %v", got)
	}
	if got := due(clk.t.Add(90 * time.Minute)); len(got) != 1 || got[0] != "Soon" {
		t.Fatalf("due in 90 min = %v", got)
	}
	if err := db.EndWorkshop(ctx, soon.ID); err != nil {
		t.Fatal(err)
	}
	if got := due(clk.t.Add(3 * time.Hour)); len(got) != 1 || got[0] != "Later" {
		t.Fatalf("due in 3 h after ending Soon = %v", got)
	}
	// Both survive a restart.
	db.Close()
	db, err = Open(ctx, path, WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w, err := db.Workshop(ctx, soon.ID)
	if err != nil || w.Notice != "Break until 11:00" || !w.NoticeAt.Equal(at) {
		t.Fatalf("after restart: %+v, %v", w, err)
	}
	if got := due(clk.t.Add(3 * time.Hour)); len(got) != 1 || got[0] != "Later" {
		t.Fatalf("due after restart = %v", got)
	}
}

// JoinMember stores the member and its first event together, or neither.
func TestJoinMember(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	w := mustWorkshop(t, db)
	l1, _ := db.CreateLearner(ctx, "c1")
	l2, _ := db.CreateLearner(ctx, "c2")
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	m := &Member{WorkshopID: w.ID, LearnerID: l1.ID, DisplayName: "Grace"}
	e := &ProgressEvent{Kind: "join", At: at}
	if err := db.JoinMember(ctx, m, e); err != nil {
		t.Fatal(err)
	}
	if e.Seq == 0 || e.MemberID != m.ID || e.WorkshopID != w.ID {
		t.Fatalf("event = %+v", e)
	}
	taken := &Member{WorkshopID: w.ID, LearnerID: l2.ID, DisplayName: "GRACE"}
	if err := db.JoinMember(ctx, taken, &ProgressEvent{Kind: "join", At: at}); !errors.Is(err, ErrConflict) {
		t.Fatalf("a taken name: %v, want ErrConflict", err)
	}
	evs, err := db.Events(ctx, w.ID)
	if err != nil || len(evs) != 1 || evs[0].MemberID != m.ID || !evs[0].At.Equal(at) {
		t.Fatalf("events = %+v, %v (the refused join must leave none)", evs, err)
	}
	if ms, err := db.Members(ctx, w.ID); err != nil || len(ms) != 1 {
		t.Fatalf("members = %+v, %v", ms, err)
	}
}
