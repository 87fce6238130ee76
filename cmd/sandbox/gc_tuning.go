package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The server's GC setting. Its live heap is small (about 8 MB with 500
// sandboxes, 10-15 MB while a class of 30 works through a lesson), so at
// the default GOGC=100 a class's garbage starts a collection every 10-15 MB
// allocated, several times a second, and marking took 6-7% of a class's CPU
// on both cores. The tuner lets the heap grow by gcHeadroom beyond what was
// live at the last collection, as long as that is more than GOGC=100
// allows, and never by more than gcMaxPercent: the heap stays under about
// live + 32 MiB (README, "Configuration"), and a large live heap
// gets the default. An operator's GOGC or GOMEMLIMIT wins: the tuner then
// leaves the runtime alone.
const (
	gcHeadroom   = 32 << 20
	gcMinPercent = 100
	gcMaxPercent = 400
)

// gcPercentFor is the GOGC that lets a heap of live bytes grow by
// gcHeadroom, within [gcMinPercent, gcMaxPercent].
func gcPercentFor(live uint64) int {
	if live == 0 {
		return gcMaxPercent
	}
	return int(min(max(gcHeadroom*100/live, gcMinPercent), gcMaxPercent))
}

// gcTuner sets GOGC after each collection from the live heap it measured.
type gcTuner struct {
	mu      sync.Mutex
	stopped bool
	percent int
	sample  []metrics.Sample
}

// gcSentinel is garbage the tuner watches: its cleanup runs after the
// collection that found it unreachable. (It holds a pointer so the runtime
// never puts it in a tiny block, whose cleanups may not run.)
type gcSentinel struct{ _ *byte }

// startGCTuner starts tuning unless the environment sets GOGC or
// GOMEMLIMIT; it returns nil then.
func startGCTuner() *gcTuner {
	if _, ok := os.LookupEnv("GOGC"); ok {
		return nil
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return nil
	}
	t := &gcTuner{percent: gcMinPercent, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.tune()
	return t
}

// tune sets GOGC for the live heap of the last collection and watches for
// the next one.
func (t *gcTuner) tune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		if p := gcPercentFor(t.sample[0].Value.Uint64()); p != t.percent {
			debug.SetGCPercent(p)
			t.percent = p
		}
	}
	runtime.AddCleanup(&gcSentinel{}, func(t *gcTuner) { t.tune() }, t)
}

// Stop ends the tuning and restores the default GOGC.
func (t *gcTuner) Stop() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(gcMinPercent)
	}
}
