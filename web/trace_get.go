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
	// What the API shows is stored: wait for the rows queued after their
	// responses (a kill -9 then loses nothing a client has seen).
	if err := s.book.Flush(c.Request().Context()); err != nil {
		return err
	}
	exs := s.book.List(sb.ID, after)
	if exs == nil {
		exs = []trace.Exchange{}
	}
	return c.JSON(http.StatusOK, traceResponse{Exchanges: exs})
}
