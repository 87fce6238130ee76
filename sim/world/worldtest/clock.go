// Package worldtest is test support for code that reads time through a
// world.Clock: a clock the test sets and moves.
package worldtest

import (
	"sync"
	"time"
)

// Clock is a world.Clock that only moves when the test moves it; safe for
// the concurrent readers a server under test has.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
