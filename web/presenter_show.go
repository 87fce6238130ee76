package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// presenterShow shows one code step and its exchanges full screen (?step=,
// default: the code step run last).
func (p *player) presenterShow(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	base := lessonURL(t.sb.ID, t.lesson.ID)
	current := c.QueryParam("step")
	history, last := t.run.snapshot()
	if t.lesson.Step(current) == nil {
		current = ""
		for i := len(history) - 1; i >= 0 && current == ""; i-- {
			if s := t.lesson.Step(history[i].StepID); s != nil && s.Kind == lessons.BlockStep {
				current = s.ID
			}
		}
	}
	m := ui.PresenterPage{Page: ui.Page{Title: "Presenter · " + t.lesson.Title, CSRFToken: csrfToken(c)},
		Title: t.lesson.Title, Base: base, LessonURL: base}
	for _, s := range t.lesson.Steps() {
		if s.Kind != lessons.BlockStep {
			continue
		}
		if current == "" {
			current = s.ID
		}
		m.Steps = append(m.Steps, ui.PresenterStep{ID: s.ID, Title: s.Title, URL: base + "/present?step=" + url.QueryEscape(s.ID), Current: s.ID == current})
	}
	if s := t.lesson.Step(current); s != nil {
		sv := p.stepView(t, s, last, csrfToken(c))
		m.Current = &sv
		m.Title = s.Title
	}
	m.Diagram = p.diagramFor(t, current)
	m.Stream = base + "/stream?step=" + url.QueryEscape(current)
	return render(c, http.StatusOK, ui.Presenter(m))
}

// diagramFor is the whole diagram, or only one step's runs (presenter).
func (p *player) diagramFor(t *target, stepID string) ui.DiagramView {
	exs := p.exchanges(t.sb.ID)
	if stepID == "" || t.lesson.Step(stepID) == nil {
		return p.diagramView(t, exs)
	}
	marker := t.lesson.Marker(stepID)
	var mine []trace.Exchange
	for _, ex := range exs {
		if ex.Step == marker {
			mine = append(mine, ex)
		}
	}
	history, _ := t.run.snapshot()
	var runs []stepRun
	for _, r := range history {
		if r.StepID == stepID {
			runs = append(runs, r)
		}
	}
	return ui.LayoutDiagram(diagramItems(mine, runs, t.lesson, t.run.exchangeItem))
}
