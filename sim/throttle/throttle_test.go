package throttle

import (
	"testing"
	"time"
)

func TestKeyed(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := New(2, 3, func() time.Time { return now }) // 2/s, burst 3
	steps := []struct {
		advance time.Duration
		key     string
		ok      bool
		wait    time.Duration
	}{
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 500 * time.Millisecond},
		{0, "b", true, 0}, // its own bucket
		{500 * time.Millisecond, "a", true, 0},
		{0, "a", false, 500 * time.Millisecond},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, wait := k.Allow(s.key)
		if ok != s.ok || wait != s.wait {
			t.Errorf("step %d (%s): got %v %v, want %v %v", i, s.key, ok, wait, s.ok, s.wait)
		}
	}
	if RetryAfterSeconds(500*time.Millisecond) != 1 || RetryAfterSeconds(1500*time.Millisecond) != 2 {
		t.Errorf("RetryAfterSeconds rounds up to whole seconds")
	}
	var off *Keyed
	if ok, _ := off.Allow("x"); !ok {
		t.Errorf("a nil Keyed limits nothing")
	}
	if ok, _ := New(0, 1, nil).Allow("x"); !ok {
		t.Errorf("rate 0 limits nothing")
	}
}

func TestKeyedStaysBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := New(1, 1, func() time.Time { return now })
	for i := 0; i < 3*maxKeys; i++ {
		now = now.Add(time.Millisecond)
		k.Allow(time.Duration(i).String())
	}
	if n := len(k.buckets); n > maxKeys {
		t.Errorf("%d buckets kept, bound %d", n, maxKeys)
	}
}
