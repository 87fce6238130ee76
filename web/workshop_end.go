package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// workshopEnd ends a workshop: the join code stops working and every
// learner's sandbox is deleted; members and their progress stay (the
// dashboard and the CSV export still show them).
func (s *Server) workshopEnd(c echo.Context) error {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if w.EndedAt.IsZero() {
		if err := s.ws.EndWorkshop(ctx, w.ID); err != nil {
			return err
		}
	}
	members, err := s.ws.Members(ctx, w.ID)
	if err != nil {
		return err
	}
	// Also after a crash half-way: ending again deletes what is left.
	for _, m := range members {
		if m.SandboxID == "" {
			continue
		}
		sb, err := s.store.Sandbox(ctx, m.SandboxID)
		if err != nil {
			continue // deleted meanwhile
		}
		if err := s.sandboxes.Delete(ctx, sb); err != nil {
			return err
		}
		s.player.forget(sb.ID)
		b.SetMemberSandbox(m.ID, "")
	}
	ended, err := s.ws.Workshop(ctx, w.ID)
	if err != nil {
		return err
	}
	b.SetWorkshop(*ended)
	return c.Redirect(http.StatusSeeOther, dashboardURL(w.ID))
}
