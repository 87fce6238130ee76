package web

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// diagramMarkHeader carries the mark of the diagram the page shows (app.js
// sets it on htmx requests): the answer then brings only the rows after it.
const diagramMarkHeader = "X-Diagram-Mark"

// runSteps runs steps in order, as the learner's clicks would, each with
// its parameter edits (nil: the step's defaults). It returns the trace
// after the runs and the goal on it; the learner's progress is saved with
// the last run (one write of the group commit, not two).
func (p *player) runSteps(c echo.Context, t *target, steps []*lessons.Step, edits map[string]string) ([]trace.Exchange, ui.GoalView, error) {
	ctx := c.Request().Context()
	var out stepOutcome
	for i, step := range steps {
		var err error
		_, out, err = p.doStep(ctx, t, t.run.stepLabel(step), func() (*lessons.StepResult, error) {
			return t.run.runner.Run(ctx, step.ID, edits)
		}, i == len(steps)-1)
		if out.progressErr != nil {
			loggerFrom(c).Warn("save progress", "error", out.progressErr)
		}
		if err != nil {
			return nil, ui.GoalView{}, &Error{Code: CodeInvalidArgument, Message: err.Error(), Err: err}
		}
	}
	return out.exs, out.goal, nil
}

// stepsAnswer answers step runs (runSteps gave the trace and the goal): a
// plain form post is redirected to the last step; htmx gets each step's
// result (the first in place unless allOOB), the goal, the diagram's new
// rows and the place out of band.
func (p *player) stepsAnswer(c echo.Context, t *target, steps []*lessons.Step, exs []trace.Exchange, goal ui.GoalView, allOOB bool) error {
	last := steps[len(steps)-1]
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID)+"#step-"+last.ID)
	}
	_, runs := t.run.snapshot()
	parts := make([]templ.Component, 0, len(steps)+3)
	seen := make(map[string]bool, len(steps))
	csrf := csrfToken(c)
	for _, s := range steps {
		if seen[s.ID] {
			continue
		}
		seen[s.ID] = true
		sv := p.stepView(t, s, runs, csrf)
		sv.OOB = allOOB || len(parts) > 0
		parts = append(parts, ui.StepResult(sv))
	}
	goal.OOB = true
	place := p.placeView(t)
	place.OOB = true
	parts = append(parts, ui.GoalPanel(goal), p.diagramPart(c, t, exs), ui.PlaceNow(place))
	return render(c, http.StatusOK, templ.Join(parts...))
}

// diagramPart is the diagram of an htmx answer: only the rows the page
// lacks when it said which diagram it shows, else the whole diagram out of
// band (rendered once per change, shared with the event streams).
func (p *player) diagramPart(c echo.Context, t *target, exs []trace.Exchange) templ.Component {
	d := p.diagramView(t, exs)
	if mark := c.Request().Header.Get(diagramMarkHeader); mark != "" {
		if from, ok := d.Since(mark); ok {
			return ui.DiagramDelta(d, mark, from)
		}
	}
	return rawHTML(p.wholeDiagram(t, d))
}

// wholeDiagram renders the lesson page's diagram as an out-of-band swap,
// once per change of its rows: the step answers and the page's event
// streams share the bytes. (The hx-swap-oob attribute is inert where the
// bytes replace the diagram by script.)
func (p *player) wholeDiagram(t *target, d ui.DiagramView) []byte {
	r := t.run
	r.mu.Lock()
	if r.diagramMark == d.Mark && r.diagramHTML != nil {
		b := r.diagramHTML
		r.mu.Unlock()
		return b
	}
	r.mu.Unlock()
	d.OOB = true
	var buf bytes.Buffer
	r.rowsMu.Lock()
	err := r.rows.Render(context.Background(), d, &buf)
	r.rowsMu.Unlock()
	if err != nil {
		p.log.Warn("web: render diagram", "err", err)
	}
	b := buf.Bytes()
	r.mu.Lock()
	r.diagramMark, r.diagramHTML = d.Mark, b
	r.mu.Unlock()
	return b
}

// pageDiagram renders the lesson page's own diagram with the run's kept
// rows: only the rows added since the run's last whole diagram are
// rendered (the bytes are Diagram(d)'s).
func (p *player) pageDiagram(t *target, d ui.DiagramView) templ.Component {
	var buf bytes.Buffer
	r := t.run
	r.rowsMu.Lock()
	err := r.rows.Render(context.Background(), d, &buf)
	r.rowsMu.Unlock()
	if err != nil {
		p.log.Warn("web: render diagram", "err", err)
		return ui.Diagram(d)
	}
	return rawHTML(buf.Bytes())
}

// rawHTML writes bytes rendered before.
func rawHTML(b []byte) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
