package pyrun

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkWorkerStart starts a worker (the interpreter imports the SDK)
// and runs one step; it reports the worker's resident memory after a
// DefaultAzureCredential and a SecretClient exist.
//
//	flock /work/bench.lock go test ./lessons/pyrun -run '^$' -bench WorkerStart -benchtime 10x
func BenchmarkWorkerStart(b *testing.B) {
	py := python(b)
	var rss int64
	for b.Loop() {
		w, err := Start(context.Background(), Config{Python: py, Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		res, err := w.Run(context.Background(), Step{ID: "s", Code: "from azure.identity import DefaultAzureCredential\n" +
			"from azure.keyvault.secrets import SecretClient\ncredential = DefaultAzureCredential()\n" +
			"client = SecretClient('https://kv.vault.azure.net', credential)"})
		if err != nil || !res.OK {
			b.Fatal(err, res)
		}
		b.StopTimer()
		rss = max(rss, residentKB(b, w.Pid()))
		w.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rss)/1024, "MB-rss")
}

// BenchmarkWorkerStep is a warm step that does no I/O: the protocol's cost.
func BenchmarkWorkerStep(b *testing.B) {
	w := directStarter(b, Limits{})
	for b.Loop() {
		if res, err := w.Run(context.Background(), Step{ID: "s", Code: "x = 1"}); err != nil || !res.OK {
			b.Fatal(err)
		}
	}
}

// residentKB reads a process's VmRSS (Linux).
func residentKB(tb testing.TB, pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
