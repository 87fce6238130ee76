package lessons

import (
	"context"
	"testing"
	"time"
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

// BenchmarkAzureCLICredential is the signed-in-as-yourself place's first
// token in Python: a fresh program (its own AZURE_CONFIG_DIR, `az login`
// untimed), then the step that reads the secret, whose AzureCliCredential
// runs `az account get-access-token`. "plain" starts az from an empty
// config directory; "seeded" from the server's seed (command index, config).
//
//	flock /work/bench.lock go test ./lessons -run '^$' -bench AzureCLICredential -benchtime 5x
func BenchmarkAzureCLICredential(b *testing.B) {
	cat, err := LoadAll("")
	if err != nil {
		b.Fatal(err)
	}
	l := cat.Get("identity-for-development")
	if l == nil {
		b.Fatal("no lesson identity-for-development")
	}
	f := newFixture(b)
	for _, mode := range []string{"plain", "seeded"} {
		b.Run(mode, func(b *testing.B) {
			py := f.python(b)
			if py.AZ == "" {
				b.Skip("no az")
			}
			py.azPlain = mode == "plain"
			w := f.buildFor(b, "sbx-azbench-"+mode, l)
			r := f.runner(b, w, l)
			r.UsePython(py)
			if err := r.SetLanguage(LangPython); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(r.Close)
			if _, err := r.Setup(context.Background()); err != nil {
				b.Fatal(err)
			}
			var through []string
			for _, id := range l.Solution {
				through = append(through, id)
				if id == "me-get" {
					break
				}
			}
			for _, id := range through {
				run(b, r, id)
			}
			var login, step time.Duration
			for b.Loop() {
				b.StopTimer()
				r.Restart()
				began := time.Now()
				run(b, r, "me-credential") // starts the program: az login
				login += time.Since(began)
				run(b, r, "me-client")
				b.StartTimer()
				res := run(b, r, "me-get")
				if !res.OK {
					b.Fatal(res.Error)
				}
				step += res.Duration
			}
			b.ReportMetric(float64(login.Milliseconds())/float64(b.N), "ms-login+start")
			b.ReportMetric(float64(step.Milliseconds())/float64(b.N), "ms-first-token-step")
		})
	}
}
