// Package xsstest holds the corpus of cross-site scripting payloads and the
// check for executable output that every test of user-written text shares.
package xsstest

import "strings"

// Payloads are known attack strings (OWASP cheat sheet and friends).
var Payloads = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)>`,
	`<svg><script>alert(1)</script></svg>`,
	`[click](javascript:alert(1))`,
	`[click](JaVaScRiPt:alert(1))`,
	`[click](  javascript:alert(1))`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`![x](javascript:alert(1))`,
	`<a href="javascript:alert(1)">x</a>`,
	`<iframe src="javascript:alert(1)"></iframe>`,
	`<body onload=alert(1)>`,
	`<style>body{background:url(javascript:alert(1))}</style>`,
	`<select onfocus=alert(1) autofocus><option>x</option></select>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<details open ontoggle=alert(1)>`,
	`<object data="javascript:alert(1)"></object>`,
	`<embed src="javascript:alert(1)">`,
	`<form action="javascript:alert(1)"><button>x</button></form>`,
	`<input autofocus onfocus=alert(1)>`,
	`<a href="&#106;avascript:alert(1)">x</a>`,
	`[x](&#106;avascript:alert(1))`,
	"<scr<script>ipt>alert(1)</script>",
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<link rel=stylesheet href="javascript:alert(1)">`,
	"`<script>`",
}

// Unsafe reports what executable content, if any, is in HTML made from
// user text: a forbidden element or URL scheme, or an event-handler
// attribute. extra adds substrings a caller also forbids.
func Unsafe(html string, extra ...string) string {
	lower := strings.ToLower(html)
	for _, bad := range append([]string{"<script", "javascript:", "<iframe", "<object", "<embed", "<style", "<form", "<input", "<meta", "<base", "<link", "<svg", "data:text/html", "style="}, extra...) {
		if strings.Contains(lower, bad) {
			return bad
		}
	}
	// Event handlers: an attribute starting with "on" inside a tag.
	inTag := false
	for i := 0; i < len(lower); i++ {
		switch lower[i] {
		case '<':
			inTag = true
		case '>':
			inTag = false
		case ' ', '\t', '\n', '/':
			if inTag && strings.HasPrefix(lower[i+1:], "on") {
				j := i + 3
				for j < len(lower) && lower[j] >= 'a' && lower[j] <= 'z' {
					j++
				}
				if j < len(lower) && lower[j] == '=' {
					return "event handler"
				}
			}
		}
	}
	return ""
}
