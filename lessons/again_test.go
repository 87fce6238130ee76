package lessons

import (
	"strings"
	"testing"
)

// Text that asks to run steps again must have a rerun block near it; a
// note's "run this step again" is near its own Run button.
func TestAgainNeedsARerun(t *testing.T) {
	const head = "---\nid: x\ntitle: X\n---\n```step id=s action=secrets.get\ntitle: Read\ncode: {python: x}\n" +
		"notes:\n  - when: {ok: false}\n    text: Assign a role, then run this step again.\n```\n\n```action id=a action=advanceClock\ntitle: Wait\nparams: {seconds: \"1\"}\n```\n\n"
	for _, tc := range []struct {
		name, body string
		problems   int
	}{
		{"asked, not offered", "Run **Read** again: `200`.\n\n```action id=b action=advanceClock\ntitle: W\nparams: {seconds: \"1\"}\n```\n", 1},
		{"asked at the end", "Run the three steps again.\n", 1},
		{"offered", "Run **Read** again: `200`.\n\n```rerun id=r\ntitle: Run Read again\nsteps: [s]\n```\n", 0},
		{"nothing asked", "Done.\n", 0},
	} {
		l, probs := parseLesson("x.md", []byte(head+tc.body))
		if len(probs) > 0 {
			t.Fatalf("%s: %v", tc.name, probs)
		}
		if got := validateAgain(l); len(got) != tc.problems {
			t.Errorf("%s: %d problems %v, want %d", tc.name, len(got), got, tc.problems)
		}
	}
}

func TestNoteValidation(t *testing.T) {
	s := &Step{Notes: []Note{{Text: "a"}, {When: NoteWhen{Answered: "MagicCredential", Token: "carrier-pigeon", Status: 9}}}}
	got := strings.Join(validateNotes(s), "\n")
	for _, want := range []string{"note 1: has no when but is not the last", "note 2: no text", `answered must be none or one of`, `token must be entra`, "status 9 is not"} {
		if !strings.Contains(got, want) {
			t.Errorf("validation lacks %q:\n%s", want, got)
		}
	}
}
