package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// workshopStream pushes the dashboard's table as server-sent events: after
// every learner's step (changes within streamDebounce are one update) and
// every dashboardTick for the time-based columns.
func (s *Server) workshopStream(c echo.Context) error {
	_, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	ch, cancel := b.Subscribe()
	defer cancel()
	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	res.WriteHeader(http.StatusOK)
	ctx := c.Request().Context()
	send := func() error {
		if err := writeEvent(ctx, res, "table", ui.DashboardTableView(s.dashboardTable(c, b))); err != nil {
			return err
		}
		res.Flush()
		return nil
	}
	if err := send(); err != nil {
		return nil
	}
	tick := time.NewTicker(dashboardTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.player.closing:
			return nil
		case <-tick.C:
		case <-ch:
			if !drain(ctx.Done(), ch) {
				return nil
			}
		}
		if err := send(); err != nil {
			return nil
		}
	}
}
