// Package static holds the browser assets (CSS, vendored htmx) behind one
// embed.FS, so the binary serves them without files on disk or a CDN.
package static

import "embed"

// FS holds css/, js/ and img/favicon.svg (the other images are the
// README's).
//
//go:embed css js img/favicon.svg
var FS embed.FS
