package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// diagramShow returns the sequence diagram fragment (for a refresh without
// the event stream).
func (p *player) diagramShow(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, ui.Diagram(p.diagramFor(t, c.QueryParam("step"))))
}
