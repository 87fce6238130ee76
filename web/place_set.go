package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// placeSet chooses where the learner's code runs and what the workstation
// holds. Like restarting a program, it drops the live objects.
func (p *player) placeSet(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	where, cred := c.FormValue("where"), c.FormValue("credential")
	type call struct{ action, param, value string }
	var calls []call
	switch where {
	case "site":
		calls = []call{{"runOn", "where", lessons.RunsOnSite}}
	case "workstation-me":
		calls = []call{{"useCredential", "credential", lessons.CredDeveloper}, {"runOn", "where", lessons.RunsOnWorkstation}}
	case "workstation", "":
		switch cred {
		case lessons.CredLocalDev, lessons.CredNone:
			calls = append(calls, call{"useCredential", "credential", cred})
		case "custom", "":
		default:
			return errorf(CodeInvalidArgument, "credential must be localDev or none")
		}
		calls = append(calls, call{"runOn", "where", lessons.RunsOnWorkstation})
	default:
		return errorf(CodeInvalidArgument, "where must be workstation, workstation-me or site")
	}
	ctx := c.Request().Context()
	label := "The app restarts " + map[string]string{"site": "on the App Service site", "workstation-me": "on your workstation, signed in as yourself"}[where]
	if label == "The app restarts " {
		label += "on your workstation"
	}
	for i, cl := range calls {
		res, err := t.run.runner.Do(ctx, "place", cl.action, map[string]string{cl.param: cl.value}, t.lesson.Marker("place"))
		if err != nil {
			return err
		}
		if !res.OK {
			return errorf(CodeInvalidArgument, "%s", res.Error)
		}
		if i == len(calls)-1 {
			t.run.record(stepRun{StepID: "place", Label: label, Marker: res.Marker, AfterSeq: p.lastSeq(t.sb.ID), Res: res})
		}
	}
	if err := p.save(ctx, t.run); err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID)+"#place")
	}
	return render(c, http.StatusOK, ui.PlaceForm(p.placeView(t), csrfToken(c)))
}
