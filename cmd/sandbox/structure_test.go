package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// module is this module's path.
const module = "github.com/azure-auth-sandbox/sandbox"

// unitOf names the part of the project a package belongs to, as the
// README's dependency line names them: "cmd", "web", "web/ui", "lessons",
// "sandboxes", "sim", "store", "static". Subpackages belong to their
// parent's unit, except web/ui.
func unitOf(pkg string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	if rel == "web/ui" {
		return rel
	}
	first, _, _ := strings.Cut(rel, "/")
	return first
}

// readmeEdges reads the README's "Dependency direction" paragraph: each
// `a → {b, c}` (or `a → b`) in backquotes allows a to import b and c.
func readmeEdges(t *testing.T, readme string) map[string][]string {
	t.Helper()
	var para strings.Builder
	in := false
	sc := bufio.NewScanner(strings.NewReader(readme))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "Dependency direction") {
			in = true
		}
		if in && strings.TrimSpace(line) == "" {
			break
		}
		if in {
			para.WriteString(line + " ")
		}
	}
	if !in {
		t.Fatal(`README.md has no "Dependency direction" paragraph`)
	}
	edges := map[string][]string{}
	re := regexp.MustCompile("`([a-z/]+) → (\\{[a-z/, ]+\\}|[a-z/]+)`")
	for _, m := range re.FindAllStringSubmatch(para.String(), -1) {
		for _, to := range strings.Split(strings.Trim(m[2], "{}"), ",") {
			edges[m[1]] = append(edges[m[1]], strings.TrimSpace(to))
		}
	}
	if len(edges) == 0 {
		t.Fatalf("no `a → {b, c}` edges in the README's dependency paragraph: %s", para.String())
	}
	return edges
}

// moduleEdges lists which units import which, from go list (build
// constraints applied; test files not counted).
func moduleEdges(t *testing.T, root string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	edges := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		from := unitOf(p.ImportPath)
		for _, imp := range p.Imports {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if to := unitOf(imp); to != from && !slices.Contains(edges[from], to) {
				edges[from] = append(edges[from], to)
			}
		}
	}
	return edges
}

// The README's dependency line is the import graph: every import between
// the project's parts is written there, and everything written there is an
// import. A new edge (say the simulated cloud importing the store) fails
// here until the README says so.
func TestReadmeDependencyLineMatchesImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := readmeEdges(t, string(readme))
	got := moduleEdges(t, root)
	for from, tos := range got {
		for _, to := range tos {
			if !slices.Contains(want[from], to) {
				t.Errorf("%s imports %s, which the README's dependency line does not allow", from, to)
			}
		}
	}
	for from, tos := range want {
		for _, to := range tos {
			if !slices.Contains(got[from], to) {
				t.Errorf("the README says %s → %s, but %s imports nothing of %s", from, to, from, to)
			}
		}
	}
}

func TestUnitOf(t *testing.T) {
	for pkg, want := range map[string]string{
		module + "/cmd/sandbox":   "cmd",
		module + "/web":           "web",
		module + "/web/ui":        "web/ui",
		module + "/sim/world":     "sim",
		module + "/lessons/pyrun": "lessons",
		module + "/sandboxes":     "sandboxes",
	} {
		if got := unitOf(pkg); got != want {
			t.Errorf("unitOf(%s) = %q, want %q", pkg, got, want)
		}
	}
}
