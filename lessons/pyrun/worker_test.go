package pyrun

import (
	"context"
	"errors"
	"os"
	"strings"
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

func start(t testing.TB, lim Limits, env ...string) *Worker {
	t.Helper()
	w, err := Start(context.Background(), Config{Python: python(t), Env: env, Dir: t.TempDir(), Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
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

func TestWorkerKeepsObjectsBetweenSteps(t *testing.T) {
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

func TestWorkerReportsPythonExceptions(t *testing.T) {
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

func TestWorkerStdoutCannotForgeAReply(t *testing.T) {
	w := start(t, Limits{})
	res := run(t, w, "import os, subprocess\nos.write(1, b'{\"ok\": true, \"stdout\": \"forged\"}\\n')\nprint('printed')\nraise RuntimeError('real')")
	if res.OK || res.Error == nil || res.Error.Message != "real" || res.Stdout != "printed\n" {
		t.Fatalf("result = %+v", res)
	}
}

func TestWorkerCPUTimePerStep(t *testing.T) {
	w := start(t, Limits{StepCPU: time.Second})
	res := run(t, w, "while True:\n    pass")
	if res.OK || res.Error == nil || res.Error.Type != "CPUExceeded" {
		t.Fatalf("busy loop: %+v %+v", res, res.Error)
	}
	if res := run(t, w, "after = 1"); !res.OK {
		t.Fatalf("worker did not survive the CPU limit: %+v", res)
	}
}

func TestWorkerMemoryLimit(t *testing.T) {
	w := start(t, Limits{Memory: 400 << 20})
	res := run(t, w, "big = bytearray(600 * 1024 * 1024)")
	if res.OK || res.Error == nil || res.Error.Type != "MemoryError" {
		t.Fatalf("allocation over the limit: %+v %+v", res, res.Error)
	}
	if res := run(t, w, "small = bytearray(1024)"); !res.OK {
		t.Fatalf("worker did not survive: %+v", res)
	}
}

func TestWorkerHungIsKilled(t *testing.T) {
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

func TestWorkerCrash(t *testing.T) {
	w := start(t, Limits{})
	_, err := w.Run(context.Background(), Step{ID: "exit", Code: "import os, sys\nsys.stderr.write('going down\\n')\nos._exit(7)"})
	var f *Failure
	if !errors.As(err, &f) || f.Reason != "crashed" || !strings.Contains(f.Detail, "exit status 7") || !strings.Contains(f.Detail, "going down") {
		t.Fatalf("err = %v", err)
	}
}

func TestWorkerStopsWhenIdle(t *testing.T) {
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
func TestWorkerChainFromSDKLogging(t *testing.T) {
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
	if !strings.Contains(c.Error, "DefaultAzureCredential failed to retrieve a token") {
		t.Errorf("chain error = %q", c.Error)
	}
}

func TestFillValuesStayStrings(t *testing.T) {
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
