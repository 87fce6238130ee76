package lessons

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestCheckDirEmbedded(t *testing.T) {
	rep, err := CheckDir("")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !rep.OK() {
		t.Fatalf("embedded lessons have problems:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Claims covered: 18/18 (S1 S2 S3 S4 S5 S6 S7 S8 S9 S10 S11 S12 S13 S14 S15 S16 S17 S18)\n") {
		t.Errorf("coverage line missing:\n%s", out.String())
	}
	if strings.Contains(out.String(), "Claims missing") {
		t.Errorf("claims reported missing:\n%s", out.String())
	}
}

func TestCheckFSBroken(t *testing.T) {
	rep := CheckFS(os.DirFS("testdata/broken"))
	if rep.OK() {
		t.Fatal("broken lessons reported OK")
	}
	var out bytes.Buffer
	rep.Print(&out)
	want := []string{
		`a-unknown-action.md:9: step "s1": unknown action "credential.teleport"`,
		`a-unknown-action.md:14: check "c1": noExchangesInStep: the step must not be the last one (a later step proves it ran)`,
		`b-missing-python.md:9: step "s1": missing python code`,
		`b-missing-python.md: front matter: unknown claim "S99" (claims are S1..S18)`,
		`b-missing-python.md:14: step "s2": assignRole changes the sandbox: use an action block`,
		`b-missing-python.md:14: step "s2": parameter principal: unknown principal label "nobody"`,
		`b-missing-python.md: the lesson has no goal: add at least one check block`,
		`b-missing-python.md: duplicate lesson id "dup" (also in a-unknown-action.md)`,
		`c-broken-checks.md:13: check "two": needs exactly one condition (trace, noExchangesInStep or state), has 2`,
		`c-broken-checks.md:13: check "two": noExchangesInStep: the step must not be the last one`,
		`c-broken-checks.md:21: check "ghost": trace: unknown service "keyvalut"`,
		`c-broken-checks.md:21: check "ghost": trace: unknown step "nowhere"`,
		`c-broken-checks.md:29: check "nohint": state.roleAssignment: unknown built-in role "Key Vault Secret Reader"`,
		`c-broken-checks.md:29: check "nohint": missing hint`,
		`c-broken-checks.md:29: check "nohint": missing solution`,
		"Claims covered: 2/18 (S9 S11)\n",
		`b-missing-python.md: front matter: solution names unknown step "nope"`,
		`c-broken-checks.md: front matter: solution must list the step IDs that meet the goal, in order`,
		`b-missing-python.md:20: step "s3": python code: {secretName} outside a string literal: a value would become code`,
		"FAIL: 18 problems",
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("report lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("report:\n%s", out.String())
	}
}

func TestParseSyntaxProblems(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no front matter", "# hello\n", "missing front matter"},
		{"unclosed front matter", "---\nid: x\n", "front matter is not closed"},
		{"unknown field", "---\nid: x\ncolour: red\n---\n", "field colour not found"},
		{"unclosed block", "---\nid: x\n---\n```step id=a action=credential.default\ncode: {}\n", "step block is not closed"},
		{"no id", "---\nid: x\n---\n```check\nhint: h\n```\n", "check block has no id= attribute"},
		{"bad attr", "---\nid: x\n---\n```step id=a action\n```\n", `attribute "action" is not key=value`},
		{"bad yaml", "---\nid: x\n---\n```check id=c\ntrace: [\n```\n", `check "c":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := parseLesson("x.md", []byte(tt.src))
			for _, p := range probs {
				if strings.Contains(p.String(), tt.want) {
					return
				}
			}
			t.Errorf("problems %v lack %q", probs, tt.want)
		})
	}
}

func TestLoadAllOverride(t *testing.T) {
	cat, err := LoadAll("testdata/override")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range cat.List() {
		if l.ID == "extra" || l.ID == "auth-at-the-call" {
			ids = append(ids, l.ID)
		}
	}
	if got := strings.Join(ids, ","); got != "extra,auth-at-the-call" {
		t.Errorf("order = %s, want extra (order 1) then the replaced lesson (order 5)", got)
	}
	l := cat.Get("auth-at-the-call")
	if l.Title != "Replaced by the instructor" {
		t.Errorf("override not applied: %q", l.Title)
	}
	html := string(l.Blocks[0].HTML)
	if strings.Contains(html, "<script") || strings.Contains(html, "javascript:") {
		t.Errorf("unsafe HTML rendered: %s", html)
	}
	if got := l.Step("create-credential").Code[LangGo]; got != goDefaultCredential {
		t.Errorf("go tab = %q, want the action's own source", got)
	}
}

func TestLoadAllRejectsBrokenDir(t *testing.T) {
	if _, err := LoadAll("testdata/broken"); err == nil || !strings.Contains(err.Error(), "unknown action") {
		t.Errorf("err = %v, want the problems", err)
	}
}

func TestCheckDirMissing(t *testing.T) {
	if _, err := CheckDir("testdata/nope"); err == nil {
		t.Error("no error for a missing directory")
	}
}

func FuzzParseLesson(f *testing.F) {
	for _, name := range []string{"content/01-auth-at-the-call.md", "testdata/broken/c-broken-checks.md"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("---\n---\n````step id=a action=x\n```\n````\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, _ := parseLesson("f.md", src)
		fillFromActions(l)
		_ = validateLesson(l)
	})
}
