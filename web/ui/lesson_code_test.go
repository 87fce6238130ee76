package ui

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite static/css/chroma.css")

// The committed stylesheet is what ChromaCSS generates.
func TestChromaCSS(t *testing.T) {
	css, err := ChromaCSS()
	if err != nil {
		t.Fatal(err)
	}
	const path = "../../static/css/chroma.css"
	if *update {
		if err := os.WriteFile(path, []byte(css), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != css {
		t.Errorf("%s is stale: run go test ./web/ui -run TestChromaCSS -update", path)
	}
	if !strings.Contains(css, "prefers-color-scheme: dark") {
		t.Error("no dark styles")
	}
}

func TestHighlightMarksTheStatement(t *testing.T) {
	cases := []struct {
		lang, code, want string
		current          int
	}{
		{"python", "from azure.identity import DefaultAzureCredential\n\ncredential = DefaultAzureCredential()\n", "DefaultAzureCredential", 1},
		{"csharp", "using Azure.Identity;\n\nvar credential = new DefaultAzureCredential();", "DefaultAzureCredential", 1},
		{"javascript", "const { X } = require(\"@azure/identity\");\n\nconst credential = new X();", "credential", 1},
		{"go", "resp, err := client.GetSecret(ctx, name, \"\", nil)\napiKey := *resp.Value", "GetSecret", 2},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			html := string(Highlight(tc.lang, tc.code))
			if n := strings.Count(html, `class="line current"`); n != tc.current {
				t.Errorf("%d current lines, want %d:\n%s", n, tc.current, html)
			}
			if !strings.Contains(html, tc.want) || !strings.Contains(html, `class="ch-`) {
				t.Errorf("not highlighted with classes:\n%s", html)
			}
			if strings.Contains(html, "style=") {
				t.Errorf("inline style (the CSP refuses it):\n%s", html)
			}
		})
	}
	if got := Statement("python", "from a import b\n\nx = b()\n"); got != "x = b()" {
		t.Errorf("Statement = %q", got)
	}
}

func TestHighlightEscapes(t *testing.T) {
	html := string(Highlight("python", `x = "<script>alert(1)</script>"`))
	if strings.Contains(html, "<script>") {
		t.Errorf("unescaped: %s", html)
	}
}
