package lessons

import (
	"context"
	"net/http"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim"
	"github.com/azure-auth-sandbox/sandbox/sim/entra/entratest"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

type fixture struct {
	cloud *sim.Cloud
	reg   *world.Registry
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	reg := world.NewRegistry(nil, nil)
	c, err := sim.New(sim.Config{Registry: reg, Keys: entratest.Keys(t)})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{cloud: c, reg: reg}
}

func (f *fixture) sandbox(t testing.TB, id string) *world.World {
	t.Helper()
	w, err := scenario.Build(context.Background(), f.reg, id, scenario.Walkthrough)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// lesson1 returns the embedded lesson 1.
func lesson1(t testing.TB) *Lesson {
	t.Helper()
	cat, err := LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	l := cat.Get("auth-at-the-call")
	if l == nil {
		t.Fatal("lesson auth-at-the-call not embedded")
	}
	return l
}

func (f *fixture) runner(t testing.TB, w *world.World, l *Lesson) *Runner {
	t.Helper()
	return NewRunner(FromSim(f.cloud), w, l)
}

func run(t testing.TB, r *Runner, step string) *StepResult {
	t.Helper()
	res, err := r.Run(context.Background(), step, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func services(res *StepResult) []string {
	var out []string
	for _, ex := range res.Exchanges {
		out = append(out, string(ex.Service)+" "+ex.Method+" "+itoa(ex.Status))
	}
	return out
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	s := ""
	for n > 0 {
		s = string(digits[n%10]) + s
		n /= 10
	}
	return s
}

func newHTTPClient(rt http.RoundTripper) *http.Client { return &http.Client{Transport: rt} }
