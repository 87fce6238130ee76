package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// sandboxDelete deletes a sandbox with its world and trace.
func (s *Server) sandboxDelete(c echo.Context) error {
	sb, _, err := s.sandboxFor(c)
	if err != nil {
		return err
	}
	if err := s.sandboxes.Delete(c.Request().Context(), sb); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
