package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// instructorSignInShow shows the sign-in button of a one-time link. The
// GET does not use the link up: link previews and scanners fetch URLs.
func (s *Server) instructorSignInShow(c echo.Context) error {
	m := ui.InstructorSignInPage{Page: ui.Page{Title: "Instructor sign-in", CSRFToken: csrfToken(c)}, Token: c.QueryParam("token")}
	if m.Token == "" || len(m.Token) > 64 {
		m.Error = "This sign-in link is incomplete: copy the whole link that \"sandbox instructor add\" printed."
		return render(c, http.StatusBadRequest, ui.InstructorSignIn(m))
	}
	return render(c, http.StatusOK, ui.InstructorSignIn(m))
}

// instructorSignIn uses up a one-time link and signs this browser in.
func (s *Server) instructorSignIn(c echo.Context) error {
	token := c.FormValue("token")
	session := newSecret()
	in, err := s.ws.RedeemInstructorLink(c.Request().Context(), token, session)
	if errors.Is(err, store.ErrNotFound) || len(token) > 64 {
		m := ui.InstructorSignInPage{Page: ui.Page{Title: "Instructor sign-in", CSRFToken: csrfToken(c)},
			Error: "This sign-in link does not work: it was used already, replaced by a newer one, or the instructor was removed. Ask for a new one (sandbox instructor add NAME)."}
		return render(c, http.StatusNotFound, ui.InstructorSignIn(m))
	}
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: instructorCookie, Value: session, Path: "/", MaxAge: sessionMaxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureRequest(c.Request())})
	c.Set(ctxInstructor, in)
	// The learner session carries the CSRF binding of the instructor's
	// forms (and owns the instructor's own presenter sandbox).
	if _, err := s.ensureLearner(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/instructor")
}
