package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// lessonOpen sends the learner to the lesson in their sandbox: the one they
// last worked on it in, else their newest sandbox of the lesson's scenario.
// Without one it offers to create it (a GET never creates a sandbox).
func (p *player) lessonOpen(c echo.Context) error {
	les, err := p.lessonParam(c)
	if err != nil {
		return err
	}
	l := viewer(c)
	ctx := c.Request().Context()
	var sbs []store.Sandbox
	if l.ID != "" {
		if sbs, err = p.store.SandboxesByLearner(ctx, l.ID); err != nil {
			return err
		}
	}
	want := les.Scenario
	if want == "" {
		want = scenario.Walkthrough
	}
	loaded := map[string]bool{}
	chosen := ""
	for _, sb := range sbs { // oldest first: the newest match wins
		if p.sandboxes.World(sb.ID) != nil && sb.Scenario == want {
			loaded[sb.ID] = true
			chosen = sb.ID
		}
	}
	if l.ID != "" {
		rows, err := p.store.ProgressByLearner(ctx, l.ID)
		if err != nil {
			return err
		}
		for _, r := range rows { // least recently updated first
			if r.LessonID == les.ID && loaded[r.SandboxID] {
				chosen = r.SandboxID
			}
		}
	}
	if chosen != "" {
		return c.Redirect(http.StatusSeeOther, lessonURL(chosen, les.ID))
	}
	return render(c, http.StatusOK, ui.LessonStart(ui.LessonStartPage{
		Page:     ui.Page{Title: les.Title, CSRFToken: csrfToken(c)},
		LessonID: les.ID, Title: les.Title, Summary: les.Summary, Scenario: want,
		StartURL: "/lessons/" + les.ID + "/start",
	}))
}
