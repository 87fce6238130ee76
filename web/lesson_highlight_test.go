package web

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/azure-auth-sandbox/sandbox/lessons"
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
	pe := newPlayerEnv(b)
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
