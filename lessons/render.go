package lessons

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders lesson text. goldmark without html.WithUnsafe drops raw
// HTML and dangerous link schemes, so lesson files (including an
// instructor's override directory) cannot inject script into the page.
var markdown = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough))

// renderMarkdown turns lesson Markdown into safe HTML ("" for empty text).
func renderMarkdown(src string) template.HTML {
	if src == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(buf.String()) //nolint:gosec // goldmark in safe mode
}
