package ui

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
)

func renderString(t testing.TB, c templ.Component) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var testID = regexp.MustCompile(`data-testid="([^"]+)"`)

func testIDs(html string) map[string]int {
	out := map[string]int{}
	for _, m := range testID.FindAllStringSubmatch(html, -1) {
		out[m[1]]++
	}
	return out
}

func sampleDiagram() DiagramView { return LayoutDiagram(sampleDiagramItems()) }

func sampleDiagramItems() []DiagramItem {
	return []DiagramItem{
		{Marker: &MarkerItem{Label: "credential = DefaultAzureCredential()", Count: 0}},
		{Marker: &MarkerItem{Label: "api_key = client.get_secret(\"k\").value", Count: 3}},
		{Exchange: &ExchangeItem{Seq: 1, Lane: LaneKeyVault, Method: "GET", Path: "/secrets/k", Host: "kv.vault.azure.net", Status: 401, StatusText: "Unauthorized", Challenge: true, Href: "/x/1"}},
		{Exchange: &ExchangeItem{Seq: 2, Lane: LaneEntra, Method: "POST", Path: "/t/oauth2/v2.0/token", Host: "login.microsoftonline.com", Status: 200, StatusText: "OK", Href: "/x/2"}},
		{Exchange: &ExchangeItem{Seq: 3, Lane: LaneKeyVault, Method: "GET", Path: "/secrets/k", Host: "kv.vault.azure.net", Status: 403, StatusText: "Forbidden", Href: "/x/3"}},
	}
}

func TestDiagram(t *testing.T) {
	d := sampleDiagram()
	html := renderString(t, Diagram(d))
	ids := testIDs(html)
	if ids["diagram"] != 1 || ids["marker"] != 2 || ids["exchange"] != 3 {
		t.Fatalf("test ids %v", ids)
	}
	for _, want := range []string{
		"credential = DefaultAzureCredential() — 0 requests",
		"— 3 requests",
		"⚠ 401 Unauthorized (challenge)", "✓ 200 OK", "✗ 403 Forbidden", // status in words and icon, not colour alone
		`class="ex st-denied"`, `data-status="403"`, `href="/x/3"`, `data-count="3"`, `data-last-seq="3"`,
		`aria-label="#3 GET /secrets/k ✗ 403 Forbidden, to Key Vault at kv.vault.azure.net"`,
		">Your code<", ">Entra ID<", ">Managed identity<", ">ARM<", ">Key Vault<", ">Storage<", ">Third-party API<",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("diagram lacks %q", want)
		}
	}
	if strings.Contains(html, "style=") {
		t.Error("inline style in the diagram (CSP)")
	}
	if strings.Contains(html, "hx-swap-oob") {
		t.Error("out-of-band attribute on a normal render")
	}
	d.OOB = true
	if !strings.Contains(renderString(t, Diagram(d)), `hx-swap-oob="true"`) {
		t.Error("OOB diagram lacks hx-swap-oob")
	}
	if d.Exchanges[2].Y <= d.Exchanges[1].Y || d.Height <= d.Exchanges[2].RY {
		t.Errorf("layout not top to bottom: %+v", d.Exchanges)
	}
	if d.Announce != "New exchange #3 GET /secrets/k ✗ 403 Forbidden, to Key Vault at kv.vault.azure.net" {
		t.Errorf("announce = %q", d.Announce)
	}
}

func TestOutcomeNeverColourAlone(t *testing.T) {
	for _, tc := range []struct {
		status    int
		challenge bool
		class     string
	}{{200, false, "st-ok"}, {201, false, "st-ok"}, {401, true, "st-challenge"}, {401, false, "st-denied"}, {403, false, "st-denied"},
		{404, false, "st-error"}, {500, false, "st-error"}, {0, false, "st-error"}, {302, false, "st-other"}} {
		class, icon := Outcome(tc.status, tc.challenge)
		if class != tc.class || icon == "" {
			t.Errorf("Outcome(%d, %v) = %q %q, want %q and an icon", tc.status, tc.challenge, class, icon, tc.class)
		}
	}
}

