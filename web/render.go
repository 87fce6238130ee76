package web

import (
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// render writes a templ component as an HTML response. The page is
// rendered whole first and sent with its length in one write: streamed, a
// lesson page went out in dozens of chunked writes (a system call and a TLS
// or TCP record each), and an error halfway left half a page behind a 200.
func render(c echo.Context, status int, comp templ.Component) error {
	// templ's pool of buffers: a page's buffer grown once serves the next
	// pages without growing again.
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store") // pages show secrets
	h.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}
