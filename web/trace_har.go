package web

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// traceHAR downloads the sandbox's trace as HAR 1.2 (secrets masked).
func (s *Server) traceHAR(c echo.Context) error {
	sb, _, err := s.sandboxFor(c)
	if err != nil {
		return err
	}
	if err := s.book.Flush(c.Request().Context()); err != nil {
		return err
	}
	data, err := trace.HAR(s.book.List(sb.ID, 0), s.creator)
	if err != nil {
		return fmt.Errorf("web: har: %w", err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="sandbox-%s.har"`, sb.ID))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, data)
}
