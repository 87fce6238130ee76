package lessons

import (
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/sim/trace"
)

// Note is "what just happened" written for one outcome of a step. A step's
// note is chosen by what its run really did (NoteFor): text written for the
// success path must never sit under a failure.
type Note struct {
	When NoteWhen      `json:"when" yaml:"when"`
	Text string        `json:"text" yaml:"text"`
	HTML template.HTML `json:"html" yaml:"-"`
}

// NoteWhen is the outcome a note was written for. Empty fields match
// anything; every field given must hold.
type NoteWhen struct {
	// OK: the step succeeded (true) or failed (false).
	OK *bool `json:"ok,omitempty" yaml:"ok"`
	// Answered is the DefaultAzureCredential link that answered during the
	// step, or "none" when the chain failed.
	Answered string `json:"answered,omitempty" yaml:"answered"`
	// Token is where the step's token came from: entra (a token request to
	// Entra ID), managed-identity (the identity endpoint) or none (the step
	// asked for no token: it had one, or sent nothing).
	Token string `json:"token,omitempty" yaml:"token"`
	// Status is the status of the step's last exchange.
	Status int `json:"status,omitempty" yaml:"status"`
}

// Outcome is what a run of a step did, in the terms notes are chosen by.
// It is computed when the step runs and kept with the result, so the note
// stays the same after a restart even when the trace has moved on.
type Outcome struct {
	OK       bool   `json:"ok"`
	Answered string `json:"answered,omitempty"`
	Token    string `json:"token"`
	Status   int    `json:"status,omitempty"`
	Requests int    `json:"requests"`
}

// Token sources (NoteWhen.Token, Outcome.Token).
const (
	TokenEntra           = "entra"
	TokenManagedIdentity = "managed-identity"
	TokenNone            = "none"
)

// AnsweredNone is NoteWhen.Answered for a chain in which no link answered.
const AnsweredNone = "none"

// OutcomeOf summarises a step's result.
func OutcomeOf(res *StepResult) Outcome {
	o := Outcome{OK: res.OK, Token: TokenNone, Requests: len(res.Exchanges)}
	if ch := res.Chain; ch != nil {
		o.Answered = ch.Answered
		if o.Answered == "" {
			o.Answered = AnsweredNone
		}
	}
	for i := range res.Exchanges {
		if src := tokenSource(&res.Exchanges[i]); src != "" {
			o.Token = src
		}
	}
	if n := len(res.Exchanges); n > 0 {
		o.Status = res.Exchanges[n-1].Status
	}
	return o
}

// tokenSource says whether the exchange asked for a token, and where.
func tokenSource(ex *trace.Exchange) string {
	switch {
	case ex.Service == "managed-identity":
		return TokenManagedIdentity
	case ex.Service == "entra" && strings.EqualFold(ex.Method, "POST") && strings.Contains(ex.URL, "/token"):
		return TokenEntra
	}
	return ""
}

// Matches reports whether the note was written for the outcome.
func (w NoteWhen) Matches(o Outcome) bool {
	return (w.OK == nil || *w.OK == o.OK) &&
		(w.Answered == "" || w.Answered == o.Answered) &&
		(w.Token == "" || w.Token == o.Token) &&
		(w.Status == 0 || w.Status == o.Status)
}

// NoteFor chooses the step's note for an outcome: the first of its notes
// written for it, else its explain when the step succeeded. nil when none
// fits: no note rather than a wrong one.
func (s *Step) NoteFor(o Outcome) *Note {
	for i := range s.Notes {
		if s.Notes[i].When.Matches(o) {
			return &s.Notes[i]
		}
	}
	if o.OK && s.Explain != "" {
		return &Note{When: NoteWhen{OK: ptr(true)}, Text: s.Explain, HTML: s.ExplainHTML}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// credentialNames are the links of DefaultAzureCredential a note may name.
var credentialNames = []string{credNameEnvironment, credNameWorkloadIdentity, credNameManagedIdentity,
	credNameAzureCLI, credNameAzureDevCLI, credNameAzurePowerShell}

// validateNotes checks a step's notes.
func validateNotes(s *Step) []string {
	var out []string
	for i, n := range s.Notes {
		where := fmt.Sprintf("note %d", i+1)
		if strings.TrimSpace(n.Text) == "" {
			out = append(out, where+": no text")
		}
		w := n.When
		if w.Answered != "" && w.Answered != AnsweredNone && !slices.Contains(credentialNames, w.Answered) {
			out = append(out, fmt.Sprintf("%s: answered must be none or one of %s, not %q", where, strings.Join(credentialNames, ", "), w.Answered))
		}
		if w.Token != "" && !slices.Contains([]string{TokenEntra, TokenManagedIdentity, TokenNone}, w.Token) {
			out = append(out, fmt.Sprintf("%s: token must be entra, managed-identity or none, not %q", where, w.Token))
		}
		if w.Status != 0 && (w.Status < 100 || w.Status > 599) {
			out = append(out, fmt.Sprintf("%s: status %d is not an HTTP status", where, w.Status))
		}
		if w == (NoteWhen{}) && i < len(s.Notes)-1 {
			out = append(out, where+": has no when but is not the last note (the notes after it could never show)")
		}
	}
	return out
}
