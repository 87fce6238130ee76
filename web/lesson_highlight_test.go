package web

import (
	"fmt"
	"html/template"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/lessons"
	"github.com/azure-auth-sandbox/sandbox/sandboxes"
	"github.com/azure-auth-sandbox/sandbox/sim/world"
	"github.com/azure-auth-sandbox/sandbox/web/ui"
)

// The cache answers exactly what ui.Highlight does, for every snippet of
// every lesson, and stays bounded.
func TestHighlighterMatchesHighlight(t *testing.T) {
	cat, err := lessons.LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	var h highlighter
	n := 0
	for _, l := range cat.List() {
		for _, s := range l.Steps() {
			for lang, code := range s.Code {
				want := ui.Highlight(lang, code)
				for i := range 2 { // a miss, then a hit
					if got := h.highlight(lang, code); got != want {
						t.Fatalf("%s/%s/%s (call %d) differs from ui.Highlight", l.ID, s.ID, lang, i)
					}
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no snippets")
	}
	for i := range maxHighlighted + 10 {
		h.highlight("python", fmt.Sprintf("x = %d", i))
	}
	if len(h.html) > maxHighlighted {
		t.Errorf("cache holds %d, bound %d", len(h.html), maxHighlighted)
	}
}

// BenchmarkLessonFirstOpen is a learner's first visit to lesson 1 in a new
// sandbox: the run is built (the lesson's code highlighted) and the page
// rendered.
func BenchmarkLessonFirstOpen(b *testing.B) {
	pe := newPlayerEnvWith(b, func(e *env) {
		// One learner at one address starts every sandbox here.
		e.limits = sandboxes.Limits{PerLearner: 1 << 20, PerAddressPerMinute: 1 << 30, PerAddressBurst: 1 << 20, Total: 1 << 20}
	})
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		base := pe.startLesson(b)
		b.StartTimer()
		rec := httptest.NewRecorder()
		pe.app.ServeHTTP(rec, pe.request(b, "GET", base, nil))
		if rec.Code != 200 {
			b.Fatalf("page = %d", rec.Code)
		}
	}
}

// A snippet highlighted once as a template and filled with a sandbox's
// values is byte for byte the highlight of the filled-in snippet, for every
// snippet of every lesson and values of every shape the shortcut accepts
// (and the ones it refuses fall back to the same answer).
func TestHighlightFilledMatchesHighlight(t *testing.T) {
	cat, err := lessons.LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abcxyzABCXYZ0123456789._:/@~-"
	word := func() string {
		b := make([]byte, 1+rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	shapes := []func(int) string{
		func(int) string { return word() },
		func(i int) string { return fmt.Sprintf("https://kv-%d.vault.azure.net", i) },
		func(int) string { return "00000000-1111-2222-3333-444444444444" },
		func(int) string { return "8Q~abc.def_ghi-jkl" },
		func(int) string { return "//x" },
		func(int) string { return "user@contoso.onmicrosoft.com" },
		func(int) string { return "http://sb-1:key@127.0.0.1:8080" },
		func(int) string { return `with "quote` },  // refused: falls back
		func(int) string { return "" },             // refused
		func(int) string { return "{vault}" },      // refused
		func(int) string { return "a\nb" },         // refused
		func(int) string { return "<b>&amp;</b>" }, // refused
	}
	var h highlighter
	shortcut, n := 0, 0
	for round := range 60 {
		f := &fillings{values: map[string]string{}}
		for i, name := range lessons.PlaceholderNames() {
			name = "{" + name + "}"
			f.names = append(f.names, name)
			shape := shapes[(round+i)%len(shapes)]
			if round < 30 { // first only values the shortcut takes
				shape = shapes[(round+i)%7]
			}
			f.values[name] = shape(round)
		}
		for _, name := range []string{lessons.PlaceholderProxyURLWithAuth, lessons.PlaceholderProxyURL, lessons.PlaceholderCACertURL} {
			f.names = append(f.names, name)
			f.values[name] = shapes[round%7](round)
		}
		pairs := []string{}
		for _, name := range f.names {
			pairs = append(pairs, name, f.values[name])
		}
		fill := strings.NewReplacer(pairs...)
		for _, l := range cat.List() {
			for _, s := range l.Steps() {
				for lang, code := range s.Code {
					filled := fill.Replace(code)
					want := ui.Highlight(lang, filled)
					if got := h.highlightFilled(lang, code, filled, f); got != want {
						t.Fatalf("%s/%s/%s round %d differs from ui.Highlight:\n got %s\nwant %s", l.ID, s.ID, lang, round, got, want)
					}
					n++
				}
			}
		}
	}
	for _, e := range h.tmpls {
		if e.ok {
			shortcut++
		}
	}
	if shortcut == 0 || n == 0 {
		t.Fatalf("%d templates filled of %d snippets highlighted", shortcut, n)
	}
	t.Logf("%d snippet highlights compared, %d of %d snippets with placeholders highlighted as templates", n, shortcut, len(h.tmpls))
}

// A sandbox's fillings expand every snippet, CLI line and parameter of every lesson exactly as
// lessons.ExpandWith does, with and without the server's values.
func TestFillingsExpandLikeExpandWith(t *testing.T) {
	pe := newPlayerEnv(t)
	base := pe.startLesson(t)
	id := strings.Split(base, "/")[2]
	cat, err := lessons.LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	for _, server := range []map[string]string{
		nil,
		{lessons.PlaceholderProxyURL: "http://127.0.0.1:8080", lessons.PlaceholderProxyURLWithAuth: "http://sbx:key@127.0.0.1:8080",
			lessons.PlaceholderCACertURL: "http://127.0.0.1:8080/ca.pem"},
		{"{vaultUrl}": "https://real.vault.azure.net/", "{clientId}": "11111111-2222-3333-4444-555555555555"},
		// As lesson HTML gets them (expandHTML): escaped.
		{lessons.PlaceholderProxyURL: "http://127.0.0.1:8080/?a=1&amp;b=&#34;2&#34;", lessons.PlaceholderProxyURLWithAuth: "http://sbx:k&amp;ey@127.0.0.1:8080",
			lessons.PlaceholderCACertURL: "http://127.0.0.1:8080/ca.pem", "{clientId}": "&lt;id&gt;"},
	} {
		pe.reg.Get(id).View(func(st *world.State) {
			f := fillingsOf(st, server)
			if !f.exact {
				t.Fatalf("fillings not exact for %v: %v", server, f.values)
			}
			if f.values["{vault}"] == "" || f.values["{vault}"] == "{vault}" {
				t.Fatalf("no vault in %v", f.values)
			}
			n := 0
			for _, l := range cat.List() {
				for _, s := range l.Steps() {
					texts := map[string]string{"cli": fillCLI(s.CLI, s.Params)}
					maps.Copy(texts, s.Code)
					for name, v := range s.Params {
						texts["param "+name] = v
					}
					texts["explain"] = string(s.ExplainHTML)
					for i, n := range s.Notes {
						texts[fmt.Sprintf("note %d", i)] = string(n.HTML)
					}
					for what, code := range texts {
						want := lessons.ExpandWith(code, st, server)
						if got := f.expand(code, nil); got != want {
							t.Fatalf("%s/%s/%s: fillings give\n%s\nExpandWith\n%s", l.ID, s.ID, what, got, want)
						}
						n++
					}
				}
			}
			for _, l := range cat.List() {
				texts := map[string]string{}
				for i, b := range l.Blocks {
					texts[fmt.Sprintf("block %d", i)] = string(b.HTML)
				}
				for _, c := range l.Checks() {
					texts["hint "+c.ID], texts["solution "+c.ID] = string(c.HintHTML), string(c.SolutionHTML)
				}
				for what, h := range texts {
					want := lessons.ExpandWith(h, st, server)
					if got := f.expand(h, nil); got != want {
						t.Fatalf("%s/%s: fillings give\n%s\nExpandWith\n%s", l.ID, what, got, want)
					}
					if strings.Contains(h, "{") {
						n++
					}
				}
			}
			if n == 0 {
				t.Fatal("no snippets")
			}
		})
	}
}

// A class asking for the same snippet at once gets one highlight, the same
// for all.
func TestHighlighterConcurrentMisses(t *testing.T) {
	var h highlighter
	code := "from azure.identity import DefaultAzureCredential\ncredential = DefaultAzureCredential()"
	want := ui.Highlight("python", code)
	var wg sync.WaitGroup
	got := make([]template.HTML, 32)
	for i := range got {
		wg.Go(func() { got[i] = h.highlight("python", code) })
	}
	wg.Wait()
	for i, g := range got {
		if g != want {
			t.Fatalf("caller %d got a different highlight", i)
		}
	}
	if len(h.html) != 1 {
		t.Fatalf("%d entries for one snippet", len(h.html))
	}
}
