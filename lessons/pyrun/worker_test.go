package pyrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// python returns Debian's Python with the SDK, skipping (failing under CI)
// where it is missing.
func python(t testing.TB) string {
	t.Helper()
	exe, _, err := Find(context.Background(), os.Getenv("SANDBOX_PYTHON"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs Python with python3-azure: %v", err)
		}
		t.Skipf("no Python with the Azure SDK: %v", err)
	}
	return exe
}

// starter starts workers one way: directly, or forked by a zygote.
type starter func(t testing.TB, lim Limits, env ...string) *Worker

func directStarter(t testing.TB, lim Limits, env ...string) *Worker {
	return startWith(t, nil, lim, env...)
}

func zygoteStarter(z *Zygote) starter {
	return func(t testing.TB, lim Limits, env ...string) *Worker {
		t.Helper()
		w := startWith(t, z, lim, env...)
		if !w.Forked() {
			t.Fatal("the worker was not forked by the zygote")
		}
		return w
	}
}

func startWith(t testing.TB, z *Zygote, lim Limits, env ...string) *Worker {
	t.Helper()
	w, err := Start(context.Background(), Config{Python: python(t), Env: env, Dir: t.TempDir(), Limits: lim, Zygote: z})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func newZygote(t testing.TB) *Zygote {
	t.Helper()
	z := NewZygote(python(t))
	t.Cleanup(func() { z.Close() })
	if err := z.Warm(); err != nil {
		t.Fatal(err)
	}
	return z
}

// Every bound and behaviour of a worker holds whether it was started
// directly or forked by the zygote.
func TestWorker(t *testing.T) {
	z := newZygote(t)
	for _, mode := range []struct {
		name  string
		start starter
	}{{"direct", directStarter}, {"forked", zygoteStarter(z)}} {
		for _, tc := range []struct {
			name string
			test func(*testing.T, starter)
		}{
			{"KeepsObjectsBetweenSteps", testWorkerKeepsObjectsBetweenSteps},
			{"ReportsPythonExceptions", testWorkerReportsPythonExceptions},
			{"StdoutCannotForgeAReply", testWorkerStdoutCannotForgeAReply},
			{"CPUTimePerStep", testWorkerCPUTimePerStep},
			{"MemoryLimit", testWorkerMemoryLimit},
			{"HungIsKilled", testWorkerHungIsKilled},
			{"Crash", testWorkerCrash},
			{"StopsWhenIdle", testWorkerStopsWhenIdle},
			{"ChainFromSDKLogging", testWorkerChainFromSDKLogging},
			{"FillValuesStayStrings", testFillValuesStayStrings},
			{"EnvironmentFromScratch", testWorkerEnvironmentFromScratch},
		} {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) { tc.test(t, mode.start) })
		}
	}
}

