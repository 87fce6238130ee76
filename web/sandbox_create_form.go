package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// sandboxCreateForm is the home page's "Create sandbox" form.
func (s *Server) sandboxCreateForm(c echo.Context) error {
	l, err := s.ensureLearner(c)
	if err != nil {
		return err
	}
	name, err := checkScenario(c.FormValue("scenario"))
	var ae *Error
	if errors.As(err, &ae) {
		m, err := s.homePage(c, l, ae.Message)
		if err != nil {
			return err
		}
		return render(c, statusOf(ae.Code), ui.Home(m))
	}
	sb, _, err := s.createSandbox(c.Request().Context(), l.ID, name)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/#sb-"+sb.ID)
}
