package i18n

import "testing"

// Arabic has six plural forms; French counts 0 and 1 as one; English 0 as
// other.
func TestPluralCategory(t *testing.T) {
	for _, tc := range []struct {
		locale string
		n      int
		want   string
	}{
		{"ar", 0, "zero"}, {"ar", 1, "one"}, {"ar", 2, "two"}, {"ar", 3, "few"},
		{"ar", 10, "few"}, {"ar", 11, "many"}, {"ar", 99, "many"}, {"ar", 100, "other"},
		{"ar", 102, "other"}, {"ar", 103, "few"},
		{"fr", 0, "one"}, {"fr", 1, "one"}, {"fr", 2, "other"},
		{"en", 0, "other"}, {"en", 1, "one"}, {"en", 2, "other"},
	} {
		if got := PluralCategory(tc.locale, tc.n); got != tc.want {
			t.Errorf("PluralCategory(%s, %d) = %s, want %s", tc.locale, tc.n, got, tc.want)
		}
	}
}

func TestCatalogN(t *testing.T) {
	c := &Catalog{messages: map[string]map[string]string{}, plurals: map[string]map[string]map[string]string{}}
	tree := map[string]map[string]any{
		"ar": {"r": map[string]any{"zero": "لا بلاغ", "one": "بلاغ واحد", "two": "بلاغان", "few": "%d بلاغات", "many": "%d بلاغًا", "other": "%d بلاغ"}},
		"fr": {"r": map[string]any{"one": "%d signalement", "other": "%d signalements"}},
		"en": {"r": map[string]any{"one": "%d report", "other": "%d reports"}, "plain": "Report #%d"},
	}
	for loc, tr := range tree {
		c.messages[loc], c.plurals[loc] = map[string]string{}, map[string]map[string]string{}
		flatten("", tr, c.messages[loc], c.plurals[loc])
	}
	for _, tc := range []struct {
		locale string
		n      int
		want   string
	}{
		{"ar", 0, "لا بلاغ"}, {"ar", 1, "بلاغ واحد"}, {"ar", 2, "بلاغان"}, {"ar", 3, "3 بلاغات"},
		{"ar", 11, "11 بلاغًا"}, {"ar", 100, "100 بلاغ"},
		{"fr", 0, "0 signalement"}, {"fr", 1, "1 signalement"}, {"fr", 2, "2 signalements"},
		{"en", 1, "1 report"}, {"en", 5, "5 reports"},
	} {
		if got := c.N(tc.locale, "r", tc.n); got != tc.want {
			t.Errorf("N(%s, %d) = %q, want %q", tc.locale, tc.n, got, tc.want)
		}
	}
	if !c.Has("ar", "r") || c.T("fr", "r") != "%d signalements" {
		t.Error("a plural message is one key whose T is its other form")
	}
	if got := c.N("en", "plain", 7); got != "Report #7" {
		t.Errorf("a plain key formats like T: %q", got)
	}
}
