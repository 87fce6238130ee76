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
	m := p.lessonPage(c, t)
	if p.notice == nil {
		return render(c, http.StatusOK, ui.LessonShow(m))
	}
	if n := p.notice(c.Request().Context(), t.sb.ID); n != nil {
		m.Notice, m.NoticeStream = n, "/sandboxes/"+t.sb.ID+"/workshop/stream"
	}
	return render(c, http.StatusOK, ui.LessonShow(m))
}
