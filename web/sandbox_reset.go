package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// sandboxReset rebuilds the sandbox's scenario: same ID and access key, a
// fresh world, an empty trace.
func (s *Server) sandboxReset(c echo.Context) error {
	sb, _, err := s.sandboxFor(c)
	if err != nil {
		return err
	}
	if err := decodeJSON(c, &struct{}{}, false); err != nil {
		return err
	}
	w, err := s.sandboxes.Reset(c.Request().Context(), sb)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.details(sb, w).sandboxJSON)
}
