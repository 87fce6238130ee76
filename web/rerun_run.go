package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// rerunRun runs a rerun block's steps again, in order, as the learner's
// clicks would (each with its defaults). htmx gets every step's result, the
// goal, the diagram and the place swapped out of band; a plain form post is
// redirected to the last step.
func (p *player) rerunRun(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	rr := t.lesson.Rerun(c.Param("block"))
	if rr == nil {
		return errorf(CodeNotFound, "rerun not found")
	}
	ctx := c.Request().Context()
	for _, id := range rr.Steps {
		step := t.lesson.Step(id)
		if step == nil {
			return errorf(CodeNotFound, "step not found")
		}
		_, err := p.do(ctx, t, t.run.stepLabel(step), func() (*lessons.StepResult, error) {
			return t.run.runner.Run(ctx, step.ID, nil)
		})
		if err != nil {
			return &Error{Code: CodeInvalidArgument, Message: err.Error(), Err: err}
		}
	}
	exs := p.exchanges(t.sb.ID)
	goal := p.goalView(t, exs)
	if err := p.saveProgress(ctx, t, goal.Met); err != nil {
		loggerFrom(c).Warn("save progress", "error", err)
	}
	last := rr.Steps[len(rr.Steps)-1]
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID)+"#step-"+last)
	}
	_, runs := t.run.snapshot()
	var parts []templ.Component
	seen := map[string]bool{}
	for _, id := range rr.Steps {
		if seen[id] {
			continue
		}
		seen[id] = true
		sv := p.stepView(t, t.lesson.Step(id), runs, csrfToken(c))
		sv.OOB = true
		parts = append(parts, ui.StepResult(sv))
	}
	goal.OOB = true
	d := p.diagramView(t, exs)
	d.OOB = true
	place := p.placeView(t)
	place.OOB = true
	parts = append(parts, ui.GoalPanel(goal), ui.Diagram(d), ui.PlaceNow(place))
	return render(c, http.StatusOK, templ.Join(parts...))
}
