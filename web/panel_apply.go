package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// panelActions are the lessons' sandbox actions the panel offers; they are
// shared with the lessons, so a panel change is the same change a lesson
// step makes (resource changes go through ARM, directory changes through
// Graph).
var panelActions = map[string]bool{
	"assignRole": true, "removeRole": true, "setVaultModel": true, "addAccessPolicy": true, "removeAccessPolicy": true,
	"setSiteIdentity": true, "deletePrincipal": true, "createServicePrincipal": true, "advanceClock": true,
	"setPropagationDelay": true,
}

// panelApply runs one sandbox panel form.
func (p *player) panelApply(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	name := c.Param("action")
	form, err := c.FormParams()
	if err != nil {
		return errorf(CodeInvalidArgument, "could not read the form")
	}
	ctx := c.Request().Context()
	var msg, errText string
	switch {
	case name == "addSecret" || name == "deleteSecret":
		msg, errText, err = p.secretAction(ctx, t, name, form.Get("principal"), form.Get("keyId"))
		if err != nil {
			return err
		}
	case panelActions[name]:
		a := p.actions[name]
		params := map[string]string{}
		for _, prm := range a.Params {
			if v := form.Get(prm.Name); v != "" {
				params[prm.Name] = v
			}
		}
		res, err := p.do(ctx, t, "Sandbox panel: "+a.Title, func() (*lessons.StepResult, error) {
			return t.run.runner.Do(ctx, "panel", name, params, t.lesson.Marker("panel"))
		})
		if err != nil {
			return err
		}
		if res.OK {
			msg = res.Output
		} else {
			errText = res.Error
		}
	default:
		return errorf(CodeNotFound, "unknown panel action %q", name)
	}
	if !isHTMX(c) {
		t.run.setPanelResult(msg, errText)
		return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID)+"#panel")
	}
	v := p.panelView(c, t)
	v.Message, v.Error = msg, errText
	place := p.placeView(t)
	place.OOB = true
	return render(c, http.StatusOK, templ.Join(ui.Panel(v), ui.PlaceNow(place)))
}
