package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/rbac"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// fixApply applies the smallest fix a refused exchange's decision
// suggests. It goes through the lessons' assignRole action, so the
// assignment is made through ARM as the sandbox owner and shows in the
// trace as the portal's PUT would.
func (p *player) fixApply(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	seq, err := strconv.ParseInt(c.FormValue("seq"), 10, 64)
	if err != nil || seq <= 0 {
		return errorf(CodeInvalidArgument, "seq must be the number of a refused exchange")
	}
	ex, err := p.findExchange(t.sb.ID, seq)
	if err != nil {
		return err
	}
	var msg string
	if r := p.realRefusal(c.Request().Context(), t, ex); r != nil {
		msg, err = p.applyRealFix(c.Request().Context(), t, r)
	} else {
		if ex.Authz == nil || ex.Authz.Allowed || ex.Authz.Suggestion == nil {
			return errorf(CodeInvalidArgument, "exchange %d has no fix to apply", seq)
		}
		msg, err = p.applySuggestion(c, t, *ex.Authz.Suggestion)
	}
	if err != nil {
		return err
	}
	if !isHTMX(c) {
		t.run.setPanelResult(msg, "")
		return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID)+"#panel")
	}
	v := p.inspectorView(c.Request().Context(), t, ex, csrfToken(c))
	v.Message = msg
	exs := p.exchanges(t.sb.ID)
	goal := p.goalView(t, exs)
	goal.OOB = true
	panel := p.panelView(c, t)
	panel.OOB = true
	return render(c, http.StatusOK, templ.Join(ui.Inspector(v), ui.GoalPanel(goal), p.diagramPart(c, t, exs), ui.Panel(panel)))
}

// applySuggestion assigns the suggested role. When the principal has no
// label or the scope is not one the lessons' action names, the assignment
// is added to the sandbox directly.
func (p *player) applySuggestion(c echo.Context, t *target, s rbac.Suggestion) (string, error) {
	var label, kind string
	t.w.View(func(st *world.State) {
		label = labelsByID(st)[s.PrincipalID]
		kind = scenario.ScopeKind(st, s.Scope)
	})
	ctx := c.Request().Context()
	if label != "" && kind != "" {
		params := map[string]string{"principal": label, "role": s.RoleName, "scope": kind}
		res, err := p.do(ctx, t, "Fix: assign "+s.RoleName+" to "+label, func() (*lessons.StepResult, error) {
			return t.run.runner.Do(ctx, "fix", "assignRole", params, t.lesson.Marker("fix"))
		})
		if err != nil {
			return "", err
		}
		if !res.OK {
			return "", errorf(CodeInvalidArgument, "the fix failed: %s", res.Error)
		}
		return "Fix applied: " + firstLine(res.Output), nil
	}
	role, ok := rbac.Role(s.RoleID, nil)
	if !ok {
		return "", errorf(CodeInvalidArgument, "unknown role %s", s.RoleID)
	}
	err := t.w.Update(ctx, func(tx *world.Tx) error {
		pr := tx.State.Principals[s.PrincipalID]
		if pr == nil {
			return fmt.Errorf("principal %s: %w", s.PrincipalID, world.ErrNotFound)
		}
		tx.AddRoleAssignment(rbac.Assignment{Scope: s.Scope, RoleDefinitionID: role.ID, PrincipalID: pr.ObjectID, PrincipalType: pr.Type()})
		return nil
	})
	if err != nil {
		return "", &Error{Code: CodeInvalidArgument, Message: err.Error(), Err: err}
	}
	return fmt.Sprintf("Fix applied: assigned %s at %s (directly in the sandbox)", s.RoleName, s.Scope), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
