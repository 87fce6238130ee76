package world_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/sim/world/worldtest"
)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

type memPersister struct {
	mu    sync.Mutex
	saved map[string][]byte
	fail  error
}

func (m *memPersister) QueueWorld(id string, data []byte, _ int64) func() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		err := m.fail
		return func() error { return err }
	}
	m.saved[id] = append([]byte(nil), data...)
	return func() error { return nil }
}

func (m *memPersister) QueueChange(string, int64, []byte) func() error {
	return func() error { return errors.New("memPersister: unexpected change record") }
}

func newState(id string) *world.State {
	return &world.State{ID: id, TenantID: world.NewGUID(), SubscriptionID: world.NewGUID(), Location: "eastus", SecretKey: []byte("k-" + id)}
}

func TestUpdatePersistsAndReloads(t *testing.T) {
	ctx := context.Background()
	p := &memPersister{saved: map[string][]byte{}}
	reg := world.NewRegistry(fixedClock{time.Unix(1_700_000_000, 0)}, p)
	w, err := reg.Add(newState("a"))
	if err != nil {
		t.Fatal(err)
	}
	var secret string
	err = w.Update(ctx, func(tx *world.Tx) error {
		app := tx.NewApplication("app")
		secret, _ = tx.AddClientSecret(app, "s", time.Hour)
		tx.NewResourceGroup("rg", "")
		_, err := tx.NewVault("rg", "kv-one", true)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := world.Load(p.saved["a"])
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Principals) != 1 || st.Vault("KV-ONE") == nil || st.ResourceGroups["rg"].Location != "eastus" {
		t.Fatalf("reloaded state lacks what was saved: %+v", st)
	}
	reg2 := world.NewRegistry(nil, nil)
	w2, err := reg2.Add(st)
	if err != nil {
		t.Fatal(err)
	}
	var hash string
	w2.View(func(s *world.State) {
		for _, pr := range s.Principals {
			hash = pr.Secrets[0].Hash
		}
	})
	if !w2.CheckSecret(secret, hash) || w2.CheckSecret(secret+"x", hash) {
		t.Fatal("secret hash does not survive a reload")
	}
	if reg2.ByName(world.NameVault, "kv-one") != w2 {
		t.Fatal("vault name not claimed on reload")
	}
}

func TestGlobalNamesAreUnique(t *testing.T) {
	ctx := context.Background()
	reg := world.NewRegistry(nil, nil)
	a, _ := reg.Add(newState("a"))
	b, _ := reg.Add(newState("b"))
	mk := func(w *world.World) error {
		return w.Update(ctx, func(tx *world.Tx) error {
			_, err := tx.NewVault("rg", "Shared-Name", true)
			return err
		})
	}
	if err := mk(a); err != nil {
		t.Fatal(err)
	}
	if err := mk(b); !errors.Is(err, world.ErrNameTaken) {
		t.Fatalf("second world took a vault name already in use: %v", err)
	}
	if reg.ByName(world.NameVault, "shared-name") != a {
		t.Fatal("name lookup is not case-insensitive or went to the wrong world")
	}
	reg.Remove("a")
	if err := mk(b); err != nil {
		t.Fatalf("name not freed by Remove: %v", err)
	}
}

func TestPersistFailureIsReported(t *testing.T) {
	p := &memPersister{saved: map[string][]byte{}, fail: errors.New("disk full")}
	reg := world.NewRegistry(nil, p)
	w, _ := reg.Add(newState("a"))
	err := w.Update(context.Background(), func(tx *world.Tx) error { tx.NewResourceGroup("rg", ""); return nil })
	if err == nil {
		t.Fatal("a mutation that was not stored was acknowledged")
	}
}

func TestClockOffsetAndPropagation(t *testing.T) {
	ctx := context.Background()
	base := time.Unix(1_700_000_000, 0)
	reg := world.NewRegistry(fixedClock{base}, nil)
	w, _ := reg.Add(newState("a"))
	_ = w.Update(ctx, func(tx *world.Tx) error {
		tx.State.ClockOffset = time.Hour
		tx.State.PropagationDelay = 10 * time.Minute
		return nil
	})
	if got := w.Now(); !got.Equal(base.Add(time.Hour)) {
		t.Fatalf("Now = %v, want base+1h", got)
	}
	var a rbac.Assignment
	_ = w.Update(ctx, func(tx *world.Tx) error {
		a = tx.AddRoleAssignment(rbac.Assignment{Scope: "/subscriptions/x", RoleDefinitionID: "r", PrincipalID: "p"})
		return nil
	})
	if want := base.Add(time.Hour + 10*time.Minute); !a.EffectiveAt.Equal(want) {
		t.Fatalf("EffectiveAt = %v, want %v", a.EffectiveAt, want)
	}
	_ = w.Update(ctx, func(tx *world.Tx) error {
		if _, ok := tx.RemoveRoleAssignment(a.ID); !ok {
			t.Fatal("assignment not found")
		}
		return nil
	})
	w.View(func(s *world.State) {
		if len(s.RoleAssignments) != 1 || s.RoleAssignments[0].RemovedAt == nil {
			t.Fatalf("removal with a delay must keep the assignment until it propagates: %+v", s.RoleAssignments)
		}
	})
}

func TestDeletePrincipalClearsSiteIdentity(t *testing.T) {
	ctx := context.Background()
	reg := world.NewRegistry(nil, nil)
	w, _ := reg.Add(newState("a"))
	var id string
	_ = w.Update(ctx, func(tx *world.Tx) error {
		s, err := tx.NewSite("rg", "site-a", "app")
		if err != nil {
			return err
		}
		id = tx.EnableSystemIdentity(s).ObjectID
		return nil
	})
	if got, site := reg.SiteByIdentityHeader("nope"); got != nil || site != "" {
		t.Fatal("unknown identity header matched a site")
	}
	_ = w.Update(ctx, func(tx *world.Tx) error { return tx.DeletePrincipal(id) })
	w.View(func(s *world.State) {
		if s.Site("site-a").SystemIdentity != "" {
			t.Fatal("site still points at a deleted identity")
		}
	})
	if err := w.Update(ctx, func(tx *world.Tx) error { return tx.DeletePrincipal(id) }); !errors.Is(err, world.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
}

func TestRemovedWorldRefusesUpdates(t *testing.T) {
	p := &memPersister{saved: map[string][]byte{}}
	reg := world.NewRegistry(nil, p)
	w, _ := reg.Add(newState("a"))
	reg.Remove("a")
	err := w.Update(context.Background(), func(tx *world.Tx) error { tx.NewResourceGroup("late", ""); return nil })
	if !errors.Is(err, world.ErrRetired) {
		t.Fatalf("update after removal: %v", err)
	}
	if _, saved := p.saved["a"]; saved {
		t.Fatal("a removed world was written over its successor")
	}
}

func TestRemoveClientSecret(t *testing.T) {
	ctx := context.Background()
	reg := world.NewRegistry(nil, nil)
	w, _ := reg.Add(newState("rm-secret"))
	err := w.Update(ctx, func(tx *world.Tx) error {
		p := tx.NewApplication("app")
		_, a := tx.AddClientSecret(p, "a", time.Hour)
		_, b := tx.AddClientSecret(p, "b", time.Hour)
		if err := tx.RemoveClientSecret(p, strings.ToUpper(a.KeyID)); err != nil {
			return err
		}
		if len(p.Secrets) != 1 || p.Secrets[0] != b {
			t.Errorf("secrets after removal: %+v", p.Secrets)
		}
		if err := tx.RemoveClientSecret(p, a.KeyID); !errors.Is(err, world.ErrNotFound) {
			t.Errorf("removing twice = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Worlds saved before the suffix had a field of its own load with it there,
// and it is no longer among the principals' labels.
func TestLoadMovesSuffixLabel(t *testing.T) {
	st, err := world.Load([]byte(`{"id":"old","labels":{"suffix":"1a2b3c","owner":"oid-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if st.Suffix != "1a2b3c" || len(st.Labels) != 1 || st.Labels["owner"] != "oid-1" {
		t.Fatalf("suffix %q, labels %v", st.Suffix, st.Labels)
	}
	st, err = world.Load([]byte(`{"id":"new","suffix":"4d5e6f","labels":{}}`))
	if err != nil || st.Suffix != "4d5e6f" {
		t.Fatalf("suffix %q, err %v", st.Suffix, err)
	}
}

// TestAuthorizeAnswersStayCurrent: Authorize serves repeated questions
// from a cache; its answers must still follow the clock while an assignment
// propagates and every Update (even one that changes no assignment).
func TestAuthorizeAnswersStayCurrent(t *testing.T) {
	ctx := context.Background()
	clock := worldtest.NewClock(time.Unix(1_700_000_000, 0))
	w, _ := world.NewRegistry(clock, nil).Add(newState("a"))
	const (
		scope  = "/subscriptions/x/resourceGroups/rg"
		action = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read"
	)
	ask := func() *rbac.Decision { return w.Authorize("p", action, true, scope) }
	_ = w.Update(ctx, func(tx *world.Tx) error {
		tx.State.PropagationDelay = 10 * time.Minute
		tx.State.Principals = map[string]*world.Principal{"p": {ObjectID: "p", Kind: world.KindApplication, DisplayName: "first"}}
		tx.AddRoleAssignment(rbac.Assignment{Scope: "/subscriptions/x",
			RoleDefinitionID: "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/974c5e8b-45b9-4653-ba55-5f855dd0fb88",
			PrincipalID:      "p"})
		return nil
	})
	explained := func(d *rbac.Decision) string {
		var s []string
		for _, c := range d.Considered {
			s = append(s, c.Explanation)
		}
		return strings.Join(s, "|")
	}
	if d := ask(); d.Allowed || !strings.Contains(explained(d), "(in 10m0s)") {
		t.Fatalf("while propagating: allowed=%v %q", d.Allowed, explained(d))
	}
	clock.Advance(time.Minute)
	if d := ask(); d.Allowed || !strings.Contains(explained(d), "(in 9m0s)") {
		t.Fatalf("a minute later: allowed=%v %q", d.Allowed, explained(d))
	}
	clock.Advance(9 * time.Minute)
	first := ask()
	if !first.Allowed || first.Principal.DisplayName != "first" {
		t.Fatalf("once effective: %+v", first)
	}
	// An Update that touches no assignment still counts.
	_ = w.Update(ctx, func(tx *world.Tx) error {
		tx.State.Principals["p"].DisplayName = "renamed"
		return nil
	})
	if d := ask(); d.Principal.DisplayName != "renamed" {
		t.Fatalf("after a rename: %q", d.Principal.DisplayName)
	}
	_ = w.Update(ctx, func(tx *world.Tx) error {
		tx.State.Principals["g"] = &world.Principal{ObjectID: "g", Kind: world.KindGroup, Members: []string{"p"}}
		return nil
	})
	if d := ask(); len(d.Principal.Groups) != 1 || d.Principal.Groups[0] != "g" {
		t.Fatalf("after joining a group: %+v", d.Principal)
	}
	// A removal propagates: allowed until it takes effect, then not.
	_ = w.Update(ctx, func(tx *world.Tx) error {
		for _, a := range tx.State.RoleAssignments {
			tx.RemoveRoleAssignment(a.ID)
		}
		return nil
	})
	if d := ask(); !d.Allowed {
		t.Fatal("removal took effect at once, want after the propagation delay")
	}
	clock.Advance(10 * time.Minute)
	if d := ask(); d.Allowed {
		t.Fatalf("removal has propagated, still allowed: %q", explained(d))
	}
}

// BenchmarkAuthorize: a queue's data action as a request asks it, answered
// from the cache (repeated) and computed (an Update before each question).
func BenchmarkAuthorize(b *testing.B) {
	ctx := context.Background()
	w, _ := world.NewRegistry(fixedClock{time.Unix(1_700_000_000, 0)}, nil).Add(newState("a"))
	const scope = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st/queueServices/default/queues/q"
	_ = w.Update(ctx, func(tx *world.Tx) error {
		tx.State.Principals = map[string]*world.Principal{"p": {ObjectID: "p", Kind: world.KindApplication, DisplayName: "app"}}
		for _, role := range []string{"974c5e8b-45b9-4653-ba55-5f855dd0fb88", "19e7f393-937e-4f77-808e-94535e297925"} {
			tx.AddRoleAssignment(rbac.Assignment{Scope: "/subscriptions/x/resourceGroups/rg",
				RoleDefinitionID: "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/" + role, PrincipalID: "p"})
		}
		return nil
	})
	const action = "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action"
	b.Run("repeated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !w.Authorize("p", action, true, scope).Allowed {
				b.Fatal("refused")
			}
		}
	})
	b.Run("after-update", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = w.Update(ctx, func(*world.Tx) error { return nil })
			if !w.Authorize("p", action, true, scope).Allowed {
				b.Fatal("refused")
			}
		}
	})
	b.Run("update-alone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = w.Update(ctx, func(*world.Tx) error { return nil })
		}
	})
}
