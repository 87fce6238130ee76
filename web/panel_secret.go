package web

import (
	"context"
	"fmt"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// secretActions map the panel's secret forms to the lessons' actions, which
// call Microsoft Graph as the owner (addPassword, removePassword), so the
// change is in the trace like the az command that makes it.
var secretActions = map[string]string{"addSecret": "rotateSecret", "deleteSecret": "removeSecret"}

// secretAction adds (rotates) or deletes a client secret of a labelled app.
// It returns the panel's message or the learner-facing error text; err is
// for failures of the player itself.
func (p *player) secretAction(ctx context.Context, t *target, action, label, keyID string) (msg, errText string, err error) {
	name := secretActions[action]
	a := p.actions[name]
	params := map[string]string{"principal": label}
	if action == "deleteSecret" {
		params["keyId"] = keyID
	}
	res, err := p.do(ctx, t, "Sandbox panel: "+a.Title, func() (*lessons.StepResult, error) {
		return t.run.runner.Do(ctx, "panel", name, params, t.lesson.Marker("panel"))
	})
	if err != nil {
		return "", "", err
	}
	if !res.OK {
		return "", res.Error, nil
	}
	if action == "deleteSecret" {
		return res.Output, "", nil
	}
	// The panel words a new secret by its hint and end date, as the portal
	// lists it.
	msg = res.Output
	t.w.View(func(st *world.State) {
		pr := st.Principals[st.Labels[label]]
		if pr == nil || len(pr.Secrets) == 0 {
			return
		}
		cs := pr.Secrets[len(pr.Secrets)-1]
		msg = fmt.Sprintf("new secret %s… for %s, valid until %s; kept in the sandbox keychain. The old secret keeps working until you delete it.",
			cs.Hint, label, cs.EndDate.UTC().Format("2006-01-02"))
	})
	return msg, "", nil
}
