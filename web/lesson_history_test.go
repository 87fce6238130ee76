package web

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

const lesson6 = "same-code-everywhere" // a lesson with setup and steps that send nothing

// A restarted server shows the lesson as the learner left it: the markers
// of the steps that sent nothing, every step's last result and where the
// code runs. It does not apply the lesson's setup again, and the next run
// of a step is numbered on from the saved ones.
func TestLessonRunSurvivesRestart(t *testing.T) {
	pe := newPlayerEnv(t)
	loc := pe.start(t, lesson6)
	sandboxID := sandboxOf(loc)
	setupMarker := pe.p.catalog.Get(lesson6).SetupMarker()
	setupExchanges := func() int {
		n := 0
		for _, ex := range pe.book.List(sandboxID, 0) {
			if ex.Step == setupMarker {
				n++
			}
		}
		return n
	}
	if r := pe.b.page(loc); r.StatusCode != 200 {
		t.Fatalf("lesson page = %d", r.StatusCode)
	}
	setup := setupExchanges()
	if setup == 0 {
		t.Fatal("the lesson's setup sent nothing: the test cannot tell whether it runs again")
	}
	for _, id := range []string{"create-credential", "create-client", "get-secret"} {
		if res := pe.b.form(loc+"/steps/"+id, nil, true); res.StatusCode != 200 {
			t.Fatalf("%s = %d: %s", id, res.StatusCode, res.body)
		}
	}
	if res := pe.b.form(loc+"/place", url.Values{"where": {"site"}}, true); res.StatusCode != 200 {
		t.Fatalf("place = %d: %s", res.StatusCode, res.body)
	}
	before := pe.b.page(loc).body

	pe.restart()
	pe.p = pe.app.player

	after := pe.b.page(loc)
	if after.StatusCode != 200 {
		t.Fatalf("lesson page after restart = %d: %s", after.StatusCode, after.body)
	}
	for _, want := range []string{
		"credential = DefaultAzureCredential() — 0 requests",
		"client = SecretClient(vault_url=",
		`data-run="create-credential-1"`,
		`data-run="create-client-1"`,
		`data-run="get-secret-1"`,
		"The server restarted: your program starts again",
	} {
		if !strings.Contains(after.body, want) {
			t.Errorf("after restart the page lacks %q", want)
		}
	}
	// The step results are the same as before the restart.
	outcome := regexp.MustCompile(`data-testid="step-outcome"[^>]*>`)
	if b, a := outcome.FindAllString(before, -1), outcome.FindAllString(after.body, -1); strings.Join(b, "\n") != strings.Join(a, "\n") {
		t.Errorf("step outcomes changed across the restart:\nbefore %q\nafter  %q", b, a)
	}
	if m := regexp.MustCompile(`data-testid="step-outcome"[^>]*data-count="(\d+)"[^>]*data-run="get-secret-1"`).FindStringSubmatch(after.body); m == nil || m[1] == "0" {
		t.Errorf("get-secret's result after restart: %v", m)
	}
	if !regexp.MustCompile(`value="site" checked`).MatchString(after.body) {
		t.Error("the code no longer runs on the site after the restart")
	}
	if n := setupExchanges(); n != setup {
		t.Errorf("setup exchanges: %d before the restart, %d after: the setup ran again", setup, n)
	}
	if n := strings.Count(after.body, "Lesson setup: "); n != len(pe.p.catalog.Get(lesson6).Setup) {
		t.Errorf("%d setup markers after restart, want %d", n, len(pe.p.catalog.Get(lesson6).Setup))
	}

	// The learner's program starts again: the next run is the second.
	res := pe.b.form(loc+"/steps/create-credential", nil, true)
	if res.StatusCode != 200 || !strings.Contains(res.body, `data-run="create-credential-2"`) {
		t.Errorf("create-credential after restart = %d, want run 2: %s", res.StatusCode, res.body)
	}

	// A reset forgets the saved run: the setup runs in the new world.
	if r := pe.b.form(loc+"/reset", nil, false); r.StatusCode != 303 {
		t.Fatalf("reset = %d", r.StatusCode)
	}
	pe.restart()
	pe.p = pe.app.player
	page := pe.b.page(loc)
	if strings.Contains(page.body, "data-run=") || strings.Contains(page.body, "The server restarted") {
		t.Error("the run from before the reset came back")
	}
	if setupExchanges() == 0 {
		t.Error("after the reset the setup did not run")
	}
	if _, err := pe.db.LessonRun(context.Background(), sandboxID, lesson6); err != nil {
		t.Errorf("the new run was not saved: %v", err)
	}
}

// A long run keeps a bounded history: the oldest runs go, but not a step's
// last run (its result is shown), and runs keep their numbers.
func TestLessonRunHistoryIsBounded(t *testing.T) {
	cat, err := lessons.LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	r := &lessonRun{lesson: cat.Get(lesson1), last: map[string]int{}}
	r.record(stepRun{StepID: "create-credential", Res: &lessons.StepResult{}})
	for range 3 * maxHistory {
		r.record(stepRun{StepID: "get-secret", Res: &lessons.StepResult{}})
	}
	history, last := r.snapshot()
	if len(history) > maxHistory {
		t.Errorf("history has %d runs, bound %d", len(history), maxHistory)
	}
	if sr, ok := last["create-credential"]; !ok || sr.N != 1 {
		t.Errorf("the oldest step's last run went: %+v", sr)
	}
	if sr := last["get-secret"]; sr.N != 3*maxHistory || history[len(history)-1].N != 3*maxHistory {
		t.Errorf("last get-secret run is number %d, want %d", sr.N, 3*maxHistory)
	}
	if got := r.stepsRan(); !slices.Equal(got, []string{"create-credential", "get-secret"}) {
		t.Errorf("steps ran = %v", got)
	}
}

// The saved run spliced from each step's JSON (encoded once) reads back as
// the whole run encoded at once would.
func TestSavedRunSplicedFromSteps(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	for _, s := range []string{"create-credential", "create-client", "get-secret", "get-secret"} {
		if r := pe.b.form(base+"/steps/"+s, nil, true); r.StatusCode != 200 {
			t.Fatalf("%s = %d", s, r.StatusCode)
		}
	}
	pe.p.mu.Lock()
	r := pe.p.runs[sandboxOf(base)+"/"+lesson1]
	pe.p.mu.Unlock()
	if r == nil {
		t.Fatal("no run")
	}
	got, err := r.savedJSON()
	if err != nil {
		t.Fatal(err)
	}
	whole := savedRun{Place: r.runner.Place(), Language: r.runner.Language()}
	r.w.View(func(st *world.State) { whole.Tenant = st.TenantID })
	history, _ := r.snapshot()
	for i := range history {
		whole.History = append(whole.History, savedStepOf(&history[i]))
	}
	want, err := json.Marshal(whole)
	if err != nil {
		t.Fatal(err)
	}
	var a, b savedRun
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("spliced run does not read: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatal(err)
	}
	if len(a.History) != 4 || !reflect.DeepEqual(a, b) {
		t.Fatalf("spliced run reads as\n%+v\nwant\n%+v", a, b)
	}
}
