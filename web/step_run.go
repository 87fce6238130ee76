package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// stepRun runs one step of the lesson with the learner's parameter edits.
// htmx gets the step's result with the goal and the diagram swapped out of
// band; a plain form post is redirected back to the step.
func (p *player) stepRun(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	step := t.lesson.Step(c.Param("step"))
	if step == nil {
		return errorf(CodeNotFound, "step not found")
	}
	form, err := c.FormParams()
	if err != nil {
		return errorf(CodeInvalidArgument, "could not read the form")
	}
	edits := map[string]string{}
	for _, name := range step.Editable {
		if vs, ok := form[name]; ok && len(vs) > 0 {
			edits[name] = vs[0]
		}
	}
	ctx := c.Request().Context()
	_, err = p.do(ctx, t, t.run.stepLabel(step), func() (*lessons.StepResult, error) {
		return t.run.runner.Run(ctx, step.ID, edits)
	})
	if err != nil {
		return &Error{Code: CodeInvalidArgument, Message: err.Error(), Err: err}
	}
	exs := p.exchanges(t.sb.ID)
	goal := p.goalView(t, exs)
	if err := p.saveProgress(ctx, t, goal.Met); err != nil {
		loggerFrom(c).Warn("save progress", "error", err)
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID)+"#step-"+step.ID)
	}
	_, last := t.run.snapshot()
	sv := p.stepView(t, step, last, csrfToken(c))
	goal.OOB = true
	d := p.diagramView(t, exs)
	d.OOB = true
	place := p.placeView(t)
	place.OOB = true
	return render(c, http.StatusOK, templ.Join(ui.StepResult(sv), ui.GoalPanel(goal), ui.Diagram(d), ui.PlaceNow(place)))
}
