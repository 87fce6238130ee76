package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// joinShow is the join form (the QR code's link fills the code in).
func (s *Server) joinShow(c echo.Context) error {
	code, _ := workshop.NormalizeCode(c.QueryParam("code"))
	return render(c, http.StatusOK, ui.Join(ui.JoinPage{Page: ui.Page{Title: "Join a workshop", CSRFToken: csrfToken(c)}, Code: code}))
}

// joinURL is the link learners open to join (the QR code's content).
func (s *Server) joinURL(code string) string { return s.url("/join") + "?code=" + code }
