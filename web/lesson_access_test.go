package web

import (
	"net/url"
	"strings"
	"testing"
)

// Another learner sees none of it, unknown names are 404s, forms need the
// CSRF token, and only editable parameters change.
func TestPlayerAccessAndBadInput(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	other := pe.env.browser()
	other.visit()
	for _, path := range []string{base, base + "/stream", base + "/present", base + "/diagram", base + "/exchanges/1"} {
		if r := other.page(path); r.StatusCode != 404 {
			t.Errorf("other learner GET %s = %d, want 404", path, r.StatusCode)
		}
	}
	if r := other.form(base+"/steps/create-credential", nil, true); r.StatusCode != 404 {
		t.Errorf("other learner run = %d", r.StatusCode)
	}
	sb := strings.Split(base, "/")[2]
	for path, want := range map[string]int{
		"/lessons/nope":                         404,
		"/sandboxes/" + sb + "/lessons/nope":    404,
		base + "/exchanges/999":                 404,
		base + "/exchanges/abc":                 404,
		"/sandboxes/sbxnope/lessons/" + lesson1: 404,
	} {
		if r := pe.b.page(path); r.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, r.StatusCode, want)
		}
	}
	if r := pe.b.form(base+"/steps/nope", nil, true); r.StatusCode != 404 {
		t.Errorf("unknown step = %d", r.StatusCode)
	}
	if r := pe.b.form(base+"/fix", url.Values{"seq": {"x"}}, true); r.StatusCode != 400 {
		t.Errorf("fix without seq = %d", r.StatusCode)
	}
	// Missing CSRF token.
	r := pe.b.do("POST", base+"/steps/create-credential", strings.NewReader(""), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.StatusCode != 403 {
		t.Errorf("run without CSRF = %d", r.StatusCode)
	}
	// A non-editable parameter is ignored; an editable one is used.
	r = pe.b.form(base+"/steps/create-credential", nil, true)
	r = pe.b.form(base+"/steps/create-client", url.Values{"vaultUrl": {"https://nope.vault.azure.net"}, "other": {"x"}}, true)
	if !strings.Contains(r.body, "https://nope.vault.azure.net") {
		t.Errorf("edited vaultUrl not used:\n%s", r.body)
	}
	r = pe.b.form(base+"/steps/get-secret", nil, true)
	if !strings.Contains(r.body, "no such host") {
		t.Errorf("unknown vault should fail to resolve:\n%s", r.body)
	}
}

// The presenter shows one step's code and only its exchanges, each with a
// reveal index; the diagram fragment serves a refresh.
func TestPresenterAndDiagramFragment(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	for _, s := range []string{"create-credential", "create-client", "get-secret"} {
		pe.b.form(base+"/steps/"+s, nil, true)
	}
	r := pe.b.page(base + "/present")
	if r.StatusCode != 200 || count(r.body, "presenter") != 1 {
		t.Fatalf("presenter = %d", r.StatusCode)
	}
	if !strings.Contains(r.body, `aria-current="page">Read the secret`) || !strings.Contains(r.body, "client.get_secret") ||
		!strings.Contains(r.body, `data-index="3"`) || strings.Contains(r.body, "DefaultAzureCredential() — 0 requests") {
		t.Errorf("presenter of the last step:\n%s", r.body)
	}
	r = pe.b.page(base + "/present?step=create-credential")
	if !strings.Contains(r.body, "DefaultAzureCredential() — 0 requests") || count(r.body, "exchange") != 0 {
		t.Errorf("presenter of step 1:\n%s", r.body)
	}
	r = pe.b.do("GET", base+"/diagram", nil, map[string]string{"HX-Request": "true"})
	if r.StatusCode != 200 || strings.Contains(r.body, "<html") || count(r.body, "exchange") < 3 {
		t.Errorf("diagram fragment = %d", r.StatusCode)
	}
}
