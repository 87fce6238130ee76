package lessons

import (
	"context"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

func goalItem(t *testing.T, g GoalStatus, id string) CheckResult {
	t.Helper()
	for _, it := range g.Items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no goal item %q", id)
	return CheckResult{}
}

func embeddedLesson(t *testing.T, id string) *Lesson {
	t.Helper()
	cat, err := LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	l := cat.Get(id)
	if l == nil {
		t.Fatalf("lesson %s not embedded", id)
	}
	return l
}

// TestSameCodeGoalNeedsEnvironmentCredential: a Key Vault 200 on the
// workstation is not enough for lesson 6; the token must have come from a
// client-credentials request in the same step (EnvironmentCredential), not
// from the Azure CLI link (a password grant here).
func TestSameCodeGoalNeedsEnvironmentCredential(t *testing.T) {
	f := newFixture(t)
	l := embeddedLesson(t, "same-code-everywhere")
	w := f.buildFor(t, "sbx-l6-cli", l)
	r := f.runner(t, w, l)
	if _, err := r.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, inv := range []Invocation{
		{Action: "assignRole", Params: map[string]string{"principal": "developer", "role": "Key Vault Secrets User", "scope": "vault"}},
		{Action: "useCredential", Params: map[string]string{"credential": CredDeveloper}},
	} {
		if res, err := r.Do(context.Background(), "test", inv.Action, inv.Params, "test/prep"); err != nil || !res.OK {
			t.Fatalf("%s: %v %+v", inv.Action, err, res)
		}
	}
	for _, id := range []string{"create-credential", "create-client", "get-secret"} {
		res := run(t, r, id)
		if !res.OK {
			t.Fatalf("%s: %s", id, res.Error)
		}
		if id == "get-secret" && (res.Chain == nil || !strings.Contains(res.Chain.Answered, "CLI")) {
			t.Fatalf("want the Azure CLI link to answer, got %+v", res.Chain)
		}
	}
	if it := goalItem(t, r.Goal(), "env-answered"); it.Met {
		t.Fatalf("env-answered met by an Azure CLI token: %s", it.Detail)
	}
	if res, err := r.Do(context.Background(), "test", "useCredential", map[string]string{"credential": CredLocalDev}, "test/prep"); err != nil || !res.OK {
		t.Fatal(err, res)
	}
	for _, id := range []string{"create-credential", "create-client", "get-secret"} {
		run(t, r, id)
	}
	if it := goalItem(t, r.Goal(), "env-answered"); !it.Met {
		t.Fatalf("env-answered not met with localDev's variables: %s", it.Detail)
	}
}

// TestOwnMachineCountsOnlyAfterStart: the learner's program run before the
// lesson's setup (lesson opened, or opened again) does not meet lesson 9's
// goal; the same program run after it does.
func TestOwnMachineCountsOnlyAfterStart(t *testing.T) {
	f := newFixture(t)
	l := embeddedLesson(t, "own-machine")
	w := f.buildFor(t, "sbx-l9-start", l)
	r := f.runner(t, w, l)
	// Before the lesson: localDev can read, and the program runs.
	if res, err := r.Do(context.Background(), "test", "assignRole", map[string]string{"principal": "localDev", "role": "Key Vault Secrets User", "scope": "vault"}, "other/step"); err != nil || !res.OK {
		t.Fatal(err, res)
	}
	ownProgram(t, f, w, "get-secret")

	if _, err := r.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	run(t, r, "grant-role")
	g := r.Goal()
	for _, id := range []string{"own-token", "own-read"} {
		if it := goalItem(t, g, id); it.Met {
			t.Errorf("%s met by a program run before the lesson started: %s", id, it.Detail)
		}
	}
	if !goalItem(t, g, "role").Met {
		t.Error("role not met after grant-role")
	}

	ownProgram(t, f, w, "get-secret")
	if g := r.Goal(); !g.Met {
		t.Fatalf("goal not met after the program ran in the lesson: %+v", g.Items)
	}
}

// TestRoleActionsIdempotent: a setup applied twice in the same sandbox (the
// lesson opened again) neither fails on an existing assignment nor on a
// missing one, and both still send requests (the lesson's start mark).
func TestRoleActionsIdempotent(t *testing.T) {
	f := newFixture(t)
	l := embeddedLesson(t, "same-code-everywhere")
	w := f.buildFor(t, "sbx-idem", l)
	for i := range 2 {
		r := f.runner(t, w, l)
		res, err := r.Setup(context.Background())
		if err != nil {
			t.Fatalf("setup %d: %v", i+1, err)
		}
		if len(res) == 0 || len(res[0].Exchanges) == 0 {
			t.Fatalf("setup %d sent no request", i+1)
		}
	}
	r := f.runner(t, w, l)
	remove := map[string]string{"principal": "localDev", "role": "Key Vault Secrets User", "scope": "vault"}
	for i, want := range []string{"removed", "nothing to remove"} {
		res, err := r.Do(context.Background(), "test", "removeRole", remove, "test/remove")
		if err != nil || !res.OK {
			t.Fatalf("remove %d: %v %+v", i+1, err, res)
		}
		if !strings.Contains(res.Output, want) || len(res.Exchanges) == 0 {
			t.Errorf("remove %d: output %q with %d exchanges, want %q", i+1, res.Output, len(res.Exchanges), want)
		}
	}
	var left bool
	w.View(func(st *world.State) {
		left = findAssignment(st, &RoleMatch{Principal: "localDev", Role: "Key Vault Secrets User", Scope: "vault"}) != nil
	})
	if left {
		t.Error("the assignment is still there")
	}
}

func TestValidateProxyNeedsStart(t *testing.T) {
	proxyCheck := Block{Kind: BlockCheck, Check: &Check{ID: "c", Trace: &TraceMatch{Service: "keyvault", Via: ViaProxy}}}
	afterCheck := Block{Kind: BlockCheck, Check: &Check{ID: "c", Trace: &TraceMatch{Service: "keyvault", After: &TraceMatch{Via: ViaProxy}}}}
	runnerCheck := Block{Kind: BlockCheck, Check: &Check{ID: "c", Trace: &TraceMatch{Service: "keyvault"}}}
	role := Invocation{Action: "removeRole", Params: map[string]string{"principal": "localDev", "role": "Key Vault Secrets User"}}
	env := Invocation{Action: "useCredential", Params: map[string]string{"credential": "none"}}
	tests := []struct {
		name  string
		l     Lesson
		wants bool
	}{
		{"proxy check without setup", Lesson{Blocks: []Block{proxyCheck}}, true},
		{"proxy check in after", Lesson{Blocks: []Block{afterCheck}}, true},
		{"setup that sends nothing", Lesson{Blocks: []Block{proxyCheck}, Setup: []Invocation{env}}, true},
		{"setup with a role action", Lesson{Blocks: []Block{proxyCheck}, Setup: []Invocation{env, role}}, false},
		{"no proxy check", Lesson{Blocks: []Block{runnerCheck}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validateStart(&tt.l)
			if (len(got) > 0) != tt.wants {
				t.Errorf("problems %q, want some: %v", got, tt.wants)
			}
		})
	}
}
