package store

import (
	"context"
	"errors"
	"testing"
)

// The remembered lookups answer what the tables hold after every write that
// changes them: a rename, a language, a join, a member's new sandbox, a
// deleted sandbox (and a sandbox's fixed fields). Each lookup is asked before and after the write, so a
// cache that kept the first answer fails.
func TestLookupsSeeWrites(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	l, err := db.CreateLearner(ctx, "session-1")
	if err != nil {
		t.Fatal(err)
	}
	learner := func() *Learner {
		t.Helper()
		got, err := db.LearnerBySession(ctx, "session-1")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := learner(); got.ID != l.ID || got.DisplayName != "" {
		t.Fatalf("learner = %+v", got)
	}
	learner().DisplayName = "changed by a caller" // a copy: the cache keeps its own
	if got := learner(); got.DisplayName != "" {
		t.Fatalf("a caller's change reached the cache: %+v", got)
	}
	if err := db.SetDisplayName(ctx, l.ID, "Ann"); err != nil {
		t.Fatal(err)
	}
	if got := learner(); got.DisplayName != "Ann" {
		t.Fatalf("after rename: %+v", got)
	}
	if err := db.SetCodeLanguage(ctx, l.ID, "go"); err != nil {
		t.Fatal(err)
	}
	if got := learner(); got.CodeLanguage != "go" || got.DisplayName != "Ann" {
		t.Fatalf("after language: %+v", got)
	}
	if _, err := db.LearnerBySession(ctx, "session-2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown session: %v", err)
	}

	w := mustWorkshop(t, db)
	for _, id := range []string{"sbx1", "sbx2"} {
		if err := db.CreateSandbox(ctx, &Sandbox{ID: id, LearnerID: l.ID, AccessKey: "k" + id, Scenario: "walkthrough"}, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	member := func(sandboxID string) *Member {
		t.Helper()
		m, err := db.MemberBySandbox(ctx, sandboxID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := member("sbx1"); m != nil {
		t.Fatalf("before the join: %+v", m)
	}
	m := &Member{WorkshopID: w.ID, LearnerID: l.ID, DisplayName: "Ann"}
	if err := db.AddMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := member("sbx1"); got != nil {
		t.Fatalf("joined without a sandbox: %+v", got)
	}
	if err := db.SetMemberSandbox(ctx, m.ID, "sbx1"); err != nil {
		t.Fatal(err)
	}
	if got := member("sbx1"); got == nil || got.ID != m.ID || got.SandboxID != "sbx1" {
		t.Fatalf("after SetMemberSandbox: %+v", got)
	}
	member("sbx1").WorkshopID = "changed by a caller"
	if got := member("sbx1"); got.WorkshopID != w.ID {
		t.Fatalf("a caller's change reached the cache: %+v", got)
	}
	if err := db.SetMemberSandbox(ctx, m.ID, "sbx2"); err != nil { // a reset's new sandbox
		t.Fatal(err)
	}
	if got, old := member("sbx2"), member("sbx1"); got == nil || got.ID != m.ID || old != nil {
		t.Fatalf("after the reset: sbx2 %+v, sbx1 %+v", got, old)
	}
	for range 2 { // a read, then a remembered one
		meta, err := db.SandboxMeta(ctx, "sbx2")
		full, err2 := db.Sandbox(ctx, "sbx2")
		if err != nil || err2 != nil {
			t.Fatal(err, err2)
		}
		full.UpdatedAt = meta.UpdatedAt
		if *meta != *full || !meta.UpdatedAt.IsZero() {
			t.Fatalf("SandboxMeta = %+v, Sandbox = %+v", meta, full)
		}
		meta.LearnerID = "changed by a caller"
	}
	if err := db.DeleteSandbox(ctx, "sbx2"); err != nil { // the workshop ends
		t.Fatal(err)
	}
	if got := member("sbx2"); got != nil {
		t.Fatalf("after the sandbox's deletion: %+v", got)
	}
	if sb, err := db.SandboxMeta(ctx, "sbx2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("SandboxMeta of a deleted sandbox = %+v, %v", sb, err)
	}
}

// A read that began before a write finished does not store what it read.
func TestLookupCacheDropsARacedRead(t *testing.T) {
	var c lookupCache[string]
	_, _, gen := c.get("k")
	c.forget() // a write commits while the read runs
	c.put("k", "old", gen)
	if v, ok, _ := c.get("k"); ok {
		t.Fatalf("stale read stored: %q", v)
	}
	_, _, gen = c.get("k")
	c.put("k", "new", gen)
	if v, ok, _ := c.get("k"); !ok || v != "new" {
		t.Fatalf("get = %q, %v", v, ok)
	}
	for i := range maxCached + 10 {
		c.put(string(rune(i)), "x", gen)
	}
	if len(c.m) > maxCached {
		t.Fatalf("cache holds %d, bound %d", len(c.m), maxCached)
	}
}
