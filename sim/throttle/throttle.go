// Package throttle provides token buckets per key (a sandbox, a client
// address), bounded in memory: a flood of new keys cannot grow it without
// limit, and idle keys are forgotten.
package throttle

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxKeys bounds the buckets kept; beyond it idle buckets (full again) are
// dropped first, then the oldest.
const maxKeys = 10000

// Keyed is a set of token buckets, one per key, each refilling at Rate per
// second up to Burst. The zero Rate disables it (every call is allowed).
type Keyed struct {
	rate  rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns buckets refilling at perSecond tokens a second up to burst
// (at least 1). perSecond <= 0 disables limiting. now is the clock (nil:
// time.Now).
func New(perSecond float64, burst int, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	return &Keyed{rate: rate.Limit(perSecond), burst: max(burst, 1), now: now, buckets: map[string]*bucket{}}
}

// Allow takes a token from key's bucket. When there is none it returns false
// and how long until there will be one (for Retry-After).
func (k *Keyed) Allow(key string) (bool, time.Duration) {
	if k == nil || k.rate <= 0 {
		return true, 0
	}
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.buckets[key]
	if b == nil {
		if len(k.buckets) >= maxKeys {
			k.evictLocked(now)
		}
		b = &bucket{lim: rate.NewLimiter(k.rate, k.burst)}
		k.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// RetryAfterSeconds rounds d up to whole seconds (at least 1), as the
// Retry-After header wants.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// evictLocked drops the buckets that are full again (their key has been idle
// long enough that forgetting it changes nothing), or else the oldest half.
func (k *Keyed) evictLocked(now time.Time) {
	refill := time.Duration(float64(k.burst) / float64(k.rate) * float64(time.Second))
	for key, b := range k.buckets {
		if now.Sub(b.seen) >= refill {
			delete(k.buckets, key)
		}
	}
	if len(k.buckets) < maxKeys {
		return
	}
	var cut time.Time
	for _, b := range k.buckets {
		if cut.IsZero() || b.seen.After(cut) {
			cut = b.seen
		}
	}
	// Drop everything not seen at the newest instant: rare (10,000 keys
	// busy at once) and only makes the limit more lenient.
	for key, b := range k.buckets {
		if b.seen.Before(cut) {
			delete(k.buckets, key)
		}
	}
}
