package lessons

import (
	"context"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// TestDirectoryActionsGoThroughGraph: registering an app, adding and
// deleting its secrets and deleting it are Microsoft Graph calls made as
// the owner, so they are in the step's exchanges; and each change is real
// at the token endpoint.
func TestDirectoryActionsGoThroughGraph(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-graph-actions")
	r := f.runner(t, w, lesson1(t))
	do := func(action string, params map[string]string) *StepResult {
		t.Helper()
		res, err := r.Do(context.Background(), action, action, params, "t/"+action)
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK {
			t.Fatalf("%s: %s", action, res.Error)
		}
		return res
	}
	graphCalls := func(res *StepResult) []string {
		var got []string
		for _, ex := range res.Exchanges {
			if ex.Service == "graph" {
				got = append(got, ex.Method+" "+strings.TrimPrefix(ex.URL, "https://graph.microsoft.com"))
				if ex.Status >= 300 {
					t.Errorf("%s %s = %d", ex.Method, ex.URL, ex.Status)
				}
			}
		}
		return got
	}

	res := do("createServicePrincipal", map[string]string{"label": "ci", "name": "ci-app"})
	if got := graphCalls(res); len(got) != 3 || !strings.HasPrefix(got[0], "POST /v1.0/applications") ||
		!strings.HasPrefix(got[1], "POST /v1.0/servicePrincipals") || !strings.HasSuffix(got[2], "/addPassword") {
		t.Errorf("createServicePrincipal Graph calls = %q", got)
	}
	var first, keyID string
	w.View(func(st *world.State) {
		p := st.Principals[st.Labels["ci"]]
		if p == nil || len(p.Secrets) != 1 || !w.CheckSecret(st.Keychain["ci"], p.Secrets[0].Hash) {
			t.Fatalf("labelled app or its keychain secret missing: %+v", p)
		}
		first, keyID = st.Keychain["ci"], p.Secrets[0].KeyID
	})

	if got := graphCalls(do("rotateSecret", map[string]string{"principal": "ci"})); len(got) != 1 || !strings.HasSuffix(got[0], "/addPassword") {
		t.Errorf("rotateSecret Graph calls = %q", got)
	}
	var second string
	w.View(func(st *world.State) { second = st.Keychain["ci"] })
	if second == first {
		t.Error("keychain not rotated")
	}

	if got := graphCalls(do("removeSecret", map[string]string{"principal": "ci", "keyId": keyID})); len(got) != 1 || !strings.HasSuffix(got[0], "/removePassword") {
		t.Errorf("removeSecret Graph calls = %q", got)
	}
	w.View(func(st *world.State) {
		if p := st.Principals[st.Labels["ci"]]; len(p.Secrets) != 1 || p.Secrets[0].KeyID == keyID {
			t.Errorf("secrets after removeSecret: %+v", p.Secrets)
		}
	})

	if got := graphCalls(do("deletePrincipal", map[string]string{"principal": "ci"})); len(got) != 1 || !strings.HasPrefix(got[0], "DELETE /v1.0/applications/") {
		t.Errorf("deletePrincipal Graph calls = %q", got)
	}
	w.View(func(st *world.State) {
		if _, ok := st.Labels["ci"]; ok {
			t.Error("ci still labelled")
		}
	})
}

// TestOwnerSurvivesClockMoves: moving the clock past the owner's token
// lifetime and its secret's end date does not lock the sandbox's own
// actions out.
func TestOwnerSurvivesClockMoves(t *testing.T) {
	f := newFixture(t)
	w := f.sandbox(t, "sbx-graph-clock")
	r := f.runner(t, w, lesson1(t))
	ctx := context.Background()
	for i, step := range []struct {
		action string
		params map[string]string
	}{
		{"rotateSecret", map[string]string{"principal": scenario.LabelLocalDev}},
		{"advanceClock", map[string]string{"seconds": "90000"}},
		{"rotateSecret", map[string]string{"principal": scenario.LabelLocalDev}},
		{"advanceClock", map[string]string{"seconds": "63072000"}},
		{"rotateSecret", map[string]string{"principal": scenario.LabelLocalDev}},
	} {
		res, err := r.Do(ctx, step.action, step.action, step.params, "t/clock")
		if err != nil || !res.OK {
			t.Fatalf("step %d %s: %v %s", i, step.action, err, res.Error)
		}
	}
}
