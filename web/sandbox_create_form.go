package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
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
		return s.homeRefused(c, l, ae)
	}
	realMode, err := s.checkCloud(c.FormValue("cloud"), name)
	if errors.As(err, &ae) {
		return s.homeRefused(c, l, ae)
	}
	create := s.sandboxes.Create
	if realMode {
		create = s.sandboxes.CreateInAzure
	}
	sb, _, err := create(c.Request().Context(), l.ID, name)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/#sb-"+sb.ID)
}
