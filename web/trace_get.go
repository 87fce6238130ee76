package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

type traceResponse struct {
	Exchanges []trace.Exchange `json:"exchanges"`
}

// traceGet returns the sandbox's recorded exchanges, oldest first (newest
// last), optionally only those after a sequence number (?after=seq).
func (s *Server) traceGet(c echo.Context) error {
	sb, _, err := s.sandboxFor(c)
	if err != nil {
		return err
	}
	after, err := queryInt64(c, "after")
	if err != nil {
		return err
	}
	exs := s.book.List(sb.ID, after)
	if exs == nil {
		exs = []trace.Exchange{}
	}
	return c.JSON(http.StatusOK, traceResponse{Exchanges: exs})
}
