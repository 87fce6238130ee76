package web

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

var tagRe = regexp.MustCompile(`<[^>]*>`)

// plain is the page's text without tags (entities decoded).
func plain(h string) string { return html.UnescapeString(tagRe.ReplaceAllString(h, " ")) }

// resultOf is the step's result fragment in a lesson page.
func resultOf(t *testing.T, page, step string) string {
	t.Helper()
	i := strings.Index(page, `id="result-`+step+`"`)
	if i < 0 {
		t.Fatalf("no result for step %s", step)
	}
	rest := page[i:]
	if j := strings.Index(rest, `data-testid="step"`); j > 0 {
		rest = rest[:j]
	}
	return rest
}

// The note under a step is chosen by what the run did: lesson 6 with every
// credential removed shows the failure's note under Read the secret, never
// the success path's "EnvironmentCredential answered".
func TestNoteFollowsTheOutcome(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.start(t, "same-code-everywhere")
	for _, id := range []string{"create-credential", "create-client", "get-secret"} {
		pe.b.form(base+"/steps/"+id, nil, true)
	}
	ok := resultOf(t, pe.b.page(base).body, "get-secret")
	if !strings.Contains(plain(ok), "EnvironmentCredential answered") {
		t.Fatalf("success: the note is missing:\n%s", plain(ok))
	}
	// A step that moves the code says so at once in the "Now:" line.
	moved := pe.b.form(base+"/steps/site-credential", nil, true).body
	now := regexp.MustCompile(`(?s)<p[^>]*id="place-now"[^>]*hx-swap-oob="true"[^>]*>.*?</p>`).FindString(moved)
	if !strings.Contains(strings.Join(strings.Fields(plain(now)), " "), "Now: on the App Service site") || !strings.Contains(plain(now), "with its managed identity") {
		t.Errorf("the step's answer does not update where the code runs: %q", plain(now))
	}
	for _, id := range []string{"nothing-configured", "create-credential", "create-client", "get-secret"} {
		pe.b.form(base+"/steps/"+id, nil, true)
	}
	failed := plain(resultOf(t, pe.b.page(base).body, "get-secret"))
	if !strings.Contains(failed, "Failed") || !strings.Contains(failed, "no credential answered") {
		t.Fatalf("the run should have failed:\n%s", failed)
	}
	if strings.Contains(failed, "EnvironmentCredential answered") || strings.Contains(failed, "three variables are set") {
		t.Errorf("the success note sits under the failure:\n%s", failed)
	}
	if !strings.Contains(failed, "No credential answered") {
		t.Errorf("the failure's own note is missing:\n%s", failed)
	}
}

// Sandbox changes say who acted, not where code ran; markers, the
// inspector and the catalog use the lesson's words, never internal names;
// the setup says why the diagram starts with requests.
func TestLessonPageSpeaksTheLessonsWords(t *testing.T) {
	pe := newPlayerEnv(t)
	cat := plain(pe.b.page("/lessons").body)
	if strings.Contains(cat, "Claims") || regexp.MustCompile(`\bS1[0-9]?\b`).MatchString(cat) {
		t.Errorf("the catalog shows claim IDs")
	}
	if !strings.Contains(cat, "Creating the credential sends nothing") {
		t.Errorf("the catalog does not say what lesson 1 teaches")
	}

	// Lesson 2's setup turns the site's identity off: said in words.
	who := plain(pe.b.page(pe.start(t, "who-is-your-app")).body)
	for _, internal := range []string{"setSiteIdentity", "assignRole", "who-is-your-app/"} {
		if strings.Contains(who, internal) {
			t.Errorf("internal name %q on the page", internal)
		}
	}
	if !strings.Contains(who, "Before you start") || !strings.Contains(who, "Turn the site's managed identity off") ||
		!strings.Contains(who, "Lesson setup: Turn the site's managed identity off") {
		t.Errorf("the setup and its requests are not explained:\n%s", who)
	}

	base := pe.start(t, "walkthrough")
	page := pe.b.page(base).body
	// The walkthrough starts with nothing deployed: no site to run on yet.
	now := plain(page[strings.Index(page, `data-testid="place-now"`):])
	if strings.Contains(now[:200], "managed identity") {
		t.Errorf("the place card speaks of a managed identity before there is one: %q", now[:200])
	}

	res := pe.b.form(base+"/steps/create-rg", nil, true)
	words := plain(res.body)
	if strings.Contains(words, "ran on") {
		t.Errorf("a sandbox change says where it ran: %s", words)
	}
	if !strings.Contains(words, "done as owner (your admin sign-in) through Azure Resource Manager") {
		t.Errorf("a sandbox change does not say who acted: %s", words)
	}
	exs := exchangesIn(res.body)
	if len(exs) == 0 {
		t.Fatal("no exchanges")
	}
	insp := plain(pe.b.page(base + "/exchanges/" + exs[len(exs)-1].seq).body)
	if strings.Contains(insp, "walkthrough/create-rg") || !strings.Contains(insp, "Create the resource group") {
		t.Errorf("the inspector names the step by its marker:\n%s", insp)
	}
	if !strings.Contains(insp, "a sandbox change, made as owner") {
		t.Errorf("the inspector does not say who made the change")
	}
}

