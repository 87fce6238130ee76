package lessons

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/sim/service"
	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// Every lesson's steps along the paths a learner really takes (straight
// through, a second round after the solution, each sandbox change skipped,
// each code step alone, each change applied after the solution and the
// code run again): the note shown under each run must not contradict what
// the run did (NoteFor picks it by outcome; contradictions finds text that
// speaks of another outcome).
func TestNotesNeverContradictTheOutcome(t *testing.T) {
	cat, err := LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	checked, withNote, worlds := 0, 0, 0
	for _, l := range cat.List() {
		t.Run(l.ID, func(t *testing.T) {
			shown := map[string]bool{} // step ID + note text
			for _, p := range notePaths(l) {
				worlds++
				w := f.buildFor(t, fmt.Sprintf("sbx-np-%d", worlds), l)
				r := f.runner(t, w, l)
				if _, err := r.Setup(context.Background()); err != nil {
					t.Fatal(err)
				}
				for i, id := range p.steps {
					res := run(t, r, id)
					checked++
					n := l.Step(id).NoteFor(res.Outcome)
					if n == nil {
						continue
					}
					withNote++
					shown[id+"\x00"+n.Text] = true
					for _, c := range contradictions(n.Text, res) {
						t.Errorf("%s, run %d (%s): ok=%v %v answered=%q: the note %s\nnote: %s",
							p.name, i+1, id, res.OK, services(res), res.Outcome.Answered, c, firstLine(strings.TrimSpace(n.Text)))
					}
				}
			}
			// A note no path shows was written for an outcome that never
			// happens (an explain for a failure, say): it is lost.
			for _, s := range l.Steps() {
				texts := []string{s.Explain}
				for _, n := range s.Notes {
					texts = append(texts, n.Text)
				}
				for _, tx := range texts {
					if tx != "" && !shown[s.ID+"\x00"+tx] {
						t.Errorf("%s: a note is never shown on any path (its outcome never happens): %s", s.ID, firstLine(strings.TrimSpace(tx)))
					}
				}
			}
		})
	}
	t.Logf("%d step runs checked, %d with a note", checked, withNote)
}

type notePath struct {
	name  string
	steps []string
}

// notePaths are the orders of steps a learner may run a lesson in.
func notePaths(l *Lesson) []notePath {
	var all, code, actions []string
	for _, s := range l.Steps() {
		all = append(all, s.ID)
		if s.Kind == BlockStep {
			code = append(code, s.ID)
		} else {
			actions = append(actions, s.ID)
		}
	}
	paths := []notePath{
		{"straight through", all},
		{"solution, then everything again", append(slices.Clone(l.Solution), all...)},
	}
	for _, a := range actions {
		var skip []string
		for _, id := range all {
			if id != a {
				skip = append(skip, id)
			}
		}
		paths = append(paths, notePath{"without " + a, skip})
		paths = append(paths, notePath{"solution, " + a + ", code again", append(append(slices.Clone(l.Solution), a), code...)})
	}
	for _, c := range code {
		paths = append(paths, notePath{c + " alone", []string{c}})
	}
	return paths
}

var (
	// "EnvironmentCredential answered", "**ManagedIdentityCredential
	// answered**".
	answeredRe = regexp.MustCompile(`\b([A-Z][A-Za-z]*Credential)\W{0,4}answered`)
	// A status the note says the step got ("`403`", "a 200").
	statusRe = regexp.MustCompile("(?:^|[\\s`(])(200|201|401|403|404)(?:$|[\\s`).,:;])")
	// The token request to Entra ID.
	entraPostRe = regexp.MustCompile("(?i)Entra ID[^.]{0,30}POST|POST`?[^.]{0,40}(Entra|token)|token request")
	// The token from the managed identity endpoint.
	miGetRe = regexp.MustCompile("(?i)(GET`?\\s+(to|from) the (managed )?identity endpoint|from the managed identity endpoint|managed identity endpoint answered)")
	// Negated or contrasting clauses: "instead of a POST", "not a 403",
	// "no 401": they speak of what did not happen.
	negatedRe = regexp.MustCompile("(?i)\\b(instead of|rather than|not|no|never|without|unlike)\\s+(a |an |the )?[^.;,]*")
)

