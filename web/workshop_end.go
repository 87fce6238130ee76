package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// workshopEnd ends a workshop now (the instructor's button).
func (s *Server) workshopEnd(c echo.Context) error {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	if err := s.endWorkshop(c.Request().Context(), w, b); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, dashboardURL(w.ID))
}

// endWorkshop ends a workshop: the join code stops working and every
// learner's sandbox is deleted; members and their progress stay (the
// dashboard and the CSV export still show them). Ending an ended workshop
// deletes what a crash half-way left.
func (s *Server) endWorkshop(ctx context.Context, w *store.Workshop, b *workshop.Board) error {
	if w.EndedAt.IsZero() {
		if err := s.ws.EndWorkshop(ctx, w.ID); err != nil {
			return err
		}
	}
	members, err := s.ws.Members(ctx, w.ID)
	if err != nil {
		return err
	}
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
	return nil
}
