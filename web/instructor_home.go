package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// instructorHome lists the instructor's workshops and the create form.
func (s *Server) instructorHome(c echo.Context) error {
	m, err := s.instructorPage(c, ui.WorkshopForm{Scenario: scenario.Walkthrough, StuckAfterMn: "5"}, "")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, ui.InstructorHome(m))
}

func (s *Server) instructorPage(c echo.Context, form ui.WorkshopForm, formErr string) (ui.InstructorHomePage, error) {
	in, _ := s.loadInstructor(c)
	m := ui.InstructorHomePage{Page: ui.Page{Title: "Workshops", CSRFToken: csrfToken(c)}, Name: in.Name,
		Scenarios: scenario.Names, Form: form, Error: formErr}
	checked := map[string]bool{}
	for _, id := range form.Lessons {
		checked[id] = true
	}
	for _, l := range s.player.catalog.List() {
		m.Lessons = append(m.Lessons, ui.LessonChoice{ID: l.ID, Title: l.Title, Checked: checked[l.ID] || len(form.Lessons) == 0 && l.Order == 1})
	}
	ctx := c.Request().Context()
	ws, err := s.ws.WorkshopsByInstructor(ctx, in.ID)
	if err != nil {
		return m, err
	}
	now := s.hub.Now()
	for _, w := range ws {
		ms, err := s.ws.Members(ctx, w.ID)
		if err != nil {
			return m, err
		}
		status := "running"
		switch {
		case !w.EndedAt.IsZero():
			status = "ended"
		case !running(&w, now):
			status = "past its end time"
		}
		m.Workshops = append(m.Workshops, ui.WorkshopItem{Title: w.Title, URL: dashboardURL(w.ID), Code: w.JoinCode,
			Status: status, Learners: len(ms)})
	}
	return m, nil
}