// contradictions lists what the note says that the run did not do.
func contradictions(note string, res *StepResult) []string {
	text := negatedRe.ReplaceAllString(note, "")
	var out []string
	for _, m := range answeredRe.FindAllStringSubmatch(text, -1) {
		if res.Chain == nil || res.Chain.Answered != m[1] {
			got := "no DefaultAzureCredential ran"
			if res.Chain != nil {
				got = "answered: " + strconv.Quote(res.Chain.Answered)
			}
			out = append(out, fmt.Sprintf("says %s answered (%s)", m[1], got))
		}
	}
	// The statuses of the calls, and of token requests that failed: a
	// note's "200" is the resource's answer, not the token endpoint's.
	statuses := map[int]bool{}
	for i, ex := range res.Exchanges {
		if tokenSource(&res.Exchanges[i]) == "" || ex.Status >= 400 {
			statuses[ex.Status] = true
		}
	}
	for _, m := range statusRe.FindAllStringSubmatch(text, -1) {
		if n, _ := strconv.Atoi(m[1]); !statuses[n] {
			out = append(out, "speaks of a "+m[1]+" the run did not get")
		}
	}
	if entraPostRe.MatchString(text) && res.Outcome.Token != TokenEntra {
		out = append(out, "speaks of a token request to Entra ID the run did not make (token: "+res.Outcome.Token+")")
	}
	if miGetRe.MatchString(text) && res.Outcome.Token != TokenManagedIdentity {
		out = append(out, "speaks of the managed identity endpoint the run did not ask (token: "+res.Outcome.Token+")")
	}
	return out
}

// The checker itself finds the contradictions the issue reported.
func TestContradictionsFindsWrongNotes(t *testing.T) {
	forbidden := &StepResult{OK: false, Exchanges: exchanges("keyvault GET 401", "managed-identity GET 200", "keyvault GET 403")}
	forbidden.Outcome = OutcomeOf(forbidden)
	chainFailed := &StepResult{OK: false, Chain: &ChainReport{}, Exchanges: exchanges("keyvault GET 401")}
	chainFailed.Outcome = OutcomeOf(chainFailed)
	miAnswered := &StepResult{OK: true, Chain: &ChainReport{Answered: credNameManagedIdentity},
		Exchanges: exchanges("keyvault GET 401", "managed-identity GET 200", "keyvault GET 200")}
	miAnswered.Outcome = OutcomeOf(miAnswered)
	for _, tc := range []struct {
		note string
		res  *StepResult
		want int
	}{
		{"Open the Key Vault `200` in the diagram.", forbidden, 1},
		{"**EnvironmentCredential answered**, because localDev's three variables are set.", chainFailed, 1},
		{"It asked Entra ID (see its `POST`).", miAnswered, 1},
		{"The chain report says **ManagedIdentityCredential answered**: a `GET` to the managed identity endpoint instead of a `POST` to Entra ID.", miAnswered, 0},
		{"Key Vault refused: `403`, after the `401` challenge.", forbidden, 0},
	} {
		if got := contradictions(tc.note, tc.res); len(got) != tc.want {
			t.Errorf("%q: %d contradictions %v, want %d", tc.note, len(got), got, tc.want)
		}
	}
}

// exchanges builds exchanges from "service METHOD status" words.
func exchanges(specs ...string) []trace.Exchange {
	var out []trace.Exchange
	for i, s := range specs {
		f := strings.Fields(s)
		st, _ := strconv.Atoi(f[2])
		ex := trace.Exchange{Seq: int64(i + 1), Service: service.Name(f[0]), Method: f[1], Status: st, URL: "https://example/" + f[0]}
		if f[0] == "entra" && f[1] == "POST" {
			ex.URL = "https://login.microsoftonline.com/t/oauth2/v2.0/token"
		}
		out = append(out, ex)
	}
	return out
}
