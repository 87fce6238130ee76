package ui

import (
	"bytes"
	"context"
	"io"

	"github.com/a-h/templ"
)

// DiagramRows keeps a diagram's rendered rows (the SVG's and the list's), so
// that rendering the diagram again once rows were added renders only the
// new ones: a step answer without the page's mark, and every event stream,
// bring the whole diagram, which grows by a few rows a step. A row's markup
// is fixed by the rows before it and itself, which is what the mark's
// prefix hash names (see rowHash). Not safe for concurrent use.
type DiagramRows struct {
	mark       string // d.MarkAt(n) of the rows held
	n, width   int
	rows, list []byte
}

// Render writes Diagram(d), byte for byte.
func (c *DiagramRows) Render(ctx context.Context, d DiagramView, w io.Writer) error {
	from := 0
	if c.n > 0 && c.n <= len(d.Rows) && c.width == d.Width && d.MarkAt(c.n) == c.mark {
		from = c.n
	} else {
		c.rows, c.list, c.n = c.rows[:0], c.list[:0], 0
	}
	if from < len(d.Rows) {
		rb, lb := bytes.NewBuffer(c.rows), bytes.NewBuffer(c.list)
		if err := diagramRows(d, from).Render(ctx, rb); err != nil {
			c.n, c.mark = 0, ""
			return err
		}
		if err := diagramList(d, from).Render(ctx, lb); err != nil {
			c.n, c.mark = 0, ""
			return err
		}
		c.rows, c.list = rb.Bytes(), lb.Bytes()
	}
	c.n, c.width, c.mark = len(d.Rows), d.Width, d.MarkAt(len(d.Rows))
	return diagramWith(d, rawBytes(c.rows), rawBytes(c.list)).Render(ctx, w)
}

// rawBytes writes markup rendered before.
func rawBytes(b []byte) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
