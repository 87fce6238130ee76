package web

import (
	"html/template"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// The lesson page's view models, built from the lesson, the run, the world
// and the trace.

// codeTabs highlights every step's code once per run (the sandbox's names
// are filled in, so they are part of the highlighted text).
func (p *player) codeTabs(w *world.World, l *lessons.Lesson, vals map[string]string) map[string][]ui.CodeTab {
	out := map[string][]ui.CodeTab{}
	w.View(func(st *world.State) {
		fill := fillingsOf(st, vals)
		for _, s := range l.Steps() {
			var tabs []ui.CodeTab
			for _, lang := range lessons.Languages() {
				code := lessons.StepCode(s, lang)
				if strings.TrimSpace(code) == "" {
					continue
				}
				t := ui.CodeTab{Lang: lang, Label: ui.LanguageLabel(lang), HTML: p.hl.highlightFilled(lang, code, fill.expand(code, func(c string) string { return lessons.ExpandWith(c, st, vals) }), fill)}
				if lang == lessons.LangPython && s.Kind == lessons.BlockStep {
					t.Note = p.pythonNote()
				}
				if lang == lessons.LangGo {
					t.Note = "The Go that runs when your code runs in Go, with the real Azure SDK for Go."
					if a := p.actions[s.Action]; a != nil {
						for _, call := range slices.Sorted(maps.Keys(a.Mirrors)) {
							t.Note += " In the sandbox, " + a.Mirrors[call] + " stands in for " + call + " (same behaviour, built from the simulated environment)."
						}
					}
				}
				tabs = append(tabs, t)
			}
			if len(tabs) > 0 {
				tabs[0].Default = true
			}
			out[s.ID] = tabs
		}
	})
	return out
}

// stepLabel is a marker's label: the step's statement in the default
// language, or its title.
func (r *lessonRun) stepLabel(s *lessons.Step) string {
	if s.Kind == lessons.BlockStep {
		for _, lang := range lessons.Languages() {
			if code, ok := s.Code[lang]; ok {
				var stmt string
				r.w.View(func(st *world.State) { stmt = ui.Statement(lang, lessons.ExpandWith(code, st, r.vals)) })
				if stmt != "" {
					return stmt
				}
			}
		}
	}
	return s.Title
}

// lessonPage builds the whole player page.
func (p *player) lessonPage(c echo.Context, t *target) ui.LessonPage {
	base := lessonURL(t.sb.ID, t.lesson.ID)
	exs := p.exchanges(t.sb.ID)
	history, last := t.run.snapshot()
	m := ui.LessonPage{
		Page:         ui.Page{Title: t.lesson.Title, CSRFToken: csrfToken(c)},
		SandboxID:    t.sb.ID,
		LessonID:     t.lesson.ID,
		Title:        t.lesson.Title,
		Summary:      t.lesson.Summary,
		Teaches:      lessons.ClaimTitles(t.lesson.Claims),
		Base:         base,
		StreamURL:    base + "/stream",
		PresenterURL: base + "/present",
		HARURL:       "/api/sandboxes/" + t.sb.ID + "/trace.har",
		CatalogURL:   "/lessons",
		SandboxTime:  t.w.Now().UTC().Format(time.RFC1123),
		Place:        p.placeView(t),
		Goal:         p.goalView(t, exs),
		Diagram:      p.diagramView(t, exs),
		Panel:        p.panelView(c, t),
		RealMode:     p.realModeView(t),
	}
	m.DiagramHTML = p.pageDiagram(t, m.Diagram)
	for _, sr := range history {
		if sr.Marker == t.lesson.SetupMarker() {
			m.Setup = append(m.Setup, ui.SetupItem{Text: strings.TrimPrefix(sr.Label, "Lesson setup: "), Count: sr.Count})
		}
	}
	number := 0
	for _, b := range t.lesson.Blocks {
		switch {
		case b.Step != nil:
			sv := p.stepView(t, b.Step, last, csrfToken(c))
			if !sv.Action {
				number++
				sv.Number = number
			}
			m.Blocks = append(m.Blocks, ui.BlockView{Step: &sv})
		case b.Rerun != nil:
			rv := ui.RerunView{ID: b.Rerun.ID, Title: b.Rerun.Title, URL: base + "/again/" + b.Rerun.ID}
			for _, id := range b.Rerun.Steps {
				if s := t.lesson.Step(id); s != nil {
					rv.Steps = append(rv.Steps, s.Title)
				}
			}
			m.Blocks = append(m.Blocks, ui.BlockView{Rerun: &rv})
		case b.HTML != "":
			m.Blocks = append(m.Blocks, ui.BlockView{HTML: t.expandHTML(b.HTML)})
		}
	}
	return m
}

// stepView is one step with its last run.
func (p *player) stepView(t *target, s *lessons.Step, last map[string]stepRun, csrf string) ui.StepView {
	base := lessonURL(t.sb.ID, t.lesson.ID)
	v := ui.StepView{ID: s.ID, Title: s.Title, Action: s.Kind == lessons.BlockAction, Tabs: chosenTab(t.run.tabs[s.ID], t.lang),
		RunURL: base + "/steps/" + s.ID, RunsOn: s.RunsOn, Cloud: stepCloud(t, s), Hidden: stepHidden(t, s)}
	t.w.View(func(st *world.State) {
		// The sandbox's values are read once for all the step's texts.
		var fill *fillings
		expand := func(text string) string {
			if !strings.Contains(text, "{") {
				return text // what ExpandWith answers
			}
			if fill == nil {
				fill = t.fillingsIn(st)
			}
			return fill.expand(text, func(c string) string { return lessons.ExpandWith(c, st, t.run.vals) })
		}
		if v.Action && s.CLI != "" {
			v.CLI = expand(fillCLI(s.CLI, s.Params))
		}
		a := p.actions[s.Action]
		for _, name := range slices.Sorted(maps.Keys(s.Params)) {
			pv := ui.ParamView{Name: name, Value: expand(s.Params[name]), Editable: slices.Contains(s.Editable, name)}
			if a != nil {
				if ap := a.Param(name); ap != nil {
					pv.Help, pv.Enum = ap.Help, ap.Enum
				}
			}
			v.Params = append(v.Params, pv)
		}
	})
	if sr, ok := last[s.ID]; ok {
		v.Last = runView(sr, s)
		// This run's own requests, under the step: on a phone the diagram
		// is far away.
		var items []ui.DiagramItem
		for i := range sr.Res.Exchanges {
			items = append(items, ui.DiagramItem{Exchange: exchangeItem(&sr.Res.Exchanges[i], t.sb.ID, t.lesson.ID)})
		}
		v.Last.Exchanges = ui.LayoutDiagram(items).Exchanges
		v.Last.ExplainHTML = t.expandHTML(v.Last.ExplainHTML)
		if sr.Res.Restart {
			v.Last.RestartURL, v.Last.CSRFToken = base+"/restart", csrf
		}
	}
	return v
}

// chosenTab marks the learner's language as the step's open tab (the
// first tab when the step does not have it). The run's tabs are shared:
// they are copied.
func chosenTab(tabs []ui.CodeTab, lang string) []ui.CodeTab {
	out := slices.Clone(tabs)
	has := slices.ContainsFunc(out, func(t ui.CodeTab) bool { return t.Lang == lang })
	for i := range out {
		out[i].Default = out[i].Lang == lang || (!has && i == 0)
	}
	return out
}

// fillCLI puts a step's parameters into its az command.
func fillCLI(cli string, params map[string]string) string {
	for k, v := range params {
		cli = strings.ReplaceAll(cli, "{"+k+"}", v)
	}
	return cli
}

func runView(sr stepRun, s *lessons.Step) *ui.RunView {
	res := sr.Res
	v := &ui.RunView{OK: res.OK, Output: res.Output, Error: res.Error, ErrorType: res.ErrorType, Count: sr.Count,
		When: sr.At.UTC().Format("15:04:05") + " UTC", Place: placeWords(res.Place), Run: sr.StepID + "-" + itoa64(int64(sr.N))}
	if s != nil && s.Kind == lessons.BlockAction {
		v.Place = actedWords(res)
	} else if res.Language != "" {
		v.Language = ui.LanguageLabel(res.Language)
	}
	if s != nil {
		o := res.Outcome
		if o.Token == "" { // saved before outcomes were kept
			o = lessons.OutcomeOf(res)
		}
		if n := s.NoteFor(o); n != nil {
			v.ExplainHTML = n.HTML
		}
	}
	if ch := res.Chain; ch != nil {
		cv := &ui.ChainView{Answered: ch.Answered, Reused: ch.Reused, Error: ch.Error}
		for _, l := range ch.Links {
			cv.Links = append(cv.Links, ui.LinkView{Name: l.Name, Outcome: l.Outcome, Why: l.Why, Message: l.Message})
		}
		v.Chain = cv
	}
	return v
}

// actedWords say who made a sandbox change, or what it changed: a change
// runs as a principal (or on the workstation's settings), not in a place.
func actedWords(res *lessons.StepResult) string {
	switch lessons.Affects(res.Action) {
	case lessons.AffectsWorkstation:
		return "changed your workstation's environment"
	case lessons.AffectsSite:
		return "changed the site's app settings"
	case lessons.AffectsPlace:
		return "moved your code"
	case lessons.AffectsSimulation:
		return "changed the sandbox's simulation (no request)"
	}
	var apis []string
	for _, ex := range res.Exchanges {
		name := map[service.Name]string{service.ARM: "Azure Resource Manager", service.Graph: "Microsoft Graph", service.KeyVault: "Key Vault"}[ex.Service]
		if name != "" && !slices.Contains(apis, name) {
			apis = append(apis, name)
		}
	}
	if len(apis) == 0 {
		return "done as owner (your admin sign-in)"
	}
	return "done as owner (your admin sign-in) through " + strings.Join(apis, " and ")
}

func placeWords(pl lessons.Place) string {
	switch {
	case pl.RunsOn == lessons.RunsOnSite:
		return "ran on the site " + pl.Site
	case pl.CLI == lessons.CLISignedIn:
		return "ran on your workstation, signed in as yourself"
	}
	return "ran on your workstation"
}

// placeView is where the code runs now.
func (p *player) placeView(t *target) ui.PlaceView {
	pl := t.run.runner.Place()
	v := ui.PlaceView{SetURL: lessonURL(t.sb.ID, t.lesson.ID) + "/place", Where: "workstation", Site: pl.Site,
		Objects: t.run.runner.Objects(), Language: t.run.runner.Language(), LanguageURL: lessonURL(t.sb.ID, t.lesson.ID) + "/language",
		PythonMissing: p.pyWhy()}
	if py := p.python(); py != nil {
		v.Python = "Python " + py.Info.Python + ", azure-identity " + py.Info.AzureIdentity
	}
	switch {
	case pl.RunsOn == lessons.RunsOnSite:
		v.Where = "site"
	case pl.CLI == lessons.CLISignedIn:
		v.Where = "workstation-me"
	}
	var env map[string]string
	t.w.View(func(st *world.State) {
		v.SiteState = "none"
		if site := st.Site(scenario.ResourcesOf(st).MainSite); site != nil {
			v.SiteState = "off"
			if site.SystemIdentity != "" {
				v.SiteState = "on"
			}
		}
		env = pl.Environ(st)
		want := lessons.PrincipalEnv(st, scenario.LabelLocalDev)
		if f := t.run.runner.Real(); f != nil {
			want = lessons.PrincipalEnvOf(f, scenario.LabelLocalDev) // the real localDev
		}
		switch {
		case len(pl.Env) == 0:
			v.Credential = "none"
		case len(want) > 0 && maps.Equal(pl.Env, want):
			v.Credential = "localDev"
		default:
			v.Credential = "custom"
		}
	})
	v.EnvNames = lessons.EnvNames(env)
	return v
}

// goalView evaluates the lesson's goal.
func (p *player) goalView(t *target, exs []trace.Exchange) ui.GoalView {
	var g lessons.GoalStatus
	if f := t.run.runner.Real(); f != nil {
		g = lessons.EvaluateGoalIn(t.lesson, f, exs) // from what real Azure answered
	} else {
		t.w.View(func(st *world.State) { g = lessons.EvaluateGoal(t.lesson, st, exs) })
	}
	for i := range g.Items {
		g.Items[i].HintHTML = t.expandHTML(g.Items[i].HintHTML)
		g.Items[i].SolutionHTML = t.expandHTML(g.Items[i].SolutionHTML)
	}
	v := ui.GoalView{Met: g.Met}
	for _, it := range g.Items {
		gi := ui.GoalItem{ID: it.ID, Title: it.Title, Met: it.Met, Detail: it.Detail, HintHTML: it.HintHTML, SolutionHTML: it.SolutionHTML}
		if it.Seq > 0 {
			gi.InspectURL = exchangeURL(t.sb.ID, t.lesson.ID, it.Seq)
		}
		if it.Met {
			v.Done++
		}
		v.Items = append(v.Items, gi)
	}
	return v
}

// expandHTML fills the placeholders of lesson HTML (narrative, explanations,
// hints) with the sandbox's names and the server's values, escaped: what
// lessons.ExpandWith(h, st, escaped values) gives, with the values read once
// per request.
func (t *target) expandHTML(h template.HTML) template.HTML {
	if !strings.Contains(string(h), "{") {
		return h
	}
	var out string
	t.w.View(func(st *world.State) {
		fill, vals := t.htmlFillingsIn(st)
		out = fill.expand(string(h), func(c string) string { return lessons.ExpandWith(c, st, vals) })
	})
	return template.HTML(out) //nolint:gosec // lesson HTML is sanitized by the loader; names are generated, values escaped
}

func exchangeURL(sandboxID, lessonID string, seq int64) string {
	return lessonURL(sandboxID, lessonID) + "/exchanges/" + itoa64(seq)
}

// sortedLabels are the world's principal labels, sorted.
func sortedLabels(st *world.State) []string {
	var out []string
	for k, v := range st.Labels {
		if _, ok := st.Principals[v]; ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// pythonNote tells what Run does with the Python tab's code.
func (p *player) pythonNote() string {
	if py := p.python(); py != nil {
		return "This Python runs as written, with the real Python SDK (azure-identity " + py.Info.AzureIdentity +
			"), when your code runs in Python (see \"Where your code runs\")."
	}
	return "On this server Run executes the Go tab's code: " + p.pyWhy() + "."
}
