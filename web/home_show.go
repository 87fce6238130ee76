package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// homeShow renders the learner's sandboxes (none before their first
// action: a page view creates no learner).
func (s *Server) homeShow(c echo.Context) error {
	m, err := s.homePage(c, viewer(c), "")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, ui.Home(m))
}

// homePage builds the home page's view model.
func (s *Server) homePage(c echo.Context, l *store.Learner, formError string) (ui.HomePage, error) {
	m := ui.HomePage{
		Page:        ui.Page{Title: "Home", CSRFToken: csrfToken(c)},
		DisplayName: l.DisplayName,
		Scenarios:   scenario.Names,
		CACertURL:   s.url("/ca.pem"),
		Error:       formError,
	}
	if s.sandboxes.RealAvailable() {
		m.RealAzure = azure.Plan()
	}
	ctx := c.Request().Context()
	if err := s.homeLessons(ctx, l.ID, &m); err != nil {
		return m, err
	}
	if l.ID == "" { // not a learner yet
		return m, nil
	}
	views, err := s.sandboxViews(ctx, l.ID)
	if err != nil {
		return m, err
	}
	m.Sandboxes = views
	return m, nil
}

func (s *Server) sandboxViews(ctx context.Context, learnerID string) ([]ui.SandboxView, error) {
	sbs, err := s.store.SandboxesByLearner(ctx, learnerID)
	if err != nil {
		return nil, err
	}
	views := make([]ui.SandboxView, 0, len(sbs))
	for i := range sbs {
		if w := s.sandboxes.World(sbs[i].ID); w != nil {
			views = append(views, s.details(&sbs[i], w).uiView())
		}
	}
	return views, nil
}

// homeRefused shows the home page again with a form's error, under the
// error's status (a refused form keeps the learner where they were).
func (s *Server) homeRefused(c echo.Context, l *store.Learner, ae *Error) error {
	m, err := s.homePage(c, l, ae.Message)
	if err != nil {
		return err
	}
	return render(c, statusOf(ae.Code), ui.Home(m))
}

// homeLessons fills the landing page's catalog (with Start) and the
// learner's workshops.
func (s *Server) homeLessons(ctx context.Context, learnerID string, m *ui.HomePage) error {
	met := map[string]bool{}
	if learnerID != "" {
		rows, err := s.store.ProgressByLearner(ctx, learnerID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			met[r.LessonID] = met[r.LessonID] || r.GoalMet
		}
	}
	if s.player != nil {
		for _, les := range s.player.catalog.List() {
			m.Lessons = append(m.Lessons, ui.HomeLesson{ID: les.ID, Title: les.Title, Summary: les.Summary,
				StartURL: "/lessons/" + les.ID + "/start", GoalMet: met[les.ID]})
		}
	}
	if s.ws == nil {
		return nil
	}
	m.Join = true
	if learnerID == "" {
		return nil
	}
	ms, err := s.ws.MembershipsByLearner(ctx, learnerID)
	if err != nil {
		return err
	}
	for _, mb := range ms {
		w, err := s.ws.Workshop(ctx, mb.WorkshopID)
		if err != nil {
			return err
		}
		hw := ui.HomeWorkshop{Title: w.Title, Name: mb.DisplayName, Ended: !w.EndedAt.IsZero()}
		if mb.SandboxID != "" && !hw.Ended {
			hw.URL = lessonURL(mb.SandboxID, currentLesson(w))
		}
		m.Workshops = append(m.Workshops, hw)
	}
	return nil
}
