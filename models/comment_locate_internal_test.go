package models

import "testing"

// TestLocateRendered: words selected in the rendered measure are found in
// its Markdown source.
func TestLocateRendered(t *testing.T) {
	body := "## Objectif\n\nLa transformation numérique 🇲🇦 des PME **marocaines** est une priorité.\n\n- Les PME [exportatrices](https://example.ma) d'abord.\n- 2e point\n\n> Cité *ici*"
	cases := []struct{ quote, want string }{
		{"des PME marocaines", "des PME **marocaines**"},
		{"marocaines est", "**marocaines** est"},
		{"Objectif\n\nLa transformation", "Objectif\n\nLa transformation"},
		{"  🇲🇦 des  PME ", "🇲🇦 des PME"},
		{"PME exportatrices d'abord", "PME [exportatrices](https://example.ma) d'abord"},
		{"d'abord.\n2e point", "d'abord.\n- 2e point"},
		{"Cité ici", "Cité *ici*"},
	}
	for _, c := range cases {
		s, e, ok := locateRendered(body, c.quote)
		if !ok || body[s:e] != c.want {
			t.Errorf("%q: got %q (%v), want %q", c.quote, body[s:e], ok, c.want)
		}
	}
	for _, q := range []string{"", "   ", "absent", "Objectif La numérique"} {
		if s, e, ok := locateRendered(body, q); ok {
			t.Errorf("%q found at %q", q, body[s:e])
		}
	}
}

// TestCheckAnchorLocatesRenderedWords: a located quote taken from the
// rendered text is stored as the source's words, with their offsets.
func TestCheckAnchorLocatesRenderedWords(t *testing.T) {
	body := "Les PME **marocaines** d'abord."
	a, err := checkAnchor(body, &AnchorInput{Quote: "PME marocaines", Locate: true})
	if err != nil || a.Quote != "PME **marocaines**" || a.From != 4 || a.To != 22 {
		t.Fatalf("got %+v, %v", a, err)
	}
}

// TestAnchorText: a quote reads as in the rendered measure.
func TestAnchorText(t *testing.T) {
	for quote, want := range map[string]string{
		"des PME **marocaines**":  "des PME marocaines",
		"Objectif\n\nLa _grande_": "Objectif La grande",
		"[lien](https://x.ma) ok": "lien ok",
		"texte simple":            "texte simple",
	} {
		if got := (&Anchor{Quote: quote}).Text(); got != want {
			t.Errorf("%q reads %q, want %q", quote, got, want)
		}
	}
}
