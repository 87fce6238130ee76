package lessons

import (
	"context"
	"testing"
)

// BenchmarkWarmStep compares a warm get-secret step (role granted, token
// cached: one authorized call) in Go and in Python.
//
//	flock /work/bench.lock go test ./lessons -run '^$' -bench WarmStep -benchtime 50x
func BenchmarkWarmStep(b *testing.B) {
	f := newFixture(b)
	for _, lang := range []string{LangGo, LangPython} {
		b.Run(lang, func(b *testing.B) {
			w := f.sandbox(b, "sbx-warm-"+lang)
			r := f.runner(b, w, lesson1(b))
			if lang == LangPython {
				r.UsePython(f.python(b))
				if err := r.SetLanguage(LangPython); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(r.Close)
			}
			ctx := context.Background()
			for _, id := range []string{"grant-role", "create-credential", "create-client", "get-secret"} {
				if res := run(b, r, id); !res.OK {
					b.Fatal(id, res.Error)
				}
			}
			for b.Loop() {
				res, err := r.Run(ctx, "get-secret", nil)
				if err != nil || !res.OK || len(res.Exchanges) != 1 {
					b.Fatal(err, res.Error, len(res.Exchanges))
				}
			}
		})
	}
}
