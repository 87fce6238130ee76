package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// byTestID returns the elements with data-testid=id.
func byTestID(t *testing.T, doc string, id string) []*html.Node {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "data-testid" && a.Val == id {
					out = append(out, n)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func TestHomeComponent(t *testing.T) {
	sb := ui.SandboxView{
		ID: "sbx1", Scenario: "walkthrough", TenantID: "tid-1", ProxyURL: "http://127.0.0.1:8080",
		ProxyURLWithAuth: "http://sbx1:key@127.0.0.1:8080", CACertURL: "http://127.0.0.1:8080/ca.pem",
		KeyVaultURL: "https://kv-auth-abc.vault.azure.net", SecretName: "third-party-api-key", AccessKey: "the-access-key",
		LocalDev: ui.PrincipalView{Label: "localDev", ClientID: "cid", ClientSecret: "s3cr3t<'>", ObjectID: "oid"},
	}
	var buf bytes.Buffer
	m := ui.HomePage{Page: ui.Page{Title: "Your sandboxes", CSRFToken: "tok"}, DisplayName: "Ada", Scenarios: []string{"walkthrough", "empty"}, Sandboxes: []ui.SandboxView{sb}}
	if err := ui.Home(m).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	sbs := byTestID(t, doc, "sandbox")
	if len(sbs) != 1 || attr(sbs[0], "data-sandbox-id") != "sbx1" {
		t.Fatalf("sandbox cards: %d", len(sbs))
	}
	if got := text(byTestID(t, doc, "tenant-id")[0]); got != "tid-1" {
		t.Errorf("tenant = %q", got)
	}
	for _, form := range []string{"create-sandbox-form", "display-name-form"} {
		f := byTestID(t, doc, form)
		if len(f) != 1 || attr(f[0], "method") != "post" || !strings.Contains(renderNode(f[0]), `name="_csrf" value="tok"`) {
			t.Errorf("%s lacks the CSRF field", form)
		}
	}
	// Secrets are inside closed <details> (revealed on purpose) and escaped.
	for _, id := range []string{"access-key", "secret-localDev", "env-bash", "env-powershell"} {
		d := byTestID(t, doc, id)
		if len(d) != 1 || d[0].Data != "details" || attr(d[0], "open") != "" {
			t.Errorf("%s is not a closed <details>", id)
		}
	}
	bash := text(byTestID(t, doc, "env-bash")[0])
	for _, want := range []string{"export HTTPS_PROXY='http://sbx1:key@127.0.0.1:8080'", `export SSL_CERT_FILE="$PWD/sandbox-ca.pem"`,
		"export REQUESTS_CA_BUNDLE=", "export NODE_EXTRA_CA_CERTS=", "export KEY_VAULT_URL='https://kv-auth-abc.vault.azure.net'", "export AZURE_CLIENT_ID='cid'", `export AZURE_CLIENT_SECRET='s3cr3t<'\''>'`} {
		if !strings.Contains(bash, want) {
			t.Errorf("bash snippet lacks %q:\n%s", want, bash)
		}
	}
	ps := text(byTestID(t, doc, "env-powershell")[0])
	if !strings.Contains(ps, "$env:HTTPS_PROXY = 'http://sbx1:key@127.0.0.1:8080'") || !strings.Contains(ps, `$env:AZURE_CLIENT_SECRET = 's3cr3t<''>'`) {
		t.Errorf("PowerShell snippet:\n%s", ps)
	}
	if strings.Contains(doc, "s3cr3t<'>") {
		t.Error("secret not HTML-escaped")
	}
	// Accessibility basics: every input has a label.
	for _, id := range []string{"display-name", "scenario"} {
		if !strings.Contains(doc, `for="`+id+`"`) {
			t.Errorf("input %s has no label", id)
		}
	}
	if len(byTestID(t, doc, "no-sandboxes")) != 0 {
		t.Error("empty-state shown with a sandbox")
	}
}

func renderNode(n *html.Node) string {
	var b bytes.Buffer
	html.Render(&b, n)
	return b.String()
}

func TestHomePageFlow(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	doc := b.visit()
	if len(byTestID(t, doc, "no-sandboxes")) != 1 {
		t.Error("a new learner should see the empty state")
	}
	if cc := b.do("GET", "/", nil, nil).Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}

	form := url.Values{"_csrf": {b.csrf}, "scenario": {"walkthrough"}}
	res := b.do("POST", "/sandboxes", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/#sb-sbx") {
		t.Fatalf("create form = %d %s %s", res.StatusCode, res.Header.Get("Location"), res.body)
	}
	form = url.Values{"_csrf": {b.csrf}, "displayName": {"  Ada Lovelace  "}}
	res = b.do("POST", "/learner/name", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("name form = %d %s", res.StatusCode, res.body)
	}
	doc = b.visit()
	cards := byTestID(t, doc, "sandbox")
	if len(cards) != 1 {
		t.Fatalf("%d sandbox cards after create", len(cards))
	}
	id := attr(cards[0], "data-sandbox-id")
	api := decode[sandboxJSON](t, b.api("GET", "/api/sandboxes/"+id, "").body)
	if text(byTestID(t, doc, "tenant-id")[0]) != api.TenantID || text(byTestID(t, doc, "key-vault-url")[0]) != api.KeyVaultURL {
		t.Error("page and API disagree")
	}
	if !strings.Contains(doc, `value="Ada Lovelace"`) {
		t.Error("display name not shown trimmed")
	}
	if !strings.Contains(text(byTestID(t, doc, "env-bash")[0]), api.Principals.LocalDev.ClientSecret) {
		t.Error("bash snippet lacks localDev's secret")
	}

	// Bad form input re-renders the page with a 400 and the reason.
	for _, f := range []struct{ path, field, value string }{
		{"/sandboxes", "scenario", "production"},
		{"/learner/name", "displayName", strings.Repeat("x", 65)},
		{"/learner/name", "displayName", "bell\a"},
	} {
		form := url.Values{"_csrf": {b.csrf}, f.field: {f.value}}
		res := b.do("POST", f.path, strings.NewReader(form.Encode()), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
		if res.StatusCode != 400 || len(byTestID(t, res.body, "form-error")) != 1 {
			t.Errorf("%s %q = %d", f.path, f.value, res.StatusCode)
		}
	}
	// A refused CSRF check on a page is an HTML page for a browser.
	res = b.do("POST", "/learner/name", strings.NewReader("displayName=x"), map[string]string{
		"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
	if res.StatusCode != 403 || len(byTestID(t, res.body, "error-status")) != 1 {
		t.Errorf("CSRF failure page = %d %s", res.StatusCode, res.body)
	}
}
