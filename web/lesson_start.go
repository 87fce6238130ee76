package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// lessonStart creates a sandbox of the lesson's scenario for the learner
// and opens the lesson in it.
func (p *player) lessonStart(c echo.Context) error {
	les, err := p.lessonParam(c)
	if err != nil {
		return err
	}
	l, err := p.ensureLearner(c)
	if err != nil {
		return err
	}
	name, err := checkScenario(les.Scenario)
	if err != nil {
		return err
	}
	sb, _, err := p.sandboxes.Create(c.Request().Context(), l.ID, name)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, lessonURL(sb.ID, les.ID))
}
