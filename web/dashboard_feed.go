package web

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// dashboardCoalesce is how long a dashboard feed gathers learners' changes
// into one rendering: a class of 100 stepping at once is a few renders a
// second, not one per step, and a step still shows well within a second.
const dashboardCoalesce = 250 * time.Millisecond

// dashboardFeeds renders each workshop's class table once per burst of
// changes (and once per dashboardTick, for the time columns) and hands the
// same bytes to every open dashboard of that workshop.
type dashboardFeeds struct {
	s       *Server
	mu      sync.Mutex
	feeds   map[string]*feed // by workshop ID; feed.streams guarded by mu
	renders atomic.Int64     // tests and benchmarks
}

func newDashboardFeeds(s *Server) *dashboardFeeds {
	return &dashboardFeeds{s: s, feeds: map[string]*feed{}}
}

// join returns the workshop's feed, starting it for the first dashboard;
// release must be called when the stream ends.
func (d *dashboardFeeds) join(workshopID string, b *workshop.Board) (*feed, func()) {
	d.mu.Lock()
	f := d.feeds[workshopID]
	fresh := f == nil
	if fresh {
		f = &feed{key: feedKey{lesson: workshopID}, changed: make(chan struct{}), done: make(chan struct{})}
		d.feeds[workshopID] = f
	}
	f.streams++
	d.mu.Unlock()
	if fresh {
		// Subscribed before the first render, so no change falls between.
		ch, stop := b.Subscribe()
		f.mu.Lock()
		f.stop = stop
		f.mu.Unlock()
		f.publish(d.render(b))
		go d.run(f, b, ch)
	} else {
		f.waitFirst()
	}
	var once sync.Once
	return f, func() { once.Do(func() { d.leave(f, workshopID) }) }
}

func (d *dashboardFeeds) leave(f *feed, workshopID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f.streams--; f.streams == 0 {
		if d.feeds[workshopID] == f {
			delete(d.feeds, workshopID)
		}
		f.stopOnce()
	}
}

func (d *dashboardFeeds) run(f *feed, b *workshop.Board, ch <-chan struct{}) {
	tick := time.NewTicker(dashboardTick)
	defer tick.Stop()
	for {
		select {
		case <-f.done:
			return
		case <-d.s.player.closing:
			f.stopOnce()
			return
		case <-tick.C:
		case <-ch:
			if !wait(f.done, dashboardCoalesce) {
				return
			}
		}
		f.publish(d.render(b))
	}
}

// wait sleeps for d unless done closes first (false).
func wait(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return false
	case <-t.C:
		return true
	}
}

// render is the "table" event of the dashboard stream.
func (d *dashboardFeeds) render(b *workshop.Board) (frame []byte) {
	// Renders run on the feed's goroutine, outside the handlers' panic
	// recovery: a panic must not take the server down.
	defer func() {
		if v := recover(); v != nil {
			d.s.log.Error("web: dashboard render panicked", "panic", v)
			frame = []byte(": dashboard unavailable\n\n")
		}
	}()
	d.renders.Add(1)
	var buf bytes.Buffer
	if err := writeEvent(context.Background(), &buf, "table", ui.DashboardTableView(d.s.dashboardTable(b))); err != nil {
		d.s.log.Warn("web: render dashboard", "err", err)
	}
	return buf.Bytes()
}
