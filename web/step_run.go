package web

import (
	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
)

// stepRun runs one step of the lesson with the learner's parameter edits.
// htmx gets the step's result with the goal and the diagram's new rows
// swapped out of band; a plain form post is redirected back to the step.
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
	steps := []*lessons.Step{step}
	exs, goal, err := p.runSteps(c, t, steps, edits)
	if err != nil {
		return err
	}
	return p.stepsAnswer(c, t, steps, exs, goal, false)
}
