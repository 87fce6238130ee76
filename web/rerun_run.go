package web

import (
	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
)

// rerunRun runs a rerun block's steps again, in order, as the learner's
// clicks would (each with its defaults). htmx gets every step's result, the
// goal, the diagram's new rows and the place swapped out of band; a plain
// form post is redirected to the last step.
func (p *player) rerunRun(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	rr := t.lesson.Rerun(c.Param("block"))
	if rr == nil {
		return errorf(CodeNotFound, "rerun not found")
	}
	steps := make([]*lessons.Step, 0, len(rr.Steps))
	for _, id := range rr.Steps {
		step := t.lesson.Step(id)
		if step == nil {
			return errorf(CodeNotFound, "step not found")
		}
		steps = append(steps, step)
	}
	if len(steps) == 0 {
		return errorf(CodeNotFound, "rerun has no steps")
	}
	exs, goal, err := p.runSteps(c, t, steps, nil)
	if err != nil {
		return err
	}
	return p.stepsAnswer(c, t, steps, exs, goal, true)
}
