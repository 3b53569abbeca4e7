package search

import "testing"

// TestPlainText is the table of the Markdown the indexer strips.
func TestPlainText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"# Titre\n## Sous-titre", "Titre\nSous-titre"},
		{"#hashtag", "#hashtag"},
		{"**gras** et *italique* et `code`", "gras et italique et code"},
		{"__gras__ et _italique_ mais snake_case", "gras et italique mais snake_case"},
		{"~~barré~~ ~20 %", "barré ~20 %"},
		{"[le lien](https://example.ma/x) et ![une image](img.png)", "le lien et une image"},
		{"[référence][1]", "référence"},
		{"[crochets] seuls", "[crochets] seuls"},
		{"> citation\n> > imbriquée", "citation\nimbriquée"},
		{"- un\n* deux\n+ trois\n1. quatre\n12) cinq", "un\ndeux\ntrois\nquatre\ncinq"},
		{"- [ ] à faire\n- [x] fait", "à faire\nfait"},
		{"avant\n\n---\n\naprès", "avant\n\n\n\naprès"},
		{"| a | b |\n|---|:-:|\n| 1 | 2 |", "  a   b  \n\n  1   2  "},
		{"```go\nfmt.Println(\"*x*\")\n```", "\nfmt.Println(\"*x*\")\n"},
		{`\*pas d'emphase\*`, "*pas d'emphase*"},
		{"<script>alert(1)</script>", "<script>alert(1)</script>"},
		{"2 - 1 = 1", "2 - 1 = 1"},
		{"الإدارة **الرقمية**", "الإدارة الرقمية"},
		{"", ""},
	} {
		if got := plainText(tc.in); got != tc.want {
			t.Errorf("plainText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
