package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// Event stream timing: exchanges arriving together are sent as one update;
// a comment now and then lets dead connections be noticed.
const (
	streamDebounce  = 60 * time.Millisecond
	streamKeepAlive = 25 * time.Second
)

// traceStream pushes the lesson's diagram (and goal) as server-sent events
// whenever the sandbox records an exchange, whoever made it: the lesson
// runner, or the learner's own program through the proxy. Each update is
// the whole fragment, so a reconnecting client is never behind. The
// fragment is rendered once per change for all streams showing it
// (stream_hub.go); a slow stream skips to the newest.
func (p *player) traceStream(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	f, release, err := p.hub.join(t, c.QueryParam("step"))
	if err != nil {
		return err
	}
	defer release()
	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	res.WriteHeader(http.StatusOK)
	ctx := c.Request().Context()
	keepAlive := time.NewTicker(streamKeepAlive)
	defer keepAlive.Stop()
	for {
		frame, changed := f.latest()
		if len(frame) > 0 {
			if _, err := res.Write(frame); err != nil {
				return nil
			}
			res.Flush()
		}
		if !p.awaitChange(ctx, res, f, changed, keepAlive.C) {
			return nil
		}
	}
}

// awaitChange waits for the feed's next frame, sending keep-alives
// meanwhile; false means the stream is over.
func (p *player) awaitChange(ctx context.Context, res *echo.Response, f *feed, changed <-chan struct{}, tick <-chan time.Time) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-p.closing:
			return false
		case <-f.done:
			return false // the sandbox was reset or deleted: the client reconnects
		case <-tick:
			if _, err := res.Write([]byte(": keep-alive\n\n")); err != nil {
				return false
			}
			res.Flush()
		case <-changed:
			return true
		}
	}
}

// drain waits briefly for more items so a burst is one update. It reports
// false when done closed or ch ended.
func drain[T any](done <-chan struct{}, ch <-chan T) bool {
	timer := time.NewTimer(streamDebounce)
	defer timer.Stop()
	for {
		select {
		case <-done:
			return false
		case _, ok := <-ch:
			if !ok {
				return false
			}
		case <-timer.C:
			return true
		}
	}
}

// writeEvent writes one server-sent event whose data is a rendered
// component (one data: line per line of HTML).
func writeEvent(ctx context.Context, w io.Writer, name string, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(ctx, &buf); err != nil {
		return err
	}
	var out strings.Builder
	out.WriteString("event: " + name + "\n")
	for _, line := range strings.Split(buf.String(), "\n") {
		out.WriteString("data: " + strings.TrimSuffix(line, "\r") + "\n")
	}
	out.WriteString("\n")
	_, err := io.WriteString(w, out.String())
	return err
}
