package search

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestParseText is the table of the query syntax: words, phrases,
// exclusions, and how malformed input degrades.
func TestParseText(t *testing.T) {
	w := func(s string) clause { return clause{text: s} }
	ph := func(s string) clause { return clause{text: s, phrase: true} }
	not := func(c clause) clause { c.exclude = true; return c }
	for _, tc := range []struct {
		in   string
		want []clause
		open bool
	}{
		{"", nil, false},
		{"   ", nil, false},
		{"état numérique", []clause{w("état"), w("numérique")}, true},
		{"état numérique ", []clause{w("état"), w("numérique")}, false},
		{`"services publics" cloud`, []clause{ph("services publics"), w("cloud")}, true},
		{`cloud "services publics"`, []clause{w("cloud"), ph("services publics")}, false},
		{`« services publics »`, []clause{ph("services publics")}, false},
		{`“services” „publics“`, []clause{ph("services"), ph("publics")}, false},
		{`cloud -startups`, []clause{w("cloud"), not(w("startups"))}, false},
		{`cloud -"sovereign cloud"`, []clause{w("cloud"), not(ph("sovereign cloud"))}, false},
		{`e-gouvernement`, []clause{w("e-gouvernement")}, true},
		{`--startups`, []clause{not(w("startups"))}, false},
		{`- cloud -`, []clause{w("cloud")}, false},
		{`-`, nil, false},
		{`"unbalanced phrase`, []clause{w("unbalanced"), w("phrase")}, true},
		{`a "b c`, []clause{w("a"), w("b"), w("c")}, true},
		{`"a" "b`, []clause{ph("a"), w("b")}, true},
		{`""`, nil, false},
		{`a "`, []clause{w("a")}, false},
		{`"   "`, nil, false},
		{`x"y"z`, []clause{w("x"), ph("y"), w("z")}, true},
		{`' OR 1=1 --`, []clause{w("'"), w("OR"), w("1=1")}, false},
		{`.*`, []clause{w(".*")}, true},
		{"\u202Eetat\u202C", []clause{w("etat")}, true},
		{"\u2066cloud\u2069 \u200Fsouverain\u200E", []clause{w("cloud"), w("souverain")}, true},
		{"a\tb\nc\u00a0d", []clause{w("a"), w("b"), w("c"), w("d")}, true},
		{"\x00a\x7f", []clause{w("a")}, false},
		{"\xffétat", []clause{w("état")}, true},
		{"zero\u200bwidth", []clause{w("zerowidth")}, true},
		{"الإدارة -الرقمية", []clause{w("الإدارة"), not(w("الرقمية"))}, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p := parseText(tc.in)
			if fmt.Sprint(p.clauses) != fmt.Sprint(tc.want) || p.open != tc.open {
				t.Fatalf("parseText(%q) = %+v open=%v, want %+v open=%v", tc.in, p.clauses, p.open, tc.want, tc.open)
			}
		})
	}
}

// FuzzParseText checks that the parser is total: any input parses, and
// the clauses it gives hold no quote, no bidi control, no empty text.
func FuzzParseText(f *testing.F) {
	for _, s := range []string{"", `"a b" -c d`, `"`, `-`, "\u202E", `' OR 1=1 --`, "\xff", "« x »"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range parseText(s).clauses {
			if c.text == "" || strings.ContainsAny(c.text, "\"\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069") || !utf8.ValidString(c.text) {
				t.Fatalf("parseText(%q): clause %+v", s, c)
			}
		}
	})
}
