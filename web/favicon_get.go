package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/static"
)

// faviconGet answers browsers that ask for /favicon.ico on their own (the
// pages link the SVG icon): the same icon, so no console shows a 404.
func (s *Server) faviconGet(c echo.Context) error {
	b, err := static.FS.ReadFile("img/favicon.svg")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}
