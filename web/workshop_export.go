package web

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/azure-auth-sandbox/sandbox/workshop"
)

// workshopExport downloads the class's progress as CSV.
func (s *Server) workshopExport(c echo.Context) error {
	w, b, err := s.ownWorkshop(c)
	if err != nil {
		return err
	}
	sw, rows := b.Snapshot(s.hub.Now())
	titles := map[string]string{}
	for _, id := range sw.Lessons {
		titles[id] = s.lessonTitle(id)
	}
	var buf bytes.Buffer
	if err := workshop.WriteCSV(&buf, sw, rows, titles); err != nil {
		return err
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, w.Title)
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="workshop-`+name+`.csv"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
