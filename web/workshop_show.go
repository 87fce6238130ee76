package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/store"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// faultChoices are the class faults (workshop_fault.go runs them).
var faultChoices = []ui.FaultChoice{
	{Kind: faultExpireSecret, Title: "Expire localDev's client secret (the clock moves past its end)"},
	{Kind: faultRemoveRole, Title: "Remove localDev's Key Vault Secrets User role on the vault"},
	{Kind: faultSiteIdentityOff, Title: "Turn off the site's system-assigned identity"},
	{Kind: faultPropagation, Title: "Set a role-assignment propagation delay (seconds)"},
	{Kind: faultAdvanceClock, Title: "Advance the sandbox clock (seconds)"},
}

// workshopShow renders a workshop's live dashboard.
func (s *Server) workshopShow(c echo.Context) error {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	base := dashboardURL(w.ID)
	join := s.joinURL(w.JoinCode)
	m := ui.DashboardPage{Page: ui.Page{Title: w.Title + " · dashboard", CSRFToken: csrfToken(c)}, Title: w.Title,
		JoinURL: join, Code: w.JoinCode, QRURL: base + "/qr.svg", Ended: !w.EndedAt.IsZero(), BaseURL: base,
		Faults: faultChoices, Presents: base + "/presenter", Message: c.QueryParam("done")}
	if len(m.Message) > 200 {
		m.Message = ""
	}
	if !w.EndsAt.IsZero() {
		m.EndsAt = w.EndsAt.UTC().Format("15:04 UTC, 2 Jan")
	}
	m.Lessons = s.lessonChoices(w)
	m.Table = s.dashboardTable(b)
	return render(c, http.StatusOK, ui.WorkshopDashboard(m))
}

func (s *Server) lessonChoices(w *store.Workshop) []ui.LessonChoice {
	out := make([]ui.LessonChoice, 0, len(w.Lessons))
	cur := currentLesson(w)
	for _, id := range w.Lessons {
		out = append(out, ui.LessonChoice{ID: id, Title: s.lessonTitle(id), Checked: id == cur})
	}
	return out
}

// dashboardTable is the live part of the dashboard, as of now. It holds
// nothing of the request (the rows' reset buttons post the page's one
// form), so one rendering serves every open dashboard.
func (s *Server) dashboardTable(b *workshop.Board) ui.DashboardTable {
	now := s.hub.Now()
	w, rows := b.Snapshot(now)
	t := ui.DashboardTable{Lessons: s.lessonChoices(&w), Learners: len(rows), Updated: now.UTC().Format("15:04:05")}
	for _, l := range t.Lessons {
		if l.Checked {
			t.Current = l.Title
		}
	}
	base := dashboardURL(w.ID)
	for _, r := range rows {
		dr := ui.DashboardRow{MemberID: r.MemberID, Name: r.Name, Steps: r.Steps, URL: base + "/learners/" + r.MemberID,
			Lesson: s.lessonTitle(r.Lesson), Step: s.stepTitle(r.Lesson, r.Step), Outcome: r.Outcome, OutcomeOK: r.OutcomeOK, Fault: r.Fault,
			Stuck: r.Stuck, StuckReason: r.StuckReason, HasSandbox: r.SandboxID != "" && w.EndedAt.IsZero()}
		if r.Step != "" {
			dr.OnStep = r.OnStep.Truncate(time.Second).String()
		}
		for _, l := range w.Lessons {
			dr.Goals = append(dr.Goals, r.Goals[l])
		}
		if r.Stuck {
			t.Stuck++
		}
		t.Rows = append(t.Rows, dr)
	}
	return t
}

func (s *Server) lessonTitle(id string) string {
	if l := s.player.catalog.Get(id); l != nil {
		return l.Title
	}
	return id
}

func (s *Server) stepTitle(lessonID, stepID string) string {
	if l := s.player.catalog.Get(lessonID); l != nil {
		if st := l.Step(stepID); st != nil && st.Title != "" {
			return st.Title
		}
	}
	return stepID
}
