// Package static holds the browser assets (CSS, vendored htmx) behind one
// embed.FS, so the binary serves them without files on disk or a CDN.
package static

import "embed"

// FS holds css/ and js/.
//
//go:embed css js
var FS embed.FS
