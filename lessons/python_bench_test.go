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
// cached: one authorized call) in Go and in Python. Besides wall time it
// reports the CPU time per step of this process (the server's side: runner,
// proxy, simulated cloud) and of the Python worker, which on a shared
// machine vary less than wall time.
//
//	flock /work/bench.lock go test ./lessons -run '^$' -bench WarmStep -benchtime 50x
func BenchmarkWarmStep(b *testing.B) {
	f := newFixture(b)
	runs := 0 // -count runs each language again against the same fixture
	for _, lang := range []string{LangGo, LangPython} {
		b.Run(lang, func(b *testing.B) {
			runs++
			w := f.sandbox(b, "sbx-warm-"+lang+"-"+strconv.Itoa(runs))
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
			worker := 0
			if lang == LangPython {
				r.mu.Lock()
				worker = r.prog.w.Pid()
				r.mu.Unlock()
			}
			server0, ok0 := procCPU(os.Getpid())
			worker0, _ := procCPU(worker)
			for b.Loop() {
				res, err := r.Run(ctx, "get-secret", nil)
				if err != nil || !res.OK || len(res.Exchanges) != 1 {
					b.Fatal(err, res.Error, len(res.Exchanges))
				}
			}
			server1, ok1 := procCPU(os.Getpid())
			worker1, _ := procCPU(worker)
			if ok0 && ok1 {
				b.ReportMetric(float64((server1-server0).Microseconds())/1000/float64(b.N), "ms-server-cpu/op")
				if worker != 0 {
					b.ReportMetric(float64((worker1-worker0).Microseconds())/1000/float64(b.N), "ms-worker-cpu/op")
				}
			}
		})
	}
}

// procCPU is the user+system CPU time process pid has used, from
// /proc/PID/stat (Linux; ok is false elsewhere and for pid 0). Its unit is
// the kernel's clock tick, 10 ms: benchmarks read it over many steps.
func procCPU(pid int) (time.Duration, bool) {
	if pid == 0 {
		return 0, false
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command name (which may hold spaces) start at
	// state; utime and stime are the 14th and 15th fields of the line.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick, true
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
