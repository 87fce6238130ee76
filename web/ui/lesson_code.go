package ui

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
)

// chromaPrefix keeps chroma's short class names ("k", "s2") apart from ours.
const chromaPrefix = "ch-"

// LanguageLabel is the tab label of a lesson language.
func LanguageLabel(lang string) string {
	switch lang {
	case "python":
		return "Python"
	case "go":
		return "Go"
	case "javascript":
		return "JavaScript"
	case "csharp":
		return "C#"
	}
	return lang
}

func newFormatter() *html.Formatter {
	return html.New(html.WithClasses(true), html.PreventSurroundingPre(true), html.ClassPrefix(chromaPrefix))
}

// Highlight renders code as one span per line, tokens coloured by CSS
// classes only: the CSP refuses inline styles. The statement lines (not
// imports, not blank) carry class "current": what the step runs.
func Highlight(lang, code string) template.HTML {
	code = strings.TrimRight(code, "\n")
	tokens, err := tokenise(lang, code)
	if err != nil {
		return template.HTML(template.HTMLEscapeString(code))
	}
	src := strings.Split(code, "\n")
	lines := formatLines(tokens, src)
	return joinLines(lang, lines, src)
}

func tokenise(lang, code string) ([]chroma.Token, error) {
	lexer := lexers.Get(lang)
	if lexer == nil {
		lexer = lexers.Fallback
	}
	lexer = chroma.Coalesce(lexer)
	it, err := lexer.Tokenise(nil, code+"\n")
	if err != nil {
		return nil, err
	}
	return it.Tokens(), nil
}

// formatLines is each line's tokens as HTML (src[i], escaped, where the
// formatter fails).
func formatLines(tokens []chroma.Token, src []string) []string {
	f := newFormatter()
	style := styles.Get("github")
	var out []string
	var lb bytes.Buffer
	for i, line := range chroma.SplitTokensIntoLines(tokens) {
		lb.Reset()
		if err := f.Format(&lb, style, chroma.Literator(line...)); err != nil {
			lb.Reset()
			lb.WriteString(template.HTMLEscapeString(src[i]))
		}
		out = append(out, strings.TrimRight(lb.String(), "\n"))
	}
	return out
}

// joinLines wraps each formatted line in its span; src is the code's lines
// (which decide the "current" mark).
func joinLines(lang string, lines, src []string) template.HTML {
	var b strings.Builder
	for i, line := range lines {
		b.WriteString(`<span class="line`)
		if i < len(src) && IsStatement(lang, src[i]) {
			b.WriteString(` current`)
		}
		b.WriteString(`">`)
		b.WriteString(line)
		b.WriteString("</span>") // no newline: .line is a block
	}
	return template.HTML(b.String()) //nolint:gosec // chroma escapes token text
}

// Template is code highlighted once with marks (plain words standing for
// values filled in later, e.g. a sandbox's vault URL), so that every
// sandbox's copy is the same highlight with its values put in.
type Template struct {
	lines []string // formatted lines, marks in them
}

// HighlightTemplate highlights code holding marks. ok is false unless every
// mark lies wholly inside a plain string literal token: only there does a
// lexer treat any run of FillChars the same (no rule of these lexers' string
// states matches a letter, digit or one of ._:/@~-), so a value put in place
// of the mark gets the very token, and the very HTML, the filled-in code
// would get. Elsewhere (an identifier, an f-string's braces) the value could
// tokenise otherwise: the caller highlights the filled-in code instead.
func HighlightTemplate(lang, code string, marks []string) (Template, bool) {
	code = strings.TrimRight(code, "\n")
	tokens, err := tokenise(lang, code)
	if err != nil {
		return Template{}, false
	}
	for _, m := range marks {
		if !FillValue(m) {
			return Template{}, false
		}
		in := 0
		for _, t := range tokens {
			if n := strings.Count(t.Value, m); n > 0 {
				if !plainString(t.Type) {
					return Template{}, false
				}
				in += n
			}
		}
		if in != strings.Count(code, m) { // a mark split across tokens
			return Template{}, false
		}
	}
	return Template{lines: formatLines(tokens, strings.Split(code, "\n"))}, true
}

func plainString(t chroma.TokenType) bool {
	switch t {
	case chroma.LiteralString, chroma.LiteralStringDouble, chroma.LiteralStringSingle, chroma.LiteralStringBacktick:
		return true
	}
	return false
}

// FillValue reports whether v may be put in a Template: not empty, only
// letters, digits and ._:/@~- (none of them special in a string literal of
// the lexers used, nor escaped in HTML).
func FillValue(v string) bool {
	if v == "" {
		return false
	}
	for _, r := range v {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case strings.ContainsRune("._:/@~-", r):
		default:
			return false
		}
	}
	return true
}

// Fill is the template's HTML with marks replaced (repl, marks to values
// that satisfy FillValue); code is the filled-in code, whose lines decide
// the "current" mark as in Highlight. It equals Highlight(lang, code).
func (t Template) Fill(lang, code string, repl *strings.Replacer) template.HTML {
	lines := make([]string, len(t.lines))
	for i, l := range t.lines {
		lines[i] = repl.Replace(l)
	}
	return joinLines(lang, lines, strings.Split(strings.TrimRight(code, "\n"), "\n"))
}

// IsStatement reports whether a source line is part of the statement a step
// runs rather than an import or a blank line.
func IsStatement(lang, line string) bool {
	t := strings.TrimSpace(line)
	if t == "" {
		return false
	}
	switch lang {
	case "python":
		return !strings.HasPrefix(t, "from ") && !strings.HasPrefix(t, "import ") && !strings.HasPrefix(t, "#")
	case "javascript":
		return !strings.Contains(t, "require(") && !strings.HasPrefix(t, "import ") && !strings.HasPrefix(t, "//")
	case "csharp":
		return !strings.HasPrefix(t, "using ") && !strings.HasPrefix(t, "//")
	case "go":
		return !strings.HasPrefix(t, "import ") && !strings.HasPrefix(t, "//")
	}
	return true
}

// Statement is the first statement line of code, trimmed (a diagram
// marker's label).
func Statement(lang, code string) string {
	for _, line := range strings.Split(code, "\n") {
		if IsStatement(lang, line) {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// ChromaCSS is static/css/chroma.css: GitHub colours under
// prefers-color-scheme: light, GitHub dark under dark. Each set is scoped to
// its scheme: the dark style does not define every class the light one
// does, and light rules must not leak into dark mode.
func ChromaCSS() (string, error) {
	var light, dark bytes.Buffer
	f := newFormatter()
	if err := f.WriteCSS(&light, styles.Get("github")); err != nil {
		return "", err
	}
	if err := f.WriteCSS(&dark, styles.Get("github-dark")); err != nil {
		return "", err
	}
	return "/* Generated by web/ui ChromaCSS (go test ./web/ui -run TestChromaCSS -update). Do not edit. */\n" +
		"@media (prefers-color-scheme: light) {\n" + light.String() + "}\n" +
		"@media (prefers-color-scheme: dark) {\n" + dark.String() + "}\n", nil
}
