package lessons

import (
	"context"
	"net/http"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// Lesson 6's goal counts its last part: after the workstation and the site
// both read the secret the goal is not met yet; it is once the workstation,
// with nothing configured, fails to answer Key Vault's challenge. A later
// successful round does not undo that.
func TestSameCodeGoalCountsTheLastPart(t *testing.T) {
	cat, err := LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	l := cat.Get("same-code-everywhere")
	f := newFixture(t)
	w := f.buildFor(t, "sbx-last-part", l)
	r := f.runner(t, w, l)
	if _, err := r.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"create-credential", "create-client", "get-secret", "site-credential", "site-client", "site-get"} {
		run(t, r, id)
	}
	if g := r.Goal(); g.Met {
		t.Fatal("goal met before the lesson's last part")
	}
	for _, id := range []string{"nothing-configured", "create-credential", "create-client"} {
		run(t, r, id)
	}
	if g := r.Goal(); g.Met {
		t.Fatal("goal met before the failing read")
	}
	if res := run(t, r, "get-secret"); res.OK {
		t.Fatal("get-secret succeeded with nothing configured")
	}
	if g := r.Goal(); !g.Met {
		t.Fatalf("goal not met after the last part: %+v", g.Items)
	}
	// Configured again, the chain answers; the failure stays in the trace.
	if _, err := r.Do(context.Background(), "again", "useCredential", map[string]string{"credential": CredLocalDev}, l.Marker("place")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"create-credential", "create-client", "get-secret"} {
		run(t, r, id)
	}
	if g := r.Goal(); !g.Met {
		t.Errorf("goal lost after a later successful round: %+v", g.Items)
	}
}

func TestUnansweredChallenge(t *testing.T) {
	ch := func(seq int64, step string) exchangeSpec { return exchangeSpec{seq, step, 401, true} }
	other := func(seq int64, step string, status int) exchangeSpec { return exchangeSpec{seq, step, status, false} }
	for _, tc := range []struct {
		name string
		exs  []exchangeSpec
		want bool
	}{
		{"alone", []exchangeSpec{ch(1, "a")}, true},
		{"answered by a token request", []exchangeSpec{ch(1, "a"), other(2, "a", 200)}, false},
		{"followed by another run's challenge", []exchangeSpec{ch(1, "a"), other(2, "b", 200), ch(3, "a"), other(4, "a", 200)}, true},
		{"a 401 without a challenge", []exchangeSpec{other(1, "a", 401)}, false},
	} {
		exs := build(tc.exs)
		if got := unanswered(&exs[0], exs[1:]); got != tc.want {
			t.Errorf("%s: unanswered = %v, want %v", tc.name, got, tc.want)
		}
	}
}

type exchangeSpec struct {
	seq       int64
	step      string
	status    int
	challenge bool
}

func build(specs []exchangeSpec) []trace.Exchange {
	var out []trace.Exchange
	for _, s := range specs {
		ex := trace.Exchange{Seq: s.seq, Step: s.step, Status: s.status, Via: ViaRunner, ResponseHeaders: http.Header{}}
		if s.challenge {
			ex.ResponseHeaders.Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/t"`)
		}
		out = append(out, ex)
	}
	return out
}
