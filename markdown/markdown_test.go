package markdown

import (
	"strings"
	"testing"

	"pacte/markdown/xsstest"
)

func TestRender_XSSPayloadsHarmless(t *testing.T) {
	if len(xsstest.Payloads) < 20 {
		t.Fatal("the corpus must hold at least 20 payloads")
	}
	for _, p := range xsstest.Payloads {
		if bad := xsstest.Unsafe(Render(p)); bad != "" {
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
	for _, p := range xsstest.Payloads {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if bad := xsstest.Unsafe(Render(src)); bad != "" {
			t.Fatalf("input %q rendered unsafe output (%s): %q", src, bad, Render(src))
		}
	})
}
