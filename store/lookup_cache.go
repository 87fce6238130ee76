package store

import "sync"

// maxCached bounds a lookupCache: a class of 100 many times over.
const maxCached = 4096

// lookupCache keeps the answers of a hot read (every request asks who its
// session is; every step asks whose workshop sandbox it runs in) until a
// write that could change them. A write forgets everything: such writes are
// rare (a join, a rename). The generation stops a read that raced a write
// from storing what it read before the write committed.
type lookupCache[V any] struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]V
}

// get returns the cached answer for key and the generation to pass to put.
func (c *lookupCache[V]) get(key string) (v V, ok bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok = c.m[key]
	return v, ok, c.gen
}

// put stores what a read that began at generation gen found, unless a
// write finished since.
func (c *lookupCache[V]) put(key string, v V, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCached {
		c.m = map[string]V{} // crude bound: start over
	}
	c.m[key] = v
}

// forget drops every answer; call it after each write to the table read
// (whether or not the write succeeded).
func (c *lookupCache[V]) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}
