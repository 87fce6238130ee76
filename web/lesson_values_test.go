package web

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
)

// Lesson 9's snippets carry the server's own values: the proxy (plain and
// with the sandbox's ID and access key) and the CA certificate's URL, from
// the public URL.
func TestLessonPageServerValues(t *testing.T) {
	pe := newPlayerEnv(t)
	loc := pe.start(t, "own-machine")
	page := pe.b.page(loc)
	if page.StatusCode != 200 {
		t.Fatalf("lesson page = %d", page.StatusCode)
	}
	sb, err := pe.db.Sandbox(context.Background(), sandboxOf(loc))
	if err != nil {
		t.Fatal(err)
	}
	text := pageText(page.body)
	for _, want := range []string{
		`HTTPS_PROXY="http://` + sb.ID + `:` + pe.app.proxyPassword(sb) + `@127.0.0.1:8080"`,
		`curl -fsS -o sandbox-ca.pem "http://127.0.0.1:8080/ca.pem"`,
		`Invoke-WebRequest -Uri "http://127.0.0.1:8080/ca.pem"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lesson 9 page lacks %s", want)
		}
	}
}

// No lesson page shows a placeholder: every {name} is filled in, at the
// start and after a step that explains itself with names.
func TestLessonPagesHaveNoPlaceholders(t *testing.T) {
	pe := newPlayerEnv(t)
	check := func(t *testing.T, path string) {
		t.Helper()
		page := pe.b.page(path)
		if page.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, page.StatusCode)
		}
		if left := placeholderLeft.FindAllString(pageText(page.body), -1); len(left) > 0 {
			t.Errorf("%s shows placeholders %q", path, left)
		}
	}
	lessons := pe.p.catalog.List()
	if len(lessons) < 9 {
		t.Fatalf("%d lessons", len(lessons))
	}
	for _, l := range lessons {
		t.Run(l.ID, func(t *testing.T) {
			check(t, pe.start(t, l.ID))
		})
	}
	// The walkthrough's deploy step explains itself with {secretName} and
	// {mainSite}; hints and solutions are expanded too.
	loc := pe.start(t, "walkthrough")
	for _, id := range []string{"create-rg", "deploy"} {
		if res := pe.b.form(loc+"/steps/"+id, nil, false); res.StatusCode != 303 {
			t.Fatalf("%s = %d: %s", id, res.StatusCode, res.body)
		}
	}
	check(t, loc)
}

// placeholderLeft matches a lesson placeholder left in a page's text: the
// sandbox's names (lessons.Expand), the server's values (lessons.ExpandWith)
// and an az command's unfilled <{parameter}>. Not any {word}: Go code has
// []string{scope}, the diagram names GUIDs {tenant}.
var placeholderLeft = regexp.MustCompile(`\{(vault|vaultUrl|storageAccount|queueUrl|mainSite|thirdPartySite|apiUrl|secretName|` +
	`tenantId|subscriptionId|resourceGroup|clientId|clientSecret|proxyUrl|proxyUrlWithAuth|caCertUrl)\}|<\{[a-zA-Z]+\}>`)

var tags = regexp.MustCompile(`<[^>]*>`)

// pageText is a page's text: tags removed (the highlighter splits code into
// spans), entities decoded.
func pageText(body string) string { return html.UnescapeString(tags.ReplaceAllString(body, "")) }

// sandboxOf is the sandbox ID in a lesson page's URL.
func sandboxOf(loc string) string {
	id, _, _ := strings.Cut(strings.TrimPrefix(loc, "/sandboxes/"), "/")
	return id
}
