package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

const maxBroadcast = 280

// workshopBroadcast shows a short message on every learner's page.
func (s *Server) workshopBroadcast(c echo.Context) error {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	msg := strings.TrimSpace(c.FormValue("message"))
	if msg == "" || !utf8.ValidString(msg) || utf8.RuneCountInString(msg) > maxBroadcast {
		return errorf(CodeInvalidArgument, "a message has 1 to %d characters of text", maxBroadcast)
	}
	// Stored first: a restarted server still shows it.
	now := s.hub.Now()
	if err := s.ws.SetWorkshopNotice(c.Request().Context(), w.ID, msg, now); err != nil {
		return err
	}
	b.Broadcast(msg, now)
	return c.Redirect(http.StatusSeeOther, dashboardURL(w.ID)+"?done="+url.QueryEscape("message sent"))
}

// workshopMove moves the class to a lesson: learners' pages offer it, and
// joining learners land on it.
func (s *Server) workshopMove(c echo.Context) error {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	lesson := c.FormValue("lesson")
	if !slices.Contains(w.Lessons, lesson) {
		return errorf(CodeInvalidArgument, "that lesson is not part of this workshop")
	}
	if err := s.ws.SetWorkshopLesson(c.Request().Context(), w.ID, lesson); err != nil {
		return err
	}
	b.MoveTo(lesson, s.hub.Now())
	return c.Redirect(http.StatusSeeOther, dashboardURL(w.ID)+"?done="+url.QueryEscape("class moved to "+s.lessonTitle(lesson)))
}
