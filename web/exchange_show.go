package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// exchangeShow opens one exchange in the inspector: the fragment for
// htmx/app.js, the whole lesson page with the inspector open otherwise.
func (p *player) exchangeShow(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	seq, err := strconv.ParseInt(c.Param("seq"), 10, 64)
	if err != nil || seq <= 0 {
		return errorf(CodeNotFound, "exchange not found")
	}
	ex, err := p.findExchange(t.sb.ID, seq)
	if err != nil {
		return err
	}
	v := p.inspectorView(c.Request().Context(), t, ex, csrfToken(c))
	if isHTMX(c) {
		return render(c, http.StatusOK, ui.Inspector(v))
	}
	m := p.lessonPage(c, t)
	m.Inspector = &v
	return render(c, http.StatusOK, ui.LessonShow(m))
}
