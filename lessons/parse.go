package lessons

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a lesson file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	return p.File + ": " + p.Message
}

// blockKinds are the fence info words that open a lesson block; any other
// fence is ordinary Markdown code in the narrative.
var blockKinds = map[string]string{"step": BlockStep, "action": BlockAction, "check": BlockCheck, "rerun": BlockRerun}

// parseLesson parses one lesson file. It returns the lesson as far as it
// could be read and every syntax problem found; meaning (known actions,
// claims, ...) is checked by validate.
func parseLesson(file string, src []byte) (*Lesson, []Problem) {
	var probs []Problem
	bad := func(line int, format string, a ...any) {
		probs = append(probs, Problem{File: file, Line: line, Message: fmt.Sprintf(format, a...)})
	}
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
	lines := strings.Split(string(src), "\n")
	l := &Lesson{Source: file}

	// Front matter: between the first two "---" lines.
	body := 0
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		bad(1, "missing front matter (the file must start with a --- line)")
	} else {
		end := -1
		for i := 1; i < len(lines); i++ {
			if strings.TrimSpace(lines[i]) == "---" {
				end = i
				break
			}
		}
		if end < 0 {
			bad(1, "front matter is not closed by a --- line")
			return l, probs
		}
		fm := strings.Join(lines[1:end], "\n")
		dec := yaml.NewDecoder(strings.NewReader(fm))
		dec.KnownFields(true)
		if err := dec.Decode(l); err != nil && err.Error() != "EOF" {
			bad(2, "front matter: %v", err)
		}
		body = end + 1
	}

	var narrative []string
	narrStart := body + 1
	flush := func() {
		text := strings.TrimSpace(strings.Join(narrative, "\n"))
		if text != "" {
			l.Blocks = append(l.Blocks, Block{Kind: BlockNarrative, HTML: renderMarkdown(text), Line: narrStart})
		}
		narrative = narrative[:0]
	}
	inFence := "" // the opening fence of an ordinary code block in the narrative
	for i := body; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if inFence != "" {
			narrative = append(narrative, line)
			if strings.HasPrefix(trimmed, inFence) && strings.Trim(trimmed, inFence[:1]) == "" {
				inFence = ""
			}
			continue
		}
		fence := fencePrefix(trimmed)
		if fence == "" {
			if len(narrative) == 0 {
				narrStart = i + 1
			}
			narrative = append(narrative, line)
			continue
		}
		info := strings.Fields(strings.TrimSpace(trimmed[len(fence):]))
		kind := ""
		if len(info) > 0 {
			kind = blockKinds[info[0]]
		}
		if kind == "" {
			inFence = fence
			if len(narrative) == 0 {
				narrStart = i + 1
			}
			narrative = append(narrative, line)
			continue
		}
		// A lesson block: read to its closing fence.
		start := i + 1
		var yamlLines []string
		closed := false
		for i++; i < len(lines); i++ {
			t := strings.TrimSpace(lines[i])
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				closed = true
				break
			}
			yamlLines = append(yamlLines, lines[i])
		}
		if !closed {
			bad(start, "%s block is not closed", info[0])
			break
		}
		flush()
		attrs, err := parseAttrs(info[1:])
		if err != nil {
			bad(start, "%s block: %v", info[0], err)
			continue
		}
		if b, ok := parseBlock(kind, attrs, strings.Join(yamlLines, "\n"), start, func(format string, a ...any) {
			bad(start, format, a...)
		}); ok {
			l.Blocks = append(l.Blocks, b)
		}
	}
	flush()
	return l, probs
}

// fencePrefix returns the run of backticks (or tildes) opening a fence, or "".
func fencePrefix(s string) string {
	for _, c := range []string{"`", "~"} {
		n := 0
		for n < len(s) && s[n] == c[0] {
			n++
		}
		if n >= 3 {
			return s[:n]
		}
	}
	return ""
}

// parseAttrs reads key=value words from a fence's info string.
func parseAttrs(words []string) (map[string]string, error) {
	attrs := map[string]string{}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("attribute %q is not key=value", w)
		}
		if _, dup := attrs[k]; dup {
			return nil, fmt.Errorf("attribute %q given twice", k)
		}
		attrs[k] = strings.Trim(v, `"`)
	}
	return attrs, nil
}

func parseBlock(kind string, attrs map[string]string, body string, line int, bad func(string, ...any)) (Block, bool) {
	id := attrs["id"]
	if id == "" {
		bad("%s block has no id= attribute", kind)
		return Block{}, false
	}
	for k := range attrs {
		if k != "id" && !(k == "action" && kind != BlockCheck && kind != BlockRerun) {
			bad("%s block %q: unknown attribute %q", kind, id, k)
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(body))
	dec.KnownFields(true)
	switch kind {
	case BlockRerun:
		r := &Rerun{}
		if err := dec.Decode(r); err != nil && err.Error() != "EOF" {
			bad("rerun %q: %v", id, err)
			return Block{}, false
		}
		r.ID = id
		return Block{Kind: BlockRerun, Rerun: r, Line: line}, true
	case BlockCheck:
		c := &Check{}
		if err := dec.Decode(c); err != nil && err.Error() != "EOF" {
			bad("check %q: %v", id, err)
			return Block{}, false
		}
		c.ID = id
		c.HintHTML = renderMarkdown(c.Hint)
		c.SolutionHTML = renderMarkdown(c.Solution)
		return Block{Kind: BlockCheck, Check: c, Line: line}, true
	default:
		s := &Step{}
		if err := dec.Decode(s); err != nil && err.Error() != "EOF" {
			bad("%s %q: %v", kind, id, err)
			return Block{}, false
		}
		s.ID, s.Action, s.Kind = id, attrs["action"], kind
		if s.Action == "" {
			bad("%s %q has no action= attribute", kind, id)
		}
		if s.Code == nil {
			s.Code = map[string]string{}
		}
		for lang, code := range s.Code {
			s.Code[lang] = strings.TrimRight(code, "\n")
		}
		s.ExplainHTML = renderMarkdown(s.Explain)
		for i := range s.Notes {
			s.Notes[i].HTML = renderMarkdown(s.Notes[i].Text)
		}
		return Block{Kind: kind, Step: s, Line: line}, true
	}
}
