package lessons

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azure-auth-sandbox/sandbox/lessons/pyrun"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
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

// BenchmarkPythonGetSecretInside is Python's own share of a warm
// get-secret: the SDK call repeated inside one step (no protocol, no Go
// runner), with the worker's CPU time per call; with PYPROFILE=1 it logs
// cProfile's top functions by cumulative time.
//
//	flock /work/bench.lock go test ./lessons -run '^$' -bench PythonGetSecretInside -benchtime 200x -v
func BenchmarkPythonGetSecretInside(b *testing.B) {
	f := newFixture(b)
	w := f.sandbox(b, "sbx-inside")
	r := f.runner(b, w, lesson1(b))
	r.UsePython(f.python(b))
	if err := r.SetLanguage(LangPython); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.Close)
	for _, id := range []string{"grant-role", "create-credential", "create-client", "get-secret"} {
		if res := run(b, r, id); !res.OK {
			b.Fatal(id, res.Error)
		}
	}
	profile := "False"
	if os.Getenv("PYPROFILE") == "1" {
		profile = "True"
	}
	code, err := pyrun.Fill(`import cProfile, io, pstats, time
_n = int("{n}")
_prof = cProfile.Profile() if `+profile+` else None
_t0, _c0 = time.perf_counter(), time.process_time()
if _prof:
    _prof.enable()
for _ in range(_n):
    client.get_secret("{secretName}")
if _prof:
    _prof.disable()
    _out = io.StringIO()
    pstats.Stats(_prof, stream=_out).sort_stats("cumulative").print_stats(30)
    print(_out.getvalue())
wall_ms = str((time.perf_counter() - _t0) / _n * 1000)
cpu_ms = str((time.process_time() - _c0) / _n * 1000)
`, map[string]string{"n": strconv.Itoa(b.N), "secretName": secretNameOf(r)})
	if err != nil {
		b.Fatal(err)
	}
	r.mu.Lock()
	pw := r.prog.w
	r.mu.Unlock()
	b.ResetTimer()
	res, err := pw.Run(context.Background(), pyrun.Step{ID: "inside", Code: code})
	b.StopTimer()
	if err != nil || !res.OK {
		b.Fatal(err, res.Error)
	}
	for _, v := range res.Vars {
		if n, err := strconv.ParseFloat(v.Value, 64); err == nil && (v.Name == "wall_ms" || v.Name == "cpu_ms") {
			b.ReportMetric(n, "ms-python-"+strings.TrimSuffix(v.Name, "_ms"))
		}
	}
	if res.Stdout != "" {
		b.Log(res.Stdout)
	}
}

func secretNameOf(r *Runner) string {
	var name string
	r.w.View(func(st *world.State) { name = placeholderValues(st)["secretName"] })
	return name
}