func sampleLesson() LessonPage {
	return LessonPage{
		Page: Page{Title: "L", CSRFToken: "tok"}, SandboxID: "sbx1", LessonID: "l1", Title: "Auth at the call", Summary: "S",
		Teaches: []string{"Creating the credential sends nothing"}, Base: "/sandboxes/sbx1/lessons/l1", StreamURL: "/sandboxes/sbx1/lessons/l1/stream",
		PresenterURL: "/p", HARURL: "/api/sandboxes/sbx1/trace.har", CatalogURL: "/lessons",
		Blocks: []BlockView{
			{HTML: "<p>Narrative <strong>here</strong></p>"},
			{Step: &StepView{ID: "create-credential", Title: "Create the credential", Number: 1, RunURL: "/run/1",
				Tabs: []CodeTab{{Lang: "python", Label: "Python", HTML: Highlight("python", "credential = DefaultAzureCredential()"), Default: true},
					{Lang: "go", Label: "Go", HTML: Highlight("go", "credential, err := azidentity.NewDefaultAzureCredential(nil)"), Note: "runs"}},
				Last: &RunView{OK: true, Output: "credential = object", Count: 0, Run: "create-credential-1", ExplainHTML: "<p><strong>0 requests.</strong></p>"}}},
			{Step: &StepView{ID: "get-secret", Title: "Read", Number: 2, RunURL: "/run/2",
				Params: []ParamView{{Name: "secretName", Value: "k", Editable: true}, {Name: "fixed", Value: "v"}},
				Last: &RunView{OK: false, Error: "RESPONSE 403", Count: 3, Chain: &ChainView{Answered: "EnvironmentCredential",
					Links: []LinkView{{Name: "EnvironmentCredential", Outcome: "answered"}, {Name: "WorkloadIdentityCredential", Outcome: "not tried"}}}}}},
			{Step: &StepView{ID: "grant", Title: "Assign", Action: true, RunURL: "/run/3", CLI: "az role assignment create"}},
		},
		Place: PlaceView{SetURL: "/place", Where: "workstation", Credential: "localDev", EnvNames: []string{"AZURE_CLIENT_ID"}},
		Goal: GoalView{Done: 1, Items: []GoalItem{{ID: "a", Title: "A", Met: true, Detail: "ok", InspectURL: "/x/1"},
			{ID: "b", Title: "B", HintHTML: "<p>hint</p>", SolutionHTML: "<p>solution</p>"}}},
		Diagram: sampleDiagram(),
		Panel:   PanelView{ActionURL: "/panel/", ResetURL: "/reset", CSRFToken: "tok", Labels: []string{"localDev"}, Roles: []string{"Reader"}, ScopeKinds: []string{"vault"}},
	}
}

