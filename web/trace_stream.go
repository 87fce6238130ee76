package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
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
// the whole fragment, so a reconnecting client is never behind.
func (p *player) traceStream(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	step := c.QueryParam("step")
	ch, cancel := p.s.book.Subscribe(t.sb.ID)
	defer cancel()
	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	res.WriteHeader(http.StatusOK)
	ctx := c.Request().Context()
	send := func() error {
		d := p.diagramFor(t, step)
		if err := writeEvent(ctx, res, "diagram", ui.Diagram(d)); err != nil {
			return err
		}
		if step == "" {
			if err := writeEvent(ctx, res, "goal", ui.GoalPanel(p.goalView(t, p.exchanges(t.sb.ID)))); err != nil {
				return err
			}
		}
		res.Flush()
		return nil
	}
	if err := send(); err != nil {
		return nil
	}
	keepAlive := time.NewTicker(streamKeepAlive)
	defer keepAlive.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.closing:
			return nil
		case <-keepAlive.C:
			if _, err := res.Write([]byte(": keep-alive\n\n")); err != nil {
				return nil
			}
			res.Flush()
		case _, ok := <-ch:
			if !ok {
				return nil // the sandbox was reset or deleted: the client reconnects
			}
			if !drain(ctx, ch) {
				return nil
			}
			if err := send(); err != nil {
				return nil
			}
		}
	}
}

// drain waits briefly for more exchanges so a burst is one update.
func drain[T any](ctx context.Context, ch <-chan T) bool {
	timer := time.NewTimer(streamDebounce)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
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
func writeEvent(ctx context.Context, w http.ResponseWriter, name string, comp templ.Component) error {
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
	_, err := w.Write([]byte(out.String()))
	return err
}
