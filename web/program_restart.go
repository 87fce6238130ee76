package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
)

// programRestart starts the learner's program again: its objects are gone,
// and a Python worker that crashed or hung is replaced.
func (p *player) programRestart(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	t.run.runner.Restart()
	t.run.record(stepRun{StepID: "restart", Label: "You restarted the app (its objects are gone)",
		Marker: t.lesson.Marker("restart"), AfterSeq: p.lastSeq(t.sb.ID),
		Res: &lessons.StepResult{StepID: "restart", OK: true}})
	if err := p.save(c.Request().Context(), t.run); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID)+"#place")
}
