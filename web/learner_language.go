package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
)

// languageStore keeps the learner's code language.
type languageStore interface {
	SetCodeLanguage(ctx context.Context, learnerID, lang string) error
}

// learnerLanguage chooses the language the learner reads code steps in,
// for every step of every lesson (a tab click sends it; the choice is kept
// with the learner). Scripts get 204; a form is sent back to where it was.
func (s *Server) learnerLanguage(c echo.Context) error {
	lang := c.FormValue("lang")
	if !slices.Contains(lessons.Languages(), lang) {
		return errorf(CodeInvalidArgument, "lang must be one of %s", strings.Join(lessons.Languages(), ", "))
	}
	l, err := s.ensureLearner(c)
	if err != nil {
		return err
	}
	ls, ok := s.store.(languageStore)
	if !ok {
		return errorf(CodeNotFound, "this server keeps no preferences")
	}
	if err := ls.SetCodeLanguage(c.Request().Context(), l.ID, lang); err != nil {
		return err
	}
	if c.Request().Header.Get("X-CSRF-Token") != "" || isHTMX(c) {
		return c.NoContent(http.StatusNoContent)
	}
	back := c.FormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/lessons"
	}
	return c.Redirect(http.StatusSeeOther, back)
}
