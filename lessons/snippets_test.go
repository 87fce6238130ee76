package lessons

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every code step of every lesson offers every language the player shows:
// what the lesson wrote, else the action's own statement.
func TestEveryStepHasEveryLanguage(t *testing.T) {
	cat, err := LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cat.List() {
		for _, s := range l.Steps() {
			if s.Kind != BlockStep {
				continue
			}
			for _, lang := range Languages() {
				if strings.TrimSpace(StepCode(s, lang)) == "" {
					t.Errorf("%s/%s has no %s", l.ID, s.ID, lang)
				}
			}
			if code := StepCode(s, LangJavaScript); strings.Contains(code, "{"+"secretName}") && s.Params["secretName"] == "" {
				t.Errorf("%s/%s: unfilled parameter in %q", l.ID, s.ID, code)
			}
		}
	}
	for action := range snippets {
		if actionsByName()[action] == nil {
			t.Errorf("snippets for unknown action %q", action)
		}
	}
}

// The JavaScript snippets are JavaScript (node --check, inside an async
// function as the docs' samples run them). Skipped without Node.js.
func TestJavaScriptSnippetsParse(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found")
	}
	dir := t.TempDir()
	for action, m := range snippets {
		src := "let credential, client, queueClient, apiKey, token;\nasync function main() {\n" + m[LangJavaScript] + "\n}\n"
		f := filepath.Join(dir, strings.ReplaceAll(action, ".", "_")+".js")
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(node, "--check", f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s\n%s", action, err, out, src)
		}
	}
}
