package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// workshopStream pushes the dashboard's table as server-sent events. The
// table is rendered once per burst of learners' changes (and every
// dashboardTick) for all open dashboards of the workshop
// (dashboard_feed.go); a slow stream skips to the newest.
func (s *Server) workshopStream(c echo.Context) error {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	f, release := s.dashboards.join(w.ID, b)
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
		if !s.player.awaitChange(ctx, res, f, changed, keepAlive.C) {
			return nil
		}
	}
}
