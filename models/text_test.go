package models

import "testing"

func TestIsBlank(t *testing.T) {
	blank := []string{"", " ", "\t\n", "\u200b", "\u200b\u200c\u200d\u2060\ufeff", "\u00ad", "\u202e", "\u2066\u2069",
		"\u3164", "\uffa0", "\u115f\u1160", "\u2800", "\u00a0\u3000", "\ufe0f", "\U000E0041", "\u0301\u0301", "\u034f", "\u180e"}
	for _, s := range blank {
		if !IsBlank(s) {
			t.Errorf("IsBlank(%q) = false", s)
		}
	}
	visible := []string{"a", " x ", "أمينة", "\u200bA", "数", "😀", "\u202eabc", "-", "é", "e\u0301"}
	for _, s := range visible {
		if IsBlank(s) {
			t.Errorf("IsBlank(%q) = true", s)
		}
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"  Amina Benali ":               "Amina Benali",
		"\u202eAmina\u202c":             "Amina",
		"Mod\u202erotaredom":            "Modrotaredom",
		"\u2067أمينة\u2069 \u200fبنعلي": "أمينة بنعلي",
		"\u200bAmina\u200b":             "Amina",
		"Zoë":                           "Zoë",
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
