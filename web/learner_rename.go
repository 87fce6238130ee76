package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

const maxDisplayName = 64

// learnerRename is the home page's display-name form.
func (s *Server) learnerRename(c echo.Context) error {
	l, err := s.ensureLearner(c)
	if err != nil {
		return err
	}
	name, err := checkDisplayName(c.FormValue("displayName"))
	var ae *Error
	if errors.As(err, &ae) {
		return s.homeRefused(c, l, ae)
	}
	if err := s.store.SetDisplayName(c.Request().Context(), l.ID, name); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// checkDisplayName trims and validates a display name: at most 64
// characters, printable, valid UTF-8.
func checkDisplayName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if !utf8.ValidString(name) {
		return "", errorf(CodeInvalidArgument, "the display name is not valid text")
	}
	if utf8.RuneCountInString(name) > maxDisplayName {
		return "", errorf(CodeInvalidArgument, "the display name may have at most %d characters", maxDisplayName)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "", errorf(CodeInvalidArgument, "the display name may not contain control characters")
		}
	}
	return name, nil
}
