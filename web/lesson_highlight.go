package web

import (
	"html/template"
	"strings"
	"sync"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// maxHighlighted bounds the highlight cache: every lesson's snippets many
// times over (most are the same in every sandbox; those naming a sandbox's
// vault or principals differ).
const maxHighlighted = 2048

// highlighter memoizes ui.Highlight, which tokenizes with regular
// expressions and costs about as much as rendering a page: every learner's
// first visit to a lesson highlights all its code, and a class does that at
// once. Snippets naming a sandbox's values differ in every sandbox: those
// are highlighted once as templates (ui.HighlightTemplate) and filled in.
type highlighter struct {
	mu    sync.Mutex
	html  map[string]*highlighted // lang + "\x00" + code
	tmpls map[string]*highlighted // lang + "\x00" + snippet as written
}

// highlighted is one cache entry: the first to ask computes it, the others
// asking meanwhile (a class opening the lesson at once) wait for it.
type highlighted struct {
	once sync.Once
	html template.HTML
	t    ui.Template
	ok   bool // t is usable: the snippet's marks are all in string literals
}

// entry is m's entry for key, made (in a map made or started over at the
// bound) when missing.
func (h *highlighter) entry(m *map[string]*highlighted, key string) *highlighted {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := (*m)[key]
	if e == nil {
		if *m == nil || len(*m) >= maxHighlighted {
			*m = map[string]*highlighted{} // crude bound: start over
		}
		e = &highlighted{}
		(*m)[key] = e
	}
	return e
}

func (h *highlighter) highlight(lang, code string) template.HTML {
	e := h.entry(&h.html, lang+"\x00"+code)
	e.once.Do(func() { e.html = ui.Highlight(lang, code) })
	return e.html
}

// fillings is one sandbox's placeholder values ("{vault}" → its vault), as
// lessons.ExpandWith puts them in.
type fillings struct {
	names  []string // "{vault}", …
	values map[string]string
	// repl puts every value in at once; exact: that is what ExpandWith
	// does, no value holding a placeholder a later pass of ExpandWith
	// would fill.
	repl  *strings.Replacer
	exact bool
}

// expand is lessons.ExpandWith(code, st, server) of the values f was read
// from (expandWith calls it where f cannot be sure).
func (f *fillings) expand(code string, expandWith func(string) string) string {
	if !f.exact {
		return expandWith(code)
	}
	return f.repl.Replace(code)
}

// fillingsOf reads the values lessons.ExpandWith(…, st, server) fills in.
// Call it inside World.View.
func fillingsOf(st *world.State, server map[string]string) *fillings {
	f := &fillings{values: map[string]string{}}
	names := lessons.PlaceholderNames()
	for i := range names {
		names[i] = "{" + names[i] + "}"
	}
	names = append(names, lessons.PlaceholderProxyURLWithAuth, lessons.PlaceholderProxyURL, lessons.PlaceholderCACertURL)
	f.names = names
	// One expansion for all: the values hold no NUL (else one each).
	all := strings.Split(lessons.ExpandWith(strings.Join(names, "\x00"), st, server), "\x00")
	f.exact = true
	var pairs []string
	for i, n := range names {
		if len(all) == len(names) {
			f.values[n] = all[i]
		} else {
			f.values[n] = lessons.ExpandWith(n, st, server)
		}
		v := f.values[n]
		if strings.Contains(v, "{") && v != n {
			f.exact = false
		}
		pairs = append(pairs, n, v)
	}
	f.repl = strings.NewReplacer(pairs...)
	return f
}

// markOf is the plain word standing for placeholder name in a template.
func markOf(name string) string { return "xqzPH" + strings.Trim(name, "{}") + "PHzqx" }

// highlightFilled is h.highlight(lang, filled), where filled is snippet
// with f's values put in; it highlights snippet once for every sandbox
// when it can, and falls back to filled's own highlight whenever the
// shortcut could not give the same HTML (a value with other characters,
// a placeholder outside a string literal, filled not being snippet with
// f's values).
func (h *highlighter) highlightFilled(lang, snippet, filled string, f *fillings) template.HTML {
	var marks, toMark, toValue []string
	for _, n := range f.names {
		if !strings.Contains(snippet, n) {
			continue
		}
		v, m := f.values[n], markOf(n)
		if !ui.FillValue(v) || strings.Contains(snippet, m) || strings.Contains(v, "xqzPH") {
			return h.highlight(lang, filled)
		}
		marks = append(marks, m)
		toMark = append(toMark, n, m)
		toValue = append(toValue, m, v)
	}
	if len(marks) == 0 {
		return h.highlight(lang, filled)
	}
	marked := strings.NewReplacer(toMark...).Replace(snippet)
	repl := strings.NewReplacer(toValue...)
	if repl.Replace(marked) != filled {
		return h.highlight(lang, filled)
	}
	e := h.entry(&h.tmpls, lang+"\x00"+snippet)
	e.once.Do(func() { e.t, e.ok = ui.HighlightTemplate(lang, marked, marks) })
	if !e.ok {
		return h.highlight(lang, filled)
	}
	return e.t.Fill(lang, filled, repl)
}
