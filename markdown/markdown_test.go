package markdown

import (
	"strings"
	"testing"
)

// xssPayloads are known attack strings (OWASP cheat sheet and friends).
var xssPayloads = []string{
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

// Unsafe reports what executable content, if any, is in rendered HTML.
func Unsafe(html string) string {
	lower := strings.ToLower(html)
	for _, bad := range []string{"<script", "javascript:", "<iframe", "<object", "<embed", "<style", "<form", "<input", "<meta", "<base", "<link", "<svg", "data:text/html", "style="} {
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

func TestRender_XSSPayloadsHarmless(t *testing.T) {
	if len(xssPayloads) < 20 {
		t.Fatal("the corpus must hold at least 20 payloads")
	}
	for _, p := range xssPayloads {
		if bad := Unsafe(Render(p)); bad != "" {
			t.Errorf("payload %q rendered %q: contains %s", p, Render(p), bad)
		}
	}
}

func TestRender_KeepsMarkdownAndUnicode(t *testing.T) {
	out := Render("# Titre\n\n**Mesure** pour les PME — تحويل رقمي 🇲🇦\n\n- un\n- deux\n\n[lien](https://example.ma)")
	for _, want := range []string{"<h1", "<strong>Mesure</strong>", "تحويل رقمي 🇲🇦", "<li>un</li>", `href="https://example.ma"`, `rel="nofollow noreferrer noopener"`} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered %q lacks %q", out, want)
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, p := range xssPayloads {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if bad := Unsafe(Render(src)); bad != "" {
			t.Fatalf("input %q rendered unsafe output (%s): %q", src, bad, Render(src))
		}
	})
}
