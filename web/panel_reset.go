package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// panelReset rebuilds the lesson's sandbox (new tenant, principals and
// secrets, empty trace) and restarts the lesson in it.
func (p *player) panelReset(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	if _, err := p.sandboxes.Reset(c.Request().Context(), t.sb); err != nil {
		return err
	}
	p.forget(t.sb.ID)
	return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID))
}
