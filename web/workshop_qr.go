package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// workshopQR is the join link's QR code (SVG) for the projector.
func (s *Server) workshopQR(c echo.Context) error {
	w, _, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	svg, err := workshop.QRSVG(s.joinURL(w.JoinCode))
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}
