package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render sends a page whole with its length, and nothing of a page whose
// rendering failed halfway: the error handler answers instead of half a
// page behind a 200.
func TestRenderSendsThePageWholeOrNothing(t *testing.T) {
	e := echo.New()
	page := strings.Repeat("<p>row</p>", 2000)
	parts := func(fail bool) templ.Component {
		return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
			for i := 0; i < 2000; i++ {
				if fail && i == 1000 {
					return errors.New("broken")
				}
				if _, err := io.WriteString(w, "<p>row</p>"); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for range 2 { // the second takes the first's buffer from the pool
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest("GET", "/", nil), rec)
		if err := render(c, http.StatusOK, parts(false)); err != nil {
			t.Fatal(err)
		}
		if rec.Body.String() != page {
			t.Fatalf("body of %d bytes, want the %d of the page", rec.Body.Len(), len(page))
		}
		if got := rec.Header().Get(echo.HeaderContentLength); got != strconv.Itoa(len(page)) {
			t.Errorf("Content-Length %q, want %d", got, len(page))
		}
		if got := rec.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control %q", got)
		}
	}
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest("GET", "/", nil), rec)
	if err := render(c, http.StatusOK, parts(true)); err == nil {
		t.Fatal("no error from a failed render")
	}
	if c.Response().Committed || rec.Body.Len() > 0 {
		t.Errorf("a failed render sent %d bytes (committed %v)", rec.Body.Len(), c.Response().Committed)
	}
}
