package trace

import (
	"context"
	"fmt"
	"sync"
)

// Sink stores recorded exchanges (the SQLite store implements it).
// QueueExchange takes ownership of ex and stores it later, in the order
// given, so recording never waits on storage; Flush waits until everything
// queued before it is stored.
type Sink interface {
	QueueExchange(ex *Exchange) error
	Flush(ctx context.Context) error
}

// DefaultLimit is how many exchanges a Book keeps per sandbox when NewBook is
// given no limit.
const DefaultLimit = 500

// subscriberBuffer is how many exchanges a subscriber may lag behind before
// it starts missing some (it sees a gap in Seq and can List to catch up).
const subscriberBuffer = 64

// Book keeps the recent exchanges of every sandbox in memory: a bounded ring
// per sandbox (oldest dropped), passed on to a Sink and to subscribers.
type Book struct {
	limit int
	sink  Sink
	load  Loader // nil: nothing stored to read

	mu   sync.Mutex
	logs map[string]*sandboxLog
}

// Loader reads a sandbox's stored exchanges, oldest first.
type Loader func(sandboxID string) ([]Exchange, error)

// sandboxLog is one sandbox's ring and subscribers.
type sandboxLog struct {
	loaded sync.Once // the stored exchanges are read once, on first use

	mu      sync.Mutex
	ring    []Exchange // ring[(start+i)%len] for i < n, once full
	start   int
	n       int
	seq     int64
	subs    map[int]chan Exchange
	nextSub int
}

// NewBook returns a book keeping at most limit exchanges per sandbox
// (DefaultLimit when limit <= 0). sink may be nil.
func NewBook(limit int, sink Sink) *Book {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Book{limit: limit, sink: sink, logs: map[string]*sandboxLog{}}
}

// LoadLazily makes the book read a sandbox's stored exchanges with load the
// first time the sandbox's trace is used, instead of every trace at
// start-up: a restart with many sandboxes reads only the traces someone
// looks at. A load that fails leaves the trace empty. Call it before use.
func (b *Book) LoadLazily(load Loader) { b.load = load }

