package web

import (
	"html/template"
	"sync"

	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// maxHighlighted bounds the highlight cache: every lesson's snippets many
// times over (most are the same in every sandbox; those naming a sandbox's
// vault or principals differ).
const maxHighlighted = 2048

// highlighter memoizes ui.Highlight, which tokenizes with regular
// expressions and costs about as much as rendering a page: every learner's
// first visit to a lesson highlights all its code, and a class does that at
// once.
type highlighter struct {
	mu   sync.Mutex
	html map[string]template.HTML // lang + "\x00" + code
}

func (h *highlighter) highlight(lang, code string) template.HTML {
	key := lang + "\x00" + code
	h.mu.Lock()
	out, ok := h.html[key]
	h.mu.Unlock()
	if ok {
		return out
	}
	out = ui.Highlight(lang, code)
	h.mu.Lock()
	if h.html == nil || len(h.html) >= maxHighlighted {
		h.html = map[string]template.HTML{} // crude bound: start over
	}
	h.html[key] = out
	h.mu.Unlock()
	return out
}
