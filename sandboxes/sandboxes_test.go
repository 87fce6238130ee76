package sandboxes_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// env is a service over a real store in a temporary directory.
type env struct {
	t     *testing.T
	path  string
	db    *store.DB
	reg   *world.Registry
	cloud sandboxes.Cloud
	book  *trace.Book
	svc   *sandboxes.Service
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, path: filepath.Join(t.TempDir(), "sandbox.db")}
	e.open(nil)
	return e
}

// open starts a service over the database file, as the command does at
// start. wrap may replace the cloud.
func (e *env) open(wrap func(sandboxes.Cloud) sandboxes.Cloud) {
	t := e.t
	t.Helper()
	db, err := store.Open(context.Background(), e.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	e.reg = world.NewRegistry(nil, sandboxes.Persister{Store: db})
	e.book = trace.NewBook(0, db)
	e.cloud = sandboxes.NewSimulated(e.reg)
	if wrap != nil {
		e.cloud = wrap(e.cloud)
	}
	e.svc, err = sandboxes.New(sandboxes.Config{Store: db, Cloud: e.cloud, Book: e.book})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Restore(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// learner returns a new learner's ID.
func (e *env) learner() string {
	e.t.Helper()
	l, err := e.db.CreateLearner(context.Background(), "session-"+sandboxes.NewID())
	if err != nil {
		e.t.Fatal(err)
	}
	return l.ID
}

// create makes a walkthrough sandbox, owned by a new learner when owned.
func (e *env) create(owned bool) (*store.Sandbox, *world.World) {
	e.t.Helper()
	learner := ""
	if owned {
		learner = e.learner()
	}
	sb, w, err := e.svc.Create(context.Background(), learner, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return sb, w
}

func tenantOf(w *world.World) string { return w.TenantID() }

// Every acknowledged world change is on disk: a new service over the same
// file restores the sandbox as it was, with its trace.
func TestCreateChangeRestore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sb, w := e.create(true)
	if sb.Scenario != scenario.Walkthrough || !strings.HasPrefix(sb.ID, "sbx") || len(sb.AccessKey) != 43 {
		t.Fatalf("sandbox %+v", sb)
	}
	if e.svc.World(sb.ID) != w {
		t.Fatal("World does not find the new sandbox's world")
	}
	if err := w.Update(ctx, func(tx *world.Tx) error { tx.State.Labels["extra"] = "x"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := e.book.Record(ctx, &trace.Exchange{SandboxID: sb.ID, Method: "GET", URL: "https://example/"}); err != nil {
		t.Fatal(err)
	}

	e.db.Close()
	e.open(nil)
	got := e.svc.World(sb.ID)
	if got == nil {
		t.Fatal("sandbox not restored")
	}
	got.View(func(st *world.State) {
		if st.Labels["extra"] != "x" || st.TenantID != tenantOf(w) || st.Suffix == "" {
			t.Errorf("restored state: labels %v, tenant %s", st.Labels, st.TenantID)
		}
	})
	if exs := e.svc.Book().List(sb.ID, 0); len(exs) != 1 || exs[0].URL != "https://example/" {
		t.Errorf("restored trace %+v", exs)
	}
}

// A row whose world cannot be loaded is skipped; the others come back.
func TestRestoreSkipsBadRows(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	good, _ := e.create(false)
	bad := &store.Sandbox{ID: "sbxbad", AccessKey: "k-bad", Scenario: scenario.Walkthrough}
	if err := e.db.CreateSandbox(ctx, bad, []byte(`{"id":"sbxother"}`)); err != nil {
		t.Fatal(err)
	}
	junk := &store.Sandbox{ID: "sbxjunk", AccessKey: "k-junk", Scenario: scenario.Walkthrough}
	if err := e.db.CreateSandbox(ctx, junk, []byte(`not json`)); err != nil {
		t.Fatal(err)
	}
	e.db.Close()
	e.open(nil)
	if e.svc.World(good.ID) == nil {
		t.Error("the good sandbox was not restored")
	}
	for _, id := range []string{"sbxbad", "sbxother", "sbxjunk"} {
		if e.svc.World(id) != nil {
			t.Errorf("%s restored", id)
		}
	}
}

func TestCreateRefusals(t *testing.T) {
	e := newEnv(t)
	_, _, err := e.svc.Create(context.Background(), "", "mars")
	var se *sandboxes.Error
	if !errors.Is(err, sandboxes.ErrUnknownScenario) || !errors.As(err, &se) || !strings.Contains(se.Message, `"mars"`) {
		t.Fatalf("unknown scenario: %v", err)
	}

	full := errors.New("this learner has enough sandboxes")
	busy := e.learner()
	svc, err := sandboxes.New(sandboxes.Config{Store: e.db, Cloud: e.cloud, Book: e.book,
		Admit: func(_ context.Context, learner, name string) error {
			if learner == busy && name == scenario.Empty {
				return full
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Create(context.Background(), busy, scenario.Empty); !errors.Is(err, full) {
		t.Fatalf("Admit's refusal: %v", err)
	}
	if ws := e.reg.All(); len(ws) != 0 {
		t.Fatalf("a refused sandbox left %d worlds", len(ws))
	}
	if _, _, err := svc.Create(context.Background(), e.learner(), scenario.Empty); err != nil {
		t.Fatal(err)
	}
}

// Reset gives a new world under the same ID and key, and empties the trace
// and the saved lesson runs.
func TestReset(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sb, old := e.create(true)
	e.book.Record(ctx, &trace.Exchange{SandboxID: sb.ID, Method: "GET", URL: "https://example/"})
	if err := e.db.SaveLessonRun(ctx, sb.ID, "lesson", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	w, err := e.svc.Reset(ctx, sb)
	if err != nil {
		t.Fatal(err)
	}
	if w == old || e.svc.World(sb.ID) != w || w.TenantID() == old.TenantID() {
		t.Fatal("reset kept the old world")
	}
	if err := old.Update(ctx, func(*world.Tx) error { return nil }); !errors.Is(err, world.ErrRetired) {
		t.Errorf("the old world still takes updates: %v", err)
	}
	if exs := e.book.List(sb.ID, 0); len(exs) != 0 {
		t.Errorf("trace after reset: %d exchanges", len(exs))
	}
	if exs, _ := e.db.Exchanges(ctx, sb.ID, 10); len(exs) != 0 {
		t.Errorf("stored trace after reset: %d exchanges", len(exs))
	}
	if _, err := e.db.LessonRun(ctx, sb.ID, "lesson"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("saved lesson run after reset: %v", err)
	}
	// The new world is what is stored.
	e.db.Close()
	e.open(nil)
	if got := e.svc.World(sb.ID); got == nil || got.TenantID() != w.TenantID() {
		t.Fatal("the reset world was not persisted")
	}
}

// failingCloud provisions nothing once fail is set.
type failingCloud struct {
	sandboxes.Cloud
	fail bool
}

func (c *failingCloud) Provision(ctx context.Context, id, name string) (*world.World, error) {
	if c.fail {
		return nil, errors.New("provisioning failed")
	}
	return c.Cloud.Provision(ctx, id, name)
}

// A reset whose rebuild fails puts the old world back.
func TestResetRollsBack(t *testing.T) {
	e := newEnv(t)
	fc := &failingCloud{}
	e.open(func(c sandboxes.Cloud) sandboxes.Cloud { fc.Cloud = c; return fc })
	ctx := context.Background()
	sb, old := e.create(true)
	fc.fail = true
	if _, err := e.svc.Reset(ctx, sb); err == nil || !strings.Contains(err.Error(), "provisioning failed") {
		t.Fatalf("reset: %v", err)
	}
	w := e.svc.World(sb.ID)
	if w == nil || w.TenantID() != old.TenantID() {
		t.Fatal("the old world is not back")
	}
	// Its names are claimed again: nothing else can take the vault.
	var vault string
	w.View(func(st *world.State) { vault = scenario.ResourcesOf(st).Vault })
	if e.reg.ByName(world.NameVault, vault) != w {
		t.Error("the restored world does not own its vault name")
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sb, _ := e.create(true)
	e.book.Record(ctx, &trace.Exchange{SandboxID: sb.ID, Method: "GET", URL: "https://example/"})
	if err := e.svc.Delete(ctx, sb); err != nil {
		t.Fatal(err)
	}
	if e.svc.World(sb.ID) != nil || len(e.book.List(sb.ID, 0)) != 0 {
		t.Fatal("world or trace left")
	}
	if _, err := e.db.Sandbox(ctx, sb.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("row left: %v", err)
	}
	if _, err := e.svc.Reset(ctx, sb); !errors.Is(err, sandboxes.ErrNotFound) {
		t.Fatalf("reset of a deleted sandbox: %v", err)
	}
}

func TestAdvanceClock(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, w := e.create(true)
	before := w.Now()
	now, offset, err := e.svc.AdvanceClock(ctx, w, 3600)
	if err != nil || offset.Seconds() != 3600 || now.Sub(before).Seconds() < 3600 {
		t.Fatalf("advance: %v %v %v", now, offset, err)
	}
	for _, s := range []int64{-1, sandboxes.MaxAdvanceSeconds + 1} {
		if _, _, err := e.svc.AdvanceClock(ctx, w, s); !errors.Is(err, sandboxes.ErrInvalid) {
			t.Errorf("advance %d: %v", s, err)
		}
	}
	for range 10 {
		_, _, err = e.svc.AdvanceClock(ctx, w, sandboxes.MaxAdvanceSeconds)
	}
	if !errors.Is(err, sandboxes.ErrInvalid) {
		t.Fatalf("past 100 years: %v", err)
	}
}

// The persister saves into existing rows and ignores worlds without one.
func TestPersister(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p := sandboxes.Persister{Store: e.db}
	if err := p.QueueWorld("sbxnone", []byte(`{}`), 1)(); err != nil {
		t.Fatalf("a world without a row: %v", err)
	}
	sb, _ := e.create(false)
	if err := p.QueueWorld(sb.ID, []byte(`{"id":"`+sb.ID+`","labels":{"p":"q"}}`), 1<<40)(); err != nil {
		t.Fatal(err)
	}
	worlds, _ := e.db.AllWorlds(ctx)
	if !strings.Contains(string(worlds[sb.ID]), `"p":"q"`) {
		t.Fatalf("saved %s", worlds[sb.ID])
	}
}

// A workshop join reaches the limits hook marked, so a per-address cap can
// let a class behind one NAT address in; other creations are not marked.
func TestAdmitSeesWorkshopJoins(t *testing.T) {
	e := newEnv(t)
	var marks []bool
	svc, err := sandboxes.New(sandboxes.Config{Store: e.db, Cloud: e.cloud, Book: e.book,
		Admit: func(ctx context.Context, _, _ string) error {
			marks = append(marks, sandboxes.IsForWorkshop(ctx))
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Create(sandboxes.ForWorkshop(context.Background()), e.learner(), scenario.Empty); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Create(context.Background(), e.learner(), scenario.Empty); err != nil {
		t.Fatal(err)
	}
	if len(marks) != 2 || !marks[0] || marks[1] {
		t.Fatalf("Admit saw workshop marks %v, want [true false]", marks)
	}
}
