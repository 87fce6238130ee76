package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// lessonShow renders the lesson player.
func (p *player) lessonShow(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, ui.LessonShow(p.lessonPage(c, t)))
}
