package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, gcMaxPercent},
		{1 << 20, gcMaxPercent},  // 1 MiB live: 32 MiB more would be 3200%
		{8 << 20, 400},           // the 500-sandbox server at rest
		{12 << 20, 266},          // a class at work
		{16 << 20, 200},          //
		{32 << 20, gcMinPercent}, // the headroom equals the default's growth
		{1 << 30, gcMinPercent},  // a large heap keeps the default
		{(32 << 20) / 3, 300},    // rounding down
		{gcHeadroom / 4, gcMaxPercent},
	} {
		if got := gcPercentFor(tc.live); got != tc.want {
			t.Errorf("gcPercentFor(%d) = %d, want %d", tc.live, got, tc.want)
		}
	}
}

// gcPercent is the runtime's GOGC now.
func gcPercent() int {
	p := debug.SetGCPercent(gcMinPercent)
	debug.SetGCPercent(p)
	return p
}

// waitPercent collects until the tuner has set a GOGC that ok accepts.
func waitPercent(t *testing.T, g *gcTuner, ok func(int) bool) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the cleanup runs after the collection
		g.mu.Lock()
		p := g.percent
		g.mu.Unlock()
		if ok(p) {
			return p
		}
	}
	t.Fatalf("the tuner did not follow the live heap (GOGC %d)", gcPercent())
	return 0
}

func TestGCTunerFollowsTheLiveHeap(t *testing.T) {
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, ok := os.LookupEnv(k); ok {
			t.Skipf("%s is set: the tuner leaves the runtime alone", k)
		}
	}
	defer debug.SetGCPercent(gcPercent())
	g := startGCTuner()
	if g == nil {
		t.Fatal("no tuner without GOGC and GOMEMLIMIT")
	}
	// A live heap beyond the headroom: the default.
	big := make([]byte, 2*gcHeadroom)
	for i := range big {
		big[i] = byte(i)
	}
	waitPercent(t, g, func(p int) bool { return p == gcMinPercent })
	if p := gcPercent(); p != gcMinPercent {
		t.Errorf("GOGC %d with a large live heap, want %d", p, gcMinPercent)
	}
	runtime.KeepAlive(big)
	big = nil
	// A small one: the heap may grow by the headroom.
	p := waitPercent(t, g, func(p int) bool { return p > gcMinPercent })
	if got := gcPercent(); got != p {
		t.Errorf("runtime GOGC %d, tuner %d", got, p)
	}
	g.Stop()
	runtime.GC()
	time.Sleep(10 * time.Millisecond)
	if p := gcPercent(); p != gcMinPercent {
		t.Errorf("GOGC %d after Stop, want the default %d", p, gcMinPercent)
	}
}

func TestGCTunerLeavesTheOperatorsSetting(t *testing.T) {
	t.Setenv("GOGC", "150")
	if g := startGCTuner(); g != nil {
		g.Stop()
		t.Fatal("tuner started although GOGC is set")
	}
	t.Setenv("GOGC", "")
	os.Unsetenv("GOGC")
	t.Setenv("GOMEMLIMIT", "1GiB")
	if g := startGCTuner(); g != nil {
		g.Stop()
		t.Fatal("tuner started although GOMEMLIMIT is set")
	}
}
