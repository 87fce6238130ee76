package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// workshopPresenter opens the presenter view of the instructor's own
// sandbox for the workshop (created on first use, owned by the
// instructor's browser session like any learner's).
func (s *Server) workshopPresenter(c echo.Context) error {
	w, _, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	l, err := s.ensureLearner(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := w.PresenterSandbox
	if sb, err := s.store.Sandbox(ctx, id); id == "" || err != nil || sb.LearnerID != l.ID || s.sandboxes.World(id) == nil {
		sb, _, err := s.sandboxes.Create(ctx, l.ID, w.Scenario)
		if err != nil {
			return err
		}
		if err := s.ws.SetPresenterSandbox(ctx, w.ID, sb.ID); err != nil {
			return err
		}
		id = sb.ID
	}
	return c.Redirect(http.StatusSeeOther, lessonURL(id, currentLesson(w))+"/present")
}
