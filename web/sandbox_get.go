package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// sandboxGet returns one sandbox's connection details.
func (s *Server) sandboxGet(c echo.Context) error {
	sb, w, err := s.sandboxFor(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.details(sb, w).sandboxJSON)
}
