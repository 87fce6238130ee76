package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

type clockAdvanceRequest struct {
	AdvanceSeconds *int64 `json:"advanceSeconds"`
}

type clockResponse struct {
	SandboxTime        time.Time `json:"sandboxTime"`
	ClockOffsetSeconds int64     `json:"clockOffsetSeconds"`
}

// clockAdvance moves the sandbox's clock forward.
func (s *Server) clockAdvance(c echo.Context) error {
	_, w, err := s.sandboxFor(c)
	if err != nil {
		return err
	}
	var req clockAdvanceRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	if req.AdvanceSeconds == nil {
		return errorf(CodeInvalidArgument, "advanceSeconds is required")
	}
	now, offset, err := s.sandboxes.AdvanceClock(c.Request().Context(), w, *req.AdvanceSeconds)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, clockResponse{SandboxTime: now.UTC(), ClockOffsetSeconds: int64(offset / time.Second)})
}
