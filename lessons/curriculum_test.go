package lessons

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/azure-auth-sandbox/sandbox/sim/scenario"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
)

// external is what a lesson's solution needs beyond its steps: the
// learner's own program, run outside the player (lesson 9).
var external = map[string]func(t *testing.T, f *fixture, w *world.World){
	"own-machine": func(t *testing.T, f *fixture, w *world.World) { ownProgram(t, f, w, "get-secret") },
}

// buildFor builds a fresh sandbox of the lesson's scenario.
func (f *fixture) buildFor(t testing.TB, id string, l *Lesson) *world.World {
	t.Helper()
	name := l.Scenario
	if name == "" {
		name = scenario.Walkthrough
	}
	w, err := scenario.Build(context.Background(), f.reg, id, name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// ownProgram is the learner's own program, the docs' code unmodified,
// reaching the sandbox through the proxy: the real azidentity
// EnvironmentCredential reads localDev's values, the exchanges are recorded
// with via "proxy" and no step marker (the program presents the sandbox's
// proxy credentials).
func ownProgram(t *testing.T, f *fixture, w *world.World, what string) {
	t.Helper()
	if what != "get-secret" {
		t.Fatalf("unknown own-program action %q", what)
	}
	var env map[string]string
	var vaultURL string
	w.View(func(st *world.State) {
		env = PrincipalEnv(st, scenario.LabelLocalDev)
		vaultURL = Expand("{vaultUrl}", st)
	})
	opts := azcore.ClientOptions{Transport: &http.Client{Transport: f.cloud.Transport(world.Origin{Via: ViaProxy, SandboxID: w.ID()})}}
	cred, err := azidentity.NewClientSecretCredential(env[EnvTenantID], env[EnvClientID], env[EnvClientSecret],
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	client, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetSecret(context.Background(), scenario.SecretName, "", nil); err != nil {
		t.Fatalf("own program: %v", err)
	}
}

func TestCurriculumCoversEveryClaim(t *testing.T) {
	rep, err := CheckDir("")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !rep.OK() || len(rep.Missing) != 0 || len(rep.Covered) != len(Claims()) {
		t.Fatalf("want every lesson valid and 18/18 claims:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Claims covered: 18/18 ") {
		t.Errorf("report:\n%s", out.String())
	}
}

// parseAll reads {id: code} as JSON and prints each snippet that does not
// parse, with the error.
const parseAll = `import ast, json, sys
for name, code in sorted(json.load(sys.stdin).items()):
    try:
        ast.parse(code)
    except SyntaxError as e:
        print(f"{name}: {e}\n{code}\n---")
`

// pythonFence finds ```python blocks in a lesson's narrative.
var pythonFence = regexp.MustCompile("(?s)```python\n(.*?)```")

// TestPythonSnippetsParse parses every Python snippet (code steps and
// ```python blocks) with python3's own parser.
func TestPythonSnippetsParse(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	cat, err := LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	snippets := map[string]string{}
	for _, l := range cat.List() {
		for _, s := range l.Steps() {
			if code := s.Code[LangPython]; code != "" {
				snippets[l.ID+"/"+s.ID] = code
			}
		}
	}
	files, _ := filepath.Glob("content/*.md")
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range pythonFence.FindAllSubmatch(src, -1) {
			snippets[name+"#"+itoa(i+1)] = string(m[1])
		}
	}
	if len(snippets) < 20 {
		t.Fatalf("only %d Python snippets found", len(snippets))
	}
	// One python3 process parses them all: interpreter start-up dominates.
	payload, err := json.Marshal(snippets)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", parseAll)
	cmd.Stdin = bytes.NewReader(payload)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("snippets that do not parse as Python:\n%s", s)
	}
}