func run(t testing.TB, w *Worker, code string) *Result {
	t.Helper()
	res, err := w.Run(context.Background(), Step{ID: "s", Code: code})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func varNamed(res *Result, name string) *Var {
	for i := range res.Vars {
		if res.Vars[i].Name == name {
			return &res.Vars[i]
		}
	}
	return nil
}

func testWorkerKeepsObjectsBetweenSteps(t *testing.T, start starter) {
	w := start(t, Limits{})
	if w.Info().AzureIdentity == "" || w.Info().Python == "" {
		t.Fatalf("info = %+v", w.Info())
	}
	res := run(t, w, "from azure.identity import DefaultAzureCredential\ncredential = DefaultAzureCredential()\ngreeting = 'hello'\nprint('made it')")
	if !res.OK || res.Stdout != "made it\n" {
		t.Fatalf("first step = %+v", res)
	}
	if v := varNamed(res, "credential"); v == nil || v.Type != "azure.identity._credentials.default.DefaultAzureCredential" || v.Value != "" {
		t.Fatalf("credential var = %+v", v)
	}
	res = run(t, w, "same = type(credential).__name__ + ' ' + greeting")
	if v := varNamed(res, "same"); !res.OK || v == nil || v.Value != "DefaultAzureCredential hello" {
		t.Fatalf("second step = %+v", res)
	}
	if varNamed(res, "credential") != nil {
		t.Fatalf("unchanged variables reported: %+v", res.Vars)
	}
}

func testWorkerReportsPythonExceptions(t *testing.T, start starter) {
	w := start(t, Limits{})
	for _, tc := range []struct{ code, typ, msg string }{
		{"raise ValueError('boom')", "ValueError", "boom"},
		{"from azure.core.exceptions import HttpResponseError\nraise HttpResponseError(message='Forbidden')", "azure.core.exceptions.HttpResponseError", "Forbidden"},
		{"from azure.identity import CredentialUnavailableError\nraise CredentialUnavailableError(message='no env')", "azure.identity._exceptions.CredentialUnavailableError", "no env"},
		{"undefined_name", "NameError", "name 'undefined_name' is not defined"},
		{"def broken(:", "SyntaxError", "invalid syntax"},
		{"import sys\nsys.exit(3)", "SystemExit", "3"},
	} {
		res := run(t, w, tc.code)
		if res.OK || res.Error == nil || res.Error.Type != tc.typ || !strings.Contains(res.Error.Message, tc.msg) {
			t.Errorf("%q: result %+v, error %+v; want %s: %s", tc.code, res, res.Error, tc.typ, tc.msg)
		}
	}
	if res := run(t, w, "alive = True"); !res.OK {
		t.Fatalf("worker did not survive its exceptions: %+v", res)
	}
}

func testWorkerStdoutCannotForgeAReply(t *testing.T, start starter) {
	w := start(t, Limits{})
	res := run(t, w, "import os, subprocess\nos.write(1, b'{\"ok\": true, \"stdout\": \"forged\"}\\n')\nprint('printed')\nraise RuntimeError('real')")
	if res.OK || res.Error == nil || res.Error.Message != "real" || res.Stdout != "printed\n" {
		t.Fatalf("result = %+v", res)
	}
}

func testWorkerCPUTimePerStep(t *testing.T, start starter) {
	w := start(t, Limits{StepCPU: time.Second})
	res := run(t, w, "while True:\n    pass")
	if res.OK || res.Error == nil || res.Error.Type != "CPUExceeded" {
		t.Fatalf("busy loop: %+v %+v", res, res.Error)
	}
	if res := run(t, w, "after = 1"); !res.OK {
		t.Fatalf("worker did not survive the CPU limit: %+v", res)
	}
}

func testWorkerMemoryLimit(t *testing.T, start starter) {
	w := start(t, Limits{Memory: 400 << 20})
	res := run(t, w, "big = bytearray(600 * 1024 * 1024)")
	if res.OK || res.Error == nil || res.Error.Type != "MemoryError" {
		t.Fatalf("allocation over the limit: %+v %+v", res, res.Error)
	}
	if res := run(t, w, "small = bytearray(1024)"); !res.OK {
		t.Fatalf("worker did not survive: %+v", res)
	}
}

func testWorkerHungIsKilled(t *testing.T, start starter) {
	w := start(t, Limits{StepTimeout: 500 * time.Millisecond})
	_, err := w.Run(context.Background(), Step{ID: "sleep", Code: "import time\ntime.sleep(30)"})
	var f *Failure
	if !errors.As(err, &f) || f.Reason != "hung" {
		t.Fatalf("err = %v", err)
	}
	if w.Alive() {
		t.Fatal("hung worker still alive")
	}
	if _, err := w.Run(context.Background(), Step{ID: "x", Code: "x = 1"}); !errors.As(err, &f) {
		t.Fatalf("run on a killed worker: %v", err)
	}
}

func testWorkerCrash(t *testing.T, start starter) {
	w := start(t, Limits{})
	_, err := w.Run(context.Background(), Step{ID: "exit", Code: "import os, sys\nsys.stderr.write('going down\\n')\nos._exit(7)"})
	var f *Failure
	if !errors.As(err, &f) || f.Reason != "crashed" || !strings.Contains(f.Detail, "exit status 7") || !strings.Contains(f.Detail, "going down") {
		t.Fatalf("err = %v", err)
	}
}

func testWorkerStopsWhenIdle(t *testing.T, start starter) {
	w := start(t, Limits{Idle: 200 * time.Millisecond})
	run(t, w, "x = 1")
	deadline := time.Now().Add(5 * time.Second)
	for w.Alive() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if w.Alive() {
		t.Fatal("idle worker still alive")
	}
	_, err := w.Run(context.Background(), Step{ID: "x", Code: "y = 2"})
	var f *Failure
	if !errors.As(err, &f) || f.Reason != "stopped" {
		t.Fatalf("err = %v", err)
	}
}

// The chain report is azure-identity's own account of DefaultAzureCredential:
// its order and its messages, read from its log records.
func testWorkerChainFromSDKLogging(t *testing.T, start starter) {
	// No environment credential, IMDS behind a proxy that refuses, no az.
	w := start(t, Limits{}, "HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9", "PATH=/nonexistent")
	run(t, w, "from azure.identity import DefaultAzureCredential\ncredential = DefaultAzureCredential()")
	res := run(t, w, "token = credential.get_token('https://vault.azure.net/.default')")
	if res.OK || res.Error == nil || res.Error.Type != "azure.core.exceptions.ClientAuthenticationError" {
		t.Fatalf("get_token: %+v", res)
	}
	c := res.Chain
	if c == nil || c.Answered != "" || len(c.Links) < 4 {
		t.Fatalf("chain = %+v", c)
	}
	if c.Links[0].Name != "EnvironmentCredential" || c.Links[0].Outcome != "unavailable" ||
		!strings.Contains(c.Links[0].Message, "Environment variables are not fully configured") {
		t.Errorf("first link = %+v", c.Links[0])
	}
	if c.Links[1].Name != "ManagedIdentityCredential" || c.Links[1].Outcome == "not tried" {
		t.Errorf("second link = %+v", c.Links[1])
	}
	if c.Links[0].Config != "No environment configuration found." || len(c.Scopes) != 1 || c.Scopes[0] != "https://vault.azure.net/.default" {
		t.Errorf("config %q, scopes %v", c.Links[0].Config, c.Scopes)
	}
	if !strings.Contains(c.Error, "DefaultAzureCredential failed to retrieve a token") {
		t.Errorf("chain error = %q", c.Error)
	}
}

func testFillValuesStayStrings(t *testing.T, start starter) {
	w := start(t, Limits{})
	for _, v := range []string{
		`plain`, `with "double" and 'single' quotes`, `back\slash\`, "new\nline", "tab\tcr\r",
		`"); import os; os._exit(1); ("`, `'''`, `"""`, "\x00\x1f\x7f", "é ü \u2028 \u0085 😀", `{vaultUrl}`,
	} {
		code, err := Fill("v = \"{value}\"\nw = '{value}'\nx = \"\"\"{value}\"\"\"  # {value}", map[string]string{"value": v})
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		res := run(t, w, code)
		if !res.OK {
			t.Fatalf("%q: %+v %+v\n%s", v, res, res.Error, code)
		}
		for _, name := range []string{"v", "w", "x"} {
			if got := varNamed(res, name); got == nil || got.Value != v {
				t.Errorf("%q: %s = %+v", v, name, got)
			}
		}
	}
}

// A worker's environment is exactly the one it was given: nothing of the
// server's (nor, forked, of the zygote's) reaches it.
func testWorkerEnvironmentFromScratch(t *testing.T, start starter) {
	t.Setenv("SANDBOX_SERVER_SECRET", "server-only")
	dir := t.TempDir()
	w := start(t, Limits{}, "ONLY=this", "HOME="+dir, "TMPDIR="+dir)
	res := run(t, w, "import os, tempfile\nenv = ','.join(sorted(k for k in os.environ if k not in ('LC_CTYPE',)))\n"+
		"tmp = tempfile.gettempdir()\nhome = os.path.expanduser('~')\ncwd = os.getcwd()")
	if v := varNamed(res, "env"); v == nil || v.Value != "HOME,ONLY,TMPDIR" {
		t.Errorf("environment = %+v", v)
	}
	for _, name := range []string{"tmp", "home"} {
		if v := varNamed(res, name); v == nil || v.Value != dir {
			t.Errorf("%s = %+v, want %s", name, v, dir)
		}
	}
}

// Two workers forked from one zygote each see their own environment, and
// what one sets is not seen by the other.
func TestZygoteEnvironmentIsolation(t *testing.T) {
	// Set before the zygote starts: the server's environment must not
	// reach a worker through the zygote either.
	t.Setenv("SANDBOX_SERVER_SECRET", "server-only")
	z := newZygote(t)
	start := zygoteStarter(z)
	a := start(t, Limits{}, "PLACE=a", "HTTPS_PROXY=http://user-a:pass@127.0.0.1:1")
	b := start(t, Limits{}, "PLACE=b", "AZURE_CLIENT_ID=b-client")
	run(t, a, "import os\nos.environ['SET_BY_A'] = '1'")
	probe := "import os, urllib.request\nplace = os.environ.get('PLACE')\nproxy = urllib.request.getproxies().get('https', '')\n" +
		"client = os.environ.get('AZURE_CLIENT_ID', '')\nseen = os.environ.get('SET_BY_A', '')\n" +
		"leaked = ','.join(k for k in os.environ if k.startswith('SANDBOX_'))"
	for _, tc := range []struct {
		w                          *Worker
		place, proxy, client, seen string
	}{
		{a, "a", "http://user-a:pass@127.0.0.1:1", "", "1"},
		{b, "b", "", "b-client", ""},
	} {
		res := run(t, tc.w, probe)
		for name, want := range map[string]string{"place": tc.place, "proxy": tc.proxy, "client": tc.client, "seen": tc.seen, "leaked": ""} {
			if v := varNamed(res, name); v == nil || v.Value != want {
				t.Errorf("worker %s: %s = %+v, want %q", tc.place, name, v, want)
			}
		}
	}
	// A credential reads the environment when it is made, in the worker.
	res := run(t, b, "from azure.identity import EnvironmentCredential\nimport os\nos.environ.update(AZURE_TENANT_ID='t', AZURE_CLIENT_SECRET='s')\n"+
		"c = EnvironmentCredential()\nconfigured = c._credential is not None")
	if v := varNamed(res, "configured"); v == nil || v.Value != "True" {
		t.Errorf("EnvironmentCredential in b: %+v %+v", v, res.Error)
	}
	res = run(t, a, "from azure.identity import EnvironmentCredential\nc = EnvironmentCredential()\nconfigured = c._credential is not None")
	if v := varNamed(res, "configured"); v == nil || v.Value != "False" {
		t.Errorf("EnvironmentCredential in a: %+v %+v", v, res.Error)
	}
}

// A killed zygote takes its workers with it; they fail with a clear
// message, and the next worker comes from a new zygote.
func TestZygoteKilled(t *testing.T) {
	z := newZygote(t)
	start := zygoteStarter(z)
	w := start(t, Limits{})
	run(t, w, "x = 1")
	old := z.Pid()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, old)
	_, err := w.Run(context.Background(), Step{ID: "after", Code: "y = 2"})
	var f *Failure
	if !errors.As(err, &f) || f.Reason != "crashed" {
		t.Fatalf("step after the zygote died: %v", err)
	}
	if waitGone(t, w.Pid()); processAlive(w.Pid()) {
		t.Errorf("worker %d outlived its zygote", w.Pid())
	}
	w2 := start(t, Limits{})
	if res := run(t, w2, "z = 3"); !res.OK {
		t.Fatalf("new worker: %+v", res)
	}
	if z.Pid() == old || z.Pid() == 0 {
		t.Fatalf("zygote not restarted: %d (was %d)", z.Pid(), old)
	}
}

// A forked worker killed from outside is a crash with its signal; a
// worker whose socket the server closed exits; the zygote lives on.
func TestZygoteChildKilled(t *testing.T) {
	z := newZygote(t)
	start := zygoteStarter(z)
	w := start(t, Limits{})
	if err := syscall.Kill(w.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, err := w.Run(context.Background(), Step{ID: "after", Code: "y = 2"})
	var f *Failure
	if !errors.As(err, &f) || f.Reason != "crashed" || !strings.Contains(f.Detail, "signal: killed") {
		t.Fatalf("step on a killed worker: %v", err)
	}
	w2 := start(t, Limits{})
	pid := w2.Pid()
	_ = w2.proto.Close() // the server's end of its socket only
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if processAlive(pid) {
		t.Errorf("worker %d lives on after its socket closed", pid)
	}
	if res := run(t, start(t, Limits{}), "ok = 1"); !res.OK {
		t.Fatalf("zygote after its children died: %+v", res)
	}
}

// A class starting at once: thirty workers forked together, each its own.
func TestZygoteThirtyAtOnce(t *testing.T) {
	z := newZygote(t)
	py := python(t)
	const n = 30
	var wg sync.WaitGroup
	errs := make([]error, n)
	pids := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := Start(context.Background(), Config{Python: py, Env: []string{"N=" + strconv.Itoa(i)}, Dir: t.TempDir(), Zygote: z})
			if err != nil {
				errs[i] = err
				return
			}
			defer w.Close()
			res, err := w.Run(context.Background(), Step{ID: "s", Code: "import os\nn = os.environ['N']\npid = os.getpid()"})
			switch {
			case err != nil:
				errs[i] = err
			case !w.Forked():
				errs[i] = errors.New("not forked")
			case varNamed(res, "n") == nil || varNamed(res, "n").Value != strconv.Itoa(i):
				errs[i] = fmt.Errorf("n = %+v", varNamed(res, "n"))
			default:
				pids[i], _ = strconv.Atoi(varNamed(res, "pid").Value)
			}
		}()
	}
	wg.Wait()
	seen := map[int]bool{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
		if seen[pids[i]] {
			t.Errorf("pid %d twice", pids[i])
		}
		seen[pids[i]] = true
	}
}

// Closing the zygote stops its workers.
func TestZygoteCloseStopsWorkers(t *testing.T) {
	z := newZygote(t)
	w := zygoteStarter(z)(t, Limits{})
	pid := w.Pid()
	z.Close()
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if processAlive(pid) {
		t.Fatalf("worker %d outlived a closed zygote", pid)
	}
	if w, err := Start(context.Background(), Config{Python: python(t), Dir: t.TempDir(), Zygote: z}); err != nil || w.Forked() {
		t.Fatalf("after Close, Start = %v, %v; want a direct worker", w, err)
	} else {
		w.Close()
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(pid) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
