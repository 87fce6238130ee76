package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthGet answers 200 when the store answers, 503 otherwise.
func (s *Server) healthGet(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return &Error{Code: CodeUnavailable, Message: "store unavailable", Err: err}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
