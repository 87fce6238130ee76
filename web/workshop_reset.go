package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// workshopLearnerReset rebuilds a learner's sandbox (same ID, new world,
// empty trace), as the learner's own reset button does.
func (s *Server) workshopLearnerReset(c echo.Context) error {
	w, _, m, err := s.ownMember(c)
	if err != nil {
		return err
	}
	if !w.EndedAt.IsZero() || m.SandboxID == "" {
		return errorf(CodeConflict, "this learner has no sandbox to reset")
	}
	ctx := c.Request().Context()
	sb, err := s.store.Sandbox(ctx, m.SandboxID)
	if err != nil {
		return err
	}
	if _, err := s.sandboxes.Reset(ctx, sb); err != nil {
		return err
	}
	s.player.forget(sb.ID)
	if err := s.hub.Record(ctx, &store.ProgressEvent{WorkshopID: w.ID, MemberID: m.ID, Kind: workshop.KindReset}); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, dashboardURL(w.ID)+"?done="+url.QueryEscape("sandbox of "+m.DisplayName+" reset"))
}
