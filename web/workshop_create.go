package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

const maxWorkshopTitle = 120

// workshopCreate creates a workshop from the instructor's form and opens
// its dashboard. A refused form is shown again with its values.
func (s *Server) workshopCreate(c echo.Context) error {
	in, _ := s.loadInstructor(c)
	form, err := c.FormParams()
	if err != nil {
		return errorf(CodeInvalidArgument, "could not read the form")
	}
	f := ui.WorkshopForm{Title: strings.TrimSpace(form.Get("title")), Lessons: form["lessons"], Scenario: form.Get("scenario"),
		EndsInMin: form.Get("endsInMinutes"), StuckAfterMn: form.Get("stuckAfterMinutes")}
	w, ferr := s.checkWorkshopForm(f, s.hub.Now())
	if ferr != nil {
		m, err := s.instructorPage(c, f, ferr.Error())
		if err != nil {
			return err
		}
		return render(c, http.StatusBadRequest, ui.InstructorHome(m))
	}
	w.InstructorID = in.ID
	// A drawn code may be taken (rarely): draw again.
	for range 5 {
		w.JoinCode = workshop.NewCode()
		err = s.ws.CreateWorkshop(c.Request().Context(), w)
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, dashboardURL(w.ID))
}

// checkWorkshopForm validates the create form.
func (s *Server) checkWorkshopForm(f ui.WorkshopForm, now time.Time) (*store.Workshop, error) {
	w := &store.Workshop{Title: f.Title, Scenario: f.Scenario, StuckAfter: 5 * time.Minute}
	switch {
	case w.Title == "" || !utf8.ValidString(w.Title):
		return nil, errors.New("give the workshop a title")
	case utf8.RuneCountInString(w.Title) > maxWorkshopTitle:
		return nil, errors.New("the title may have at most 120 characters")
	}
	if len(f.Lessons) == 0 || len(f.Lessons) > 50 {
		return nil, errors.New("choose at least one lesson")
	}
	seen := map[string]bool{}
	for _, id := range f.Lessons {
		l := s.player.catalog.Get(id)
		if l == nil {
			return nil, errors.New("unknown lesson " + strconv.Quote(clipText(id, 40)))
		}
		if !seen[id] {
			seen[id] = true
			w.Lessons = append(w.Lessons, id)
		}
	}
	name, err := checkScenario(f.Scenario)
	if err != nil {
		return nil, errors.New("unknown scenario " + strconv.Quote(clipText(f.Scenario, 40)))
	}
	w.Scenario = name
	if f.EndsInMin != "" {
		n, err := strconv.Atoi(f.EndsInMin)
		if err != nil || n < 1 || n > 7*24*60 {
			return nil, errors.New("the end must be 1 to 10080 minutes away")
		}
		w.EndsAt = now.Add(time.Duration(n) * time.Minute)
	}
	if f.StuckAfterMn != "" {
		n, err := strconv.Atoi(f.StuckAfterMn)
		if err != nil || n < 1 || n > 600 {
			return nil, errors.New("\"stuck after\" must be 1 to 600 minutes")
		}
		w.StuckAfter = time.Duration(n) * time.Minute
	}
	return w, nil
}

// clipText shortens s for an error message.
func clipText(s string, n int) string {
	if !utf8.ValidString(s) {
		return "(not text)"
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
