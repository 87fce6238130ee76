package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// workshopLearner shows one learner's diagram and trace to the instructor,
// read-only: the diagram's exchanges link to the trace rows below, not to
// the learner's own (session-bound) inspector.
func (s *Server) workshopLearner(c echo.Context) error {
	w, b, m, err := s.ownMember(c)
	if err != nil {
		return err
	}
	_, rows := b.Snapshot(s.hub.Now())
	lessonID := ""
	for _, r := range rows {
		if r.MemberID == m.ID {
			lessonID = r.Lesson
		}
	}
	page := ui.LearnerDetailPage{Page: ui.Page{Title: m.DisplayName + " · " + w.Title, CSRFToken: csrfToken(c)},
		Workshop: w.Title, DashboardURL: dashboardURL(w.ID), Name: m.DisplayName, Lesson: s.lessonTitle(lessonID)}
	if m.SandboxID == "" || s.sandboxes.World(m.SandboxID) == nil {
		page.NoSandbox = true
		return render(c, http.StatusOK, ui.LearnerDetail(page))
	}
	ctx := c.Request().Context()
	t, err := s.memberTarget(ctx, w, m, lessonID)
	if err != nil {
		return err
	}
	exs := s.player.exchanges(t.sb.ID)
	page.Diagram = s.player.diagramView(t, exs)
	for i := range page.Diagram.Exchanges {
		page.Diagram.Exchanges[i].Href = "#ex-" + strconv.FormatInt(page.Diagram.Exchanges[i].Seq, 10)
	}
	for i := len(exs) - 1; i >= 0; i-- { // newest first
		ex := exs[i]
		page.Trace = append(page.Trace, ui.TraceRow{Seq: ex.Seq, Time: ex.Time.UTC().Format("15:04:05"), Method: ex.Method,
			URL: clipText(ex.URL, 120), Status: ex.Status, Step: ex.Step,
			Outcome: workshop.Outcome(exs[i:i+1], ex.Status < 400, "")})
	}
	return render(c, http.StatusOK, ui.LearnerDetail(page))
}
