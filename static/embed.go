// Package static embeds the stylesheet, images and the bundled JavaScript.
// The bundle is built from web/ by `go generate ./static/` and committed, so
// building Pacte needs no Node.
package static

import "embed"

// FS holds css/, js/ and img/.
//
//go:embed css js img
var FS embed.FS
