package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// languageSet chooses the language the lesson's code steps run in. Like
// moving the code, it starts the program again: the objects are gone.
func (p *player) languageSet(c echo.Context) error {
	t, err := p.resolve(c)
	if err != nil {
		return err
	}
	lang := c.FormValue("language")
	if lang != lessons.LangGo && lang != lessons.LangPython {
		return errorf(CodeInvalidArgument, "language must be go or python")
	}
	if err := t.run.runner.SetLanguage(lang); err != nil {
		return errorf(CodeInvalidArgument, "%s", p.pyWhy())
	}
	t.run.record(stepRun{StepID: "language", Label: "The app restarts in " + ui.LanguageLabel(lang),
		Marker: t.lesson.Marker("language"), AfterSeq: p.lastSeq(t.sb.ID),
		Res: &lessons.StepResult{StepID: "language", OK: true, Language: lang}})
	ctx := c.Request().Context()
	if err := p.save(ctx, t.run); err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, lessonURL(t.sb.ID, t.lesson.ID)+"#place")
	}
	return render(c, http.StatusOK, ui.PlaceForm(p.placeView(t), csrfToken(c)))
}
