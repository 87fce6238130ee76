package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type sandboxCreateRequest struct {
	Scenario string `json:"scenario"`
	// Cloud is "simulated" (the default) or "azure" (real mode).
	Cloud string `json:"cloud"`
}

// sandboxCreate creates a sandbox. With a session it belongs to the
// session's learner; without one (curl) it is reachable only with its
// access key.
func (s *Server) sandboxCreate(c echo.Context) error {
	var req sandboxCreateRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	name, err := checkScenario(req.Scenario)
	if err != nil {
		return err
	}
	realMode, err := s.checkCloud(req.Cloud, name)
	if err != nil {
		return err
	}
	// A browser session's sandbox belongs to its learner (created now, on
	// the session's first action); a cookieless one belongs to nobody.
	var learnerID string
	if !hasAuthorization(c.Request()) && sessionToken(c) != "" {
		l, err := s.ensureLearner(c)
		if err != nil {
			return err
		}
		learnerID = l.ID
	}
	create := s.sandboxes.Create
	if realMode {
		// Provisioning runs in the background (minutes on Azure); the
		// sandbox's "azure" block shows its progress.
		create = s.sandboxes.CreateInAzure
	}
	sb, w, err := create(c.Request().Context(), learnerID, name)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/sandboxes/"+sb.ID)
	return c.JSON(http.StatusCreated, s.details(sb, w).sandboxJSON)
}