func (b *Book) log(id string, create bool) *sandboxLog {
	b.mu.Lock()
	l := b.logs[id]
	if l == nil && (create || b.load != nil) {
		l = &sandboxLog{ring: make([]Exchange, 0, min(b.limit, 64)), subs: map[int]chan Exchange{}}
		b.logs[id] = l
	}
	b.mu.Unlock()
	if l != nil && b.load != nil {
		l.loaded.Do(func() {
			exs, err := b.load(id)
			if err != nil {
				return
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			l.fill(exs, b.limit)
		})
	}
	return l
}

// Record masks ex (see Mask), gives it the sandbox's next Seq, keeps it,
// queues it for the sink and hands it to subscribers. Neither the sink nor
// subscribers that are not keeping up slow the request down: the sink stores
// the exchange after the response (Flush waits for it), a slow subscriber
// misses it. ex.SandboxID must be set; ex is modified in place. The error is
// the sink's refusal to queue: the exchange is kept in memory regardless.
func (b *Book) Record(_ context.Context, ex *Exchange) error { return b.record(ex, false) }

// RecordOwned is Record for an exchange whose header maps are the caller's
// own copies, shared with nothing else (the front door clones the request's
// and the response's headers for the trace): they are masked in place
// rather than copied once more. The caller must not use them afterwards.
func (b *Book) RecordOwned(_ context.Context, ex *Exchange) error { return b.record(ex, true) }

func (b *Book) record(ex *Exchange, ownHeaders bool) error {
	if ex == nil || ex.SandboxID == "" {
		return nil
	}
	mask(ex, ownHeaders)
	l := b.log(ex.SandboxID, true)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	ex.Seq = l.seq
	l.push(*ex, b.limit)
	for _, ch := range l.subs {
		select {
		case ch <- *ex:
		default: // slow subscriber: it will see a Seq gap
		}
	}
	if b.sink == nil {
		return nil
	}
	// Queued under mu, so the sink sees the sandbox's exchanges in Seq order.
	c := *ex
	if err := b.sink.QueueExchange(&c); err != nil {
		return fmt.Errorf("trace: record: %w", err)
	}
	return nil
}

// Flush waits until the sink has stored every exchange recorded before it,
// so what a reader is shown next is on disk.
func (b *Book) Flush(ctx context.Context) error {
	if b.sink == nil {
		return nil
	}
	if err := b.sink.Flush(ctx); err != nil {
		return fmt.Errorf("trace: flush: %w", err)
	}
	return nil
}

func (l *sandboxLog) push(ex Exchange, limit int) {
	if l.n < limit {
		if len(l.ring) < limit {
			l.ring = append(l.ring, ex)
		} else {
			l.ring[(l.start+l.n)%limit] = ex
		}
		l.n++
		return
	}
	l.ring[l.start] = ex
	l.start = (l.start + 1) % limit
}

// List returns the sandbox's kept exchanges with Seq > afterSeq, oldest first.
// The returned exchanges share header maps with the book: do not modify them.
func (b *Book) List(sandboxID string, afterSeq int64) []Exchange {
	l := b.log(sandboxID, false)
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Counted first: a caller asking for the few newest (a step's own
	// exchanges) gets a slice of that size, not one the size of the ring.
	n := 0
	for i := 0; i < l.n; i++ {
		if l.ring[(l.start+i)%len(l.ring)].Seq > afterSeq {
			n++
		}
	}
	out := make([]Exchange, 0, n)
	for i := 0; i < l.n && len(out) < n; i++ {
		if ex := &l.ring[(l.start+i)%len(l.ring)]; ex.Seq > afterSeq {
			out = append(out, *ex)
		}
	}
	return out
}

// Limit is how many exchanges the book keeps per sandbox: a trace that long
// drops its oldest exchange at every new one.
func (b *Book) Limit() int { return b.limit }

// LastSeq is the number of the sandbox's newest exchange (0: none), without
// copying the trace.
func (b *Book) LastSeq(sandboxID string) int64 {
	l := b.log(sandboxID, false)
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return 0
	}
	return l.ring[(l.start+l.n-1)%len(l.ring)].Seq
}

// Subscribe returns a channel receiving the sandbox's new exchanges and a
// function that ends the subscription (and closes the channel). The channel is
// buffered; a subscriber that falls behind misses exchanges and sees a gap in
// Seq (List(sandboxID, lastSeq) catches up).
func (b *Book) Subscribe(sandboxID string) (<-chan Exchange, func()) {
	l := b.log(sandboxID, true)
	ch := make(chan Exchange, subscriberBuffer)
	l.mu.Lock()
	id := l.nextSub
	l.nextSub++
	l.subs[id] = ch
	l.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if _, ok := l.subs[id]; ok {
				delete(l.subs, id)
				close(ch)
			}
		})
	}
}

// Load restores a sandbox's exchanges (from the store, at start, or none
// after a reset). exs must be oldest first; later Records continue after the
// highest Seq. The exchanges are kept as given (they were masked when first
// recorded).
func (b *Book) Load(sandboxID string, exs []Exchange) {
	l := b.log(sandboxID, true)
	l.loaded.Do(func() {}) // what is given replaces what is stored
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fill(exs, b.limit)
}

func (l *sandboxLog) fill(exs []Exchange, limit int) {
	l.ring = l.ring[:0]
	l.start, l.n = 0, 0
	if len(exs) > limit {
		exs = exs[len(exs)-limit:]
	}
	for _, ex := range exs {
		l.push(ex, limit)
		l.seq = max(l.seq, ex.Seq)
	}
}

// Drop forgets a sandbox's exchanges and ends its subscriptions.
func (b *Book) Drop(sandboxID string) {
	b.mu.Lock()
	l := b.logs[sandboxID]
	delete(b.logs, sandboxID)
	b.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, ch := range l.subs {
		delete(l.subs, id)
		close(ch)
	}
}
