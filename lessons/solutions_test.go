package lessons

import (
	"context"
	"testing"
)

// TestEveryLessonSolution walks each embedded lesson's solution on a fresh
// sandbox: the goal must not be met at the start (after setup) and must be
// met at the end.
func TestEveryLessonSolution(t *testing.T) {
	cat, err := LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	for _, l := range cat.List() {
		t.Run(l.ID, func(t *testing.T) {
			w := f.buildFor(t, "sbx-sol-"+l.ID, l)
			r := f.runner(t, w, l)
			if _, err := r.Setup(context.Background()); err != nil {
				t.Fatal(err)
			}
			if g := r.Goal(); g.Met {
				t.Fatal("goal met on the starting state")
			}
			for _, id := range l.Solution {
				res := run(t, r, id)
				t.Logf("%s: ok=%v %v %s%s", id, res.OK, services(res), firstLine(res.Output), firstLine(res.Error))
			}
			if ext := external[l.ID]; ext != nil {
				ext(t, f, w)
			}
			if g := r.Goal(); !g.Met {
				for _, it := range g.Items {
					t.Errorf("%s met=%v: %s", it.ID, it.Met, it.Detail)
				}
			}
		})
	}
}
