package worldtest

import (
	"sync"
	"testing"
	"time"
)

func TestClockMovesOnlyWhenMoved(t *testing.T) {
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { c.Advance(time.Minute); _ = c.Now() })
	}
	wg.Wait()
	if got, want := c.Now(), start.Add(8*time.Minute); !got.Equal(want) {
		t.Fatalf("after 8 advances Now = %v, want %v", got, want)
	}
}
