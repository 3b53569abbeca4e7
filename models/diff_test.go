package models_test

import (
	"strings"
	"testing"

	"pacte/models"
)

func rebuild(hunks []models.Hunk) (string, string) {
	var a, b strings.Builder
	for _, h := range hunks {
		if h.Op != models.OpInsert {
			a.WriteString(h.Text)
		}
		if h.Op != models.OpDelete {
			b.WriteString(h.Text)
		}
	}
	return a.String(), b.String()
}

func TestDiff_Text(t *testing.T) {
	cases := []struct{ name, a, b string }{
		{"Same", "abc\n", "abc\n"},
		{"Empty", "", ""},
		{"FromEmpty", "", "# Titre\n\nTexte.\n"},
		{"ToEmpty", "# Titre\n", ""},
		{"Word", "Le cloud national héberge les données.", "Le cloud souverain héberge les données publiques."},
		{"Lines", "un\ndeux\ntrois\n", "un\ndeux et demi\ntrois\nquatre\n"},
		{"Arabic", "الهوية الرقمية للمواطنين", "الهوية الرقمية الموحدة للمواطنين"},
		{"Emoji", "Lancement 🚀 en 2025 👩🏽‍💻", "Lancement 🚀🚀 en 2026 👩🏽‍💻 🎉"},
		{"NoTrailingNewline", "a\nb", "a\nc"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := models.DiffText(c.a, c.b)
			if a, b := rebuild(h); a != c.a || b != c.b {
				t.Fatalf("hunks do not rebuild the texts: %q %q from %+v", a, b, h)
			}
			for _, x := range h {
				if x.Text == "" || (x.Op != models.OpEqual && x.Op != models.OpInsert && x.Op != models.OpDelete) {
					t.Errorf("bad hunk %+v", x)
				}
			}
			if c.a == c.b && len(h) > 1 {
				t.Errorf("equal texts gave %d hunks", len(h))
			}
		})
	}
	h := models.DiffText("Le cloud national héberge.", "Le cloud souverain héberge.")
	if !hasHunk(h, models.OpDelete, "national") || !hasHunk(h, models.OpInsert, "souverain") {
		t.Errorf("word change not marked: %+v", h)
	}
}

func hasHunk(h []models.Hunk, op, text string) bool {
	for _, x := range h {
		if x.Op == op && x.Text == text {
			return true
		}
	}
	return false
}

func TestDiff_SideBySide(t *testing.T) {
	a := "titre\nun\ndeux\ntrois\nfin\n"
	b := "titre\nun bis\ndeux\nnouvelle 🎉\ntrois\nfin"
	rows := models.SideBySide(a, b)
	kinds := []string{}
	for _, r := range rows {
		kinds = append(kinds, r.Kind)
	}
	want := "equal changed equal added equal changed"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("row kinds %v, want %s", kinds, want)
	}
	// Left rows rebuild the old lines, right rows the new ones, numbered.
	var left, right []string
	for _, r := range rows {
		if r.LeftNo != 0 {
			left = append(left, join(r.Left))
			if r.LeftNo != len(left) {
				t.Errorf("left line number %d, want %d", r.LeftNo, len(left))
			}
		}
		if r.RightNo != 0 {
			right = append(right, join(r.Right))
			if r.RightNo != len(right) {
				t.Errorf("right line number %d, want %d", r.RightNo, len(right))
			}
		}
	}
	if strings.Join(left, "\n") != strings.TrimSuffix(a, "\n") || strings.Join(right, "\n") != b {
		t.Errorf("sides do not rebuild the texts:\n%q\n%q", left, right)
	}
	if rows[1].Right[len(rows[1].Right)-1] != (models.DiffSegment{Op: models.OpInsert, Text: " bis"}) {
		t.Errorf("changed line not marked within: %+v", rows[1].Right)
	}
	if len(models.SideBySide("", "")) != 0 {
		t.Error("empty texts gave rows")
	}
}

func join(segs []models.DiffSegment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Text)
	}
	return b.String()
}