func TestLessonShow(t *testing.T) {
	html := renderString(t, LessonShow(sampleLesson()))
	ids := testIDs(html)
	for id, want := range map[string]int{"lesson": 1, "step": 3, "run-step": 3, "step-outcome": 2, "step-output": 1, "step-error": 1,
		"chain": 1, "goal": 1, "check": 2, "diagram": 1, "exchange": 3, "panel": 1, "place": 1, "har-link": 1, "presenter-link": 1,
		"code-python": 1, "code-go": 1, "step-explain": 1, "announce": 1, "reset-sandbox": 1} {
		if ids[id] != want {
			t.Errorf("data-testid=%q ×%d, want %d", id, ids[id], want)
		}
	}
	for _, want := range []string{
		`<strong>here</strong>`, // lesson HTML rendered, not escaped
		`name="_csrf" value="tok"`, `hx-post="/run/2"`, `action="/run/2"`, `name="secretName" type="text" value="k"`,
		`aria-selected="true"`, `role="tabpanel"`, `class="line current"`, `data-stream="/sandboxes/sbx1/lessons/l1/stream"`,
		"Show solution", "<p>hint</p>", `aria-live="polite"`, "Sandbox change", "az role assignment create",
		`data-run="create-credential-1"`, "1 of 2 done", `href="/api/sandboxes/sbx1/trace.har"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("lesson page lacks %q", want)
		}
	}
	if strings.Contains(html, `name="fixed"`) {
		t.Error("a non-editable parameter is a form field")
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, " style=") || strings.Contains(html, "onclick") {
		t.Error("inline script or style (CSP)")
	}
}

func TestGoalMetHidesHints(t *testing.T) {
	g := GoalView{Met: true, Done: 1, Items: []GoalItem{{ID: "a", Title: "A", Met: true, HintHTML: "<p>hint</p>"}}}
	html := renderString(t, GoalPanel(g))
	if !strings.Contains(html, "Goal met") || strings.Contains(html, "hint") || !strings.Contains(html, `data-met="true"`) {
		t.Errorf("%s", html)
	}
}

func TestInspector(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	claims := map[string]any{"aud": "https://vault.azure.net", "oid": "o1", "exp": float64(now.Add(-5 * time.Minute).Unix()),
		"iat": float64(now.Add(-65 * time.Minute).Unix()), "appidacr": "1", "roles": []any{"a", "b"}, "custom": true}
	v := InspectorView{Seq: 7, Method: "GET", URL: "https://kv.vault.azure.net/secrets/k", Status: 403, StatusText: "Forbidden",
		Outcome: "st-denied", Icon: "✗", Service: "Key Vault", CloseURL: "/l", CSRFToken: "tok",
		Token: &TokenView{Title: "Access token presented", Claims: ExplainClaims(claims, now), Validity: Validity(claims, now)},
		Authn: &AuthnView{OK: true, Subject: "appid=a"},
		Decision: &DecisionView{Model: "Azure RBAC", Principal: "localDev", Action: "Microsoft.KeyVault/vaults/secrets/getSecret/action", DataAction: true,
			Scope: "/subscriptions/s/x", Summary: "no assignment grants it",
			Considered: []ConsideredView{{RoleName: "Owner", Scope: "/subscriptions/s", Reason: "other-principal", Explanation: "for someone else"}},
			Suggestion: &SuggestionView{RoleName: "Key Vault Secrets User", Scope: "/subscriptions/s/x", Principal: "localDev", FixURL: "/fix", Seq: 7, CLI: "az role"}},
		RequestHeaders: []HeaderView{{Name: "Authorization", Value: "Bearer eyJ…(masked)"}},
	}
	html := renderString(t, Inspector(v))
	ids := testIDs(html)
	for _, id := range []string{"inspector", "decision", "decision-summary", "considered", "suggestion", "apply-fix", "token", "authn"} {
		if ids[id] != 1 {
			t.Errorf("inspector lacks data-testid=%q", id)
		}
	}
	for _, want := range []string{"Not authorized", "Data action checked", "getSecret/action", "for someone else", "✗ no",
		`action="/fix"`, `name="seq" value="7"`, `name="_csrf" value="tok"`, "⚠ expired", "expired 5 minutes ago",
		"Audience: the API this token is for", `data-claim="roles"`, "a, b", "client secret", "1h 05m ago",
		"A claim this explainer does not describe."} {
		if !strings.Contains(html, want) {
			t.Errorf("inspector lacks %q", want)
		}
	}
	// aud comes first: the claims a learner reads first lead.
	if strings.Index(html, `data-claim="aud"`) > strings.Index(html, `data-claim="exp"`) {
		t.Error("claims not in reading order")
	}
}

func TestExplainClaimsCoversTheDocumentedClaims(t *testing.T) {
	for _, c := range []string{"aud", "iss", "appid", "oid", "sub", "tid", "iat", "nbf", "exp", "ver", "idtyp", "xms_mirid", "upn",
		"scp", "roles", "appidacr", "uti", "idp", "xms_cc"} {
		got := ExplainClaims(map[string]any{c: "x"}, time.Now())
		if len(got) != 1 || got[0].Meaning == "" || strings.HasPrefix(got[0].Meaning, "A claim this explainer") {
			t.Errorf("claim %s not explained", c)
		}
	}
}

func TestPanelAndCatalog(t *testing.T) {
	p := PanelView{ActionURL: "/panel/", ResetURL: "/reset", CSRFToken: "tok", SandboxTime: "now", Labels: []string{"localDev", "owner"},
		Roles: []string{"Reader"}, ScopeKinds: []string{"vault"},
		Principals: []PrincipalRow{{Label: "localDev", Name: "local", Kind: "application", CanHaveSecrets: true, Deletable: true,
			Secrets: []SecretRow{{KeyID: "k1", Hint: "abc", Expires: "2027", Expired: true}}}},
		Site:        SiteRow{Name: "app", IdentityOn: true, ObjectID: "mi"},
		Assignments: []AssignmentRow{{Principal: "owner (Owner)", PrincipalLabel: "owner", Role: "Owner", Scope: "/subscriptions/s", ScopeKind: "subscription"}},
		Vault:       VaultRow{Name: "kv", RBAC: true}, Message: "done",
	}
	html := renderString(t, Panel(p))
	for _, want := range []string{`action="/panel/assignRole"`, `action="/panel/removeRole"`, `action="/panel/deleteSecret"`,
		`action="/panel/addSecret"`, `action="/panel/deletePrincipal"`, `action="/panel/createServicePrincipal"`,
		`action="/panel/setSiteIdentity"`, `name="state" value="off"`, `action="/panel/setVaultModel"`, `action="/panel/addAccessPolicy"`,
		`action="/panel/advanceClock"`, `action="/panel/setPropagationDelay"`, `action="/reset"`, "⚠ expired", `data-testid="panel-message"`} {
		if !strings.Contains(html, want) {
			t.Errorf("panel lacks %q", want)
		}
	}
	if n := strings.Count(html, `name="_csrf" value="tok"`); n != strings.Count(html, "<form") {
		t.Errorf("%d forms, %d with the CSRF token", strings.Count(html, "<form"), n)
	}
	cat := renderString(t, Catalog(CatalogPage{Page: Page{Title: "Lessons"}, Lessons: []CatalogEntry{{ID: "l1", Title: "One", URL: "/lessons/l1", Steps: 5, StepsDone: 2, GoalMet: true}}}))
	if !strings.Contains(cat, `href="/lessons/l1"`) || !strings.Contains(cat, "2 of 5 steps run") || !strings.Contains(cat, "Goal met") {
		t.Errorf("catalog: %s", cat)
	}
}

func TestPresenter(t *testing.T) {
	html := renderString(t, Presenter(PresenterPage{Page: Page{Title: "P"}, Title: "Read", LessonURL: "/l", Stream: "/s?step=x",
		Steps:   []PresenterStep{{ID: "x", Title: "Read", URL: "/p?step=x", Current: true}},
		Current: &StepView{Tabs: []CodeTab{{Lang: "python", HTML: Highlight("python", "x = 1"), Default: true}}},
		Diagram: sampleDiagram()}))
	for _, want := range []string{`data-presenter`, `aria-current="page"`, `class="ch-chroma code big"`, `data-index="3"`, `data-stream="/s?step=x"`} {
		if !strings.Contains(html, want) {
			t.Errorf("presenter lacks %q", want)
		}
	}
}
