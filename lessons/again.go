package lessons

import (
	"fmt"
	"html/template"
	"regexp"
	"strings"
)

// againRe finds text that asks the learner to run earlier steps (again):
// "Run the three steps again", "Run **Read the secret**", "run the site
// steps".
var againRe = regexp.MustCompile(`(?i)\brun\b[^.!?:]{0,80}\bagain\b|\bRun (the [a-z ]{0,30}steps|\*\*[^*]{1,60}\*\*)`)

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// validateAgain checks that wherever a narrative or a step's note asks the
// learner to run steps again, a rerun block offers it before the next step:
// the text never asks for something with nothing near it to do it.
func validateAgain(l *Lesson) []Problem {
	var probs []Problem
	pending, pendingLine, afterStep := "", 0, false
	flush := func() {
		if pending != "" {
			probs = append(probs, Problem{File: l.Source, Line: pendingLine,
				Message: fmt.Sprintf("%q asks to run steps again: add a rerun block before the next step", pending)})
		}
		pending = ""
	}
	for _, b := range l.Blocks {
		switch {
		case b.Rerun != nil:
			pending = ""
		case b.Step != nil:
			flush()
			texts := []string{b.Step.Explain}
			for _, n := range b.Step.Notes {
				texts = append(texts, n.Text)
			}
			for _, t := range texts {
				// "run this step again": its own Run button is right there.
				if m := againRe.FindString(t); m != "" && !strings.Contains(m, "this step") {
					pending, pendingLine = m, b.Line
				}
			}
		case b.HTML != "":
			// Right after a step, its own button is near.
			if m := againRe.FindString(plainText(b.HTML)); m != "" && !afterStep {
				pending, pendingLine = m, b.Line
			}
		}
		afterStep = b.Step != nil && b.Step.Kind == BlockStep
	}
	flush()
	return probs
}

// plainText is a narrative's text, its bold kept as Markdown's ** (step
// titles are written in bold).
func plainText(h template.HTML) string {
	s := strings.NewReplacer("<strong>", "**", "</strong>", "**").Replace(string(h))
	return strings.Join(strings.Fields(htmlTag.ReplaceAllString(s, " ")), " ")
}
