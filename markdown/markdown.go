// Package markdown renders what people write (measure bodies, comments) to
// HTML that is safe to put in a page: goldmark renders, then bluemonday's UGC
// policy sanitises as the very last step, so nothing executable survives.
package markdown

import (
	"bytes"
	"regexp"
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

// MentionRe matches a mention, @[display text](user:ID) (docs/API.md);
// group 1 is the text, group 2 the person's id.
var MentionRe = regexp.MustCompile(`@\[([^\[\]\n]{1,80})\]\(user:([0-9]{1,18})\)`)

// Render turns Markdown into sanitised HTML. A mention becomes a link to
// the person's page, which follows their id (and so their renames).
func Render(src string) string {
	src = MentionRe.ReplaceAllString(src, "[@$1](/people/$2)")
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails on writer errors; fall back to escaped text.
		return policy().Sanitize("<p>" + src + "</p>")
	}
	return policy().Sanitize(buf.String())
}