// "Run the three workstation steps again" has its button: one press runs
// them in order and brings every result, the goal and the diagram.
func TestRerunWhereTheLessonAsks(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.start(t, "same-code-everywhere")
	page := pe.b.page(base).body
	i := strings.Index(page, "Run the three workstation steps again.")
	j := strings.Index(page, `data-rerun-id="again-workstation"`)
	if i < 0 || j < i || j-i > 1500 {
		t.Fatalf("no rerun next to the text asking for it (text at %d, button at %d)", i, j)
	}
	for _, id := range []string{"create-credential", "create-client", "get-secret", "site-credential", "site-client", "site-get", "nothing-configured"} {
		pe.b.form(base+"/steps/"+id, nil, true)
	}
	res := pe.b.form(base+"/again/again-workstation", nil, true)
	if res.StatusCode != 200 {
		t.Fatalf("rerun = %d: %s", res.StatusCode, res.body)
	}
	for _, id := range []string{"create-credential", "create-client", "get-secret"} {
		if !regexp.MustCompile(`id="result-` + id + `"[^>]*hx-swap-oob="true"`).MatchString(res.body) {
			t.Errorf("the rerun's answer lacks %s's result", id)
		}
	}
	if !strings.Contains(res.body, `data-run="get-secret-2"`) || !strings.Contains(res.body, `data-ok="false"`) {
		t.Errorf("get-secret did not run a second time and fail")
	}
	if !regexp.MustCompile(`<section id="goal"[^>]*data-met="true"`).MatchString(res.body) {
		t.Errorf("the goal is not met after the last part")
	}
	if res := pe.b.form(base+"/again/nope", nil, true); res.StatusCode != 404 {
		t.Errorf("unknown rerun = %d, want 404", res.StatusCode)
	}
	if res := pe.b.form(base+"/again/again-workstation", nil, false); res.StatusCode != 303 || !strings.HasSuffix(res.Header.Get("Location"), "#step-get-secret") {
		t.Errorf("without htmx = %d %q, want 303 to the last step", res.StatusCode, res.Header.Get("Location"))
	}
}

// The code language is the learner's: chosen once, every step of every
// lesson opens on it, and every code step has it.
func TestCodeLanguageIsTheLearners(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.start(t, "same-code-everywhere")
	selected := regexp.MustCompile(`role="tab" id="tab-([a-z-]+)-([a-z]+)"[^>]*aria-selected="true"`)
	open := func(page string) map[string]string {
		m := map[string]string{}
		for _, s := range selected.FindAllStringSubmatch(page, -1) {
			m[s[1]] = s[2]
		}
		return m
	}
	before := open(pe.b.page(base).body)
	if len(before) < 6 || before["create-client"] != "python" {
		t.Fatalf("open tabs before a choice: %v", before)
	}
	res := pe.b.do("POST", "/learner/language", strings.NewReader("lang=javascript"), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": pe.b.csrf})
	if res.StatusCode != 204 {
		t.Fatalf("choose javascript = %d: %s", res.StatusCode, res.body)
	}
	for _, page := range []string{base, pe.start(t, "walkthrough")} {
		tabs := open(pe.b.page(page).body)
		for step, lang := range tabs {
			if lang != "javascript" {
				t.Errorf("%s: step %s opens on %s, want the learner's javascript", page, step, lang)
			}
		}
		if len(tabs) == 0 {
			t.Errorf("%s: no code steps", page)
		}
	}
	bad := pe.b.do("POST", "/learner/language", strings.NewReader("lang=cobol"), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": pe.b.csrf})
	if bad.StatusCode != 400 {
		t.Errorf("lang=cobol = %d, want 400", bad.StatusCode)
	}
}
