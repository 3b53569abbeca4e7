// Package templates embeds the html/template files. It lives beside them
// because go:embed cannot reach a parent folder.
package templates

import "embed"

// FS holds the layout, the shared partials and one file per page, and the
// public Pact's own layout and pages (public/).
//
//go:embed *.html pages/*.html partials/*.html mail/*.html public/*.html
var FS embed.FS
