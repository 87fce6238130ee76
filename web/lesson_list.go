package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// lessonList shows the lesson catalog with the learner's progress.
func (p *player) lessonList(c echo.Context) error {
	l := viewer(c)
	best := map[string]ui.CatalogEntry{}
	if l.ID != "" {
		rows, err := p.store.ProgressByLearner(c.Request().Context(), l.ID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			e := best[r.LessonID]
			e.StepsDone = max(e.StepsDone, len(r.StepsDone))
			e.GoalMet = e.GoalMet || r.GoalMet
			best[r.LessonID] = e
		}
	}
	m := ui.CatalogPage{Page: ui.Page{Title: "Lessons", CSRFToken: csrfToken(c)}}
	for _, les := range p.catalog.List() {
		e := best[les.ID]
		e.ID, e.Title, e.Summary, e.Order, e.Teaches = les.ID, les.Title, les.Summary, les.Order, lessons.ClaimTitles(les.Claims)
		e.Steps = len(les.Steps())
		e.StepsDone = min(e.StepsDone, e.Steps)
		e.URL = "/lessons/" + les.ID
		m.Lessons = append(m.Lessons, e)
	}
	return render(c, http.StatusOK, ui.Catalog(m))
}
