package lessons

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// The panel passes learner input straight to these actions: values past the
// bounds are refused with a message and change nothing (no overflowed
// clock, no negative delay, no made-up permission in a policy).
func TestSandboxActionsRefuseOutOfBoundsInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	w := f.sandbox(t, "sbx-bounds")
	r := f.runner(t, w, lesson1(t))
	for _, tt := range []struct {
		action string
		params map[string]string
		want   string
	}{
		{"advanceClock", map[string]string{"seconds": "99999999999999999999"}, "not a whole number"},
		{"advanceClock", map[string]string{"seconds": "9223372036"}, "more than 315360000"},
		{"advanceClock", map[string]string{"seconds": "-1"}, "not a whole number"},
		{"setPropagationDelay", map[string]string{"seconds": "99999999999999"}, "more than 86400"},
		{"addAccessPolicy", map[string]string{"principal": "localDev", "secrets": "get,zz"}, `"zz" is not a secret permission`},
		{"addAccessPolicy", map[string]string{"principal": "localDev", "secrets": " , "}, "at least one"},
	} {
		t.Run(tt.action+"/"+tt.params["seconds"]+tt.params["secrets"], func(t *testing.T) {
			var before []byte
			before, _ = w.Snapshot()
			res, err := r.Do(ctx, "bad", tt.action, tt.params, "test/bad")
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || !strings.Contains(res.Error, tt.want) {
				t.Fatalf("OK=%v error %q, want refusal with %q", res.OK, res.Error, tt.want)
			}
			if after, _ := w.Snapshot(); string(after) != string(before) {
				t.Error("a refused action changed the sandbox")
			}
		})
	}
	// The total stays bounded too: ten moves of ten years reach the cap,
	// the eleventh is refused.
	for i := range 11 {
		res, err := r.Do(ctx, "wait", "advanceClock", map[string]string{"seconds": "315360000"}, "test/wait")
		if err != nil {
			t.Fatal(err)
		}
		if ok := i < 10; res.OK != ok {
			t.Fatalf("move %d: OK=%v (%s), want %v", i+1, res.OK, res.Error, ok)
		}
	}
	res, err := r.Do(ctx, "policy", "addAccessPolicy", map[string]string{"principal": "localDev", "secrets": "Get, list,get"}, "test/policy")
	if err != nil || !res.OK {
		t.Fatalf("valid policy refused: %v %+v", err, res)
	}
	w.View(func(st *world.State) {
		if st.ClockOffset != 10*315360000*time.Second {
			t.Errorf("clock offset %v, want 100 years", st.ClockOffset)
		}
		v, _ := vaultOf(st)
		got := ""
		for _, ap := range v.AccessPolicies {
			if ap.ObjectID == st.Labels["localDev"] {
				got = strings.Join(ap.Permissions.Secrets, ",")
			}
		}
		if got != "get,list" {
			t.Errorf("localDev's secret permissions = %q, want get,list", got)
		}
	})
}
