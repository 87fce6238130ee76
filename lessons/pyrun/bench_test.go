package pyrun

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkWorkerStart starts a worker and runs one step, directly (the
// interpreter imports the SDK) and forked from a warm zygote; it reports
// the worker's memory after a DefaultAzureCredential and a SecretClient
// exist: resident (RSS) and its proportional share (PSS), which counts the
// pages a forked worker still shares with the zygote once per sharer.
//
//	flock /work/bench.lock go test ./lessons/pyrun -run '^$' -bench WorkerStart -benchtime 10x
func BenchmarkWorkerStart(b *testing.B) {
	py := python(b)
	for _, mode := range []string{"direct", "forked"} {
		b.Run(mode, func(b *testing.B) {
			var z *Zygote
			if mode == "forked" {
				z = newZygote(b)
			}
			var rss, pss int64
			// Eight workers live at once, as in a class, so PSS shows the
			// sharing.
			var live []*Worker
			defer func() {
				for _, w := range live {
					w.Close()
				}
			}()
			for b.Loop() {
				w, err := Start(context.Background(), Config{Python: py, Dir: b.TempDir(), Zygote: z})
				if err != nil {
					b.Fatal(err)
				}
				res, err := w.Run(context.Background(), Step{ID: "s", Code: "from azure.identity import DefaultAzureCredential\n" +
					"from azure.keyvault.secrets import SecretClient\ncredential = DefaultAzureCredential()\n" +
					"client = SecretClient('https://kv.vault.azure.net', credential)"})
				if err != nil || !res.OK || w.Forked() != (z != nil) {
					b.Fatal(err, res)
				}
				b.StopTimer()
				live = append(live, w)
				if len(live) > 8 {
					live[0].Close()
					live = live[1:]
				}
				r, p := memoryKB(b, w.Pid())
				rss, pss = max(rss, r), max(pss, p)
				b.StartTimer()
			}
			b.ReportMetric(float64(rss)/1024, "MB-rss")
			b.ReportMetric(float64(pss)/1024, "MB-pss")
		})
	}
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

// memoryKB reads a process's Rss and Pss from /proc/PID/smaps_rollup
// (Linux).
func memoryKB(tb testing.TB, pid int) (rss, pss int64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		tb.Skipf("no /proc smaps_rollup: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			rss = n
		case "Pss:":
			pss = n
		}
	}
	return rss, pss
}
