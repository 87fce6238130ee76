package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// TestWorldPersister runs the store under the real world registry: the
// sandbox row is created first, scenario.Build's Update persists the full
// world through SaveWorld, and a "restarted" registry rebuilt from
// AllWorlds has the same world.
func TestWorldPersister(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	reg := world.NewRegistry(nil, db)
	if err := db.CreateSandbox(ctx, &Sandbox{ID: "sb1", AccessKey: "k", Scenario: scenario.Walkthrough}, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	w, err := scenario.Build(ctx, reg, "sb1", scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := w.Snapshot()

	all, err := db.AllWorlds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(all["sb1"]) != string(want) {
		t.Fatalf("stored world differs from the live one:\n%s\n%s", all["sb1"], want)
	}
	var st world.State
	if err := json.Unmarshal(all["sb1"], &st); err != nil {
		t.Fatal(err)
	}
	w2, err := world.NewRegistry(nil, db).Add(&st)
	if err != nil {
		t.Fatal(err)
	}
	if w2.TenantID() != w.TenantID() || w2.SubscriptionID() != w.SubscriptionID() {
		t.Errorf("restored world %s/%s, want %s/%s", w2.TenantID(), w2.SubscriptionID(), w.TenantID(), w.SubscriptionID())
	}

	// Without its row a world cannot be persisted: the caller must create
	// the sandbox before building (or updating) its world.
	_, err = scenario.Build(ctx, world.NewRegistry(nil, db), "no-row", scenario.Walkthrough)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Build without a sandbox row: err = %v, want ErrNotFound", err)
	}
}
