// Package markdown renders what people write (measure bodies, comments) to
// HTML that is safe to put in a page: goldmark renders, then bluemonday's UGC
// policy sanitises as the very last step, so nothing executable survives.
package markdown

import (
	"bytes"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
)

var (
	md = goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		// Raw HTML is escaped by goldmark already; the sanitiser is the
		// second line of defence, not the only one.
		goldmark.WithRendererOptions(html.WithHardWraps()),
	)
	policy = sync.OnceValue(func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).OnElements("code", "pre")
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		p.RequireNoReferrerOnLinks(true)
		return p
	})
)

// Render turns Markdown into sanitised HTML.
func Render(src string) string {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; fall back to escaped text.
		return policy().Sanitize("<p>" + src + "</p>")
	}
	return policy().Sanitize(buf.String())
}
