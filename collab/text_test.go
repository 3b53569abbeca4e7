package collab

import "testing"

func TestDoc_StringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "hello", "a\nb", "مرحبا بالعالم", "événement", "👍🏽🇲🇦", "\u0000\uffff\U0010ffff"} {
		if got := NewDoc(s).String(); got != s {
			t.Errorf("NewDoc(%q).String() = %q", s, got)
		}
	}
	if got := NewDoc("a\xffb").String(); got != "a\uFFFDb" {
		t.Errorf("invalid UTF-8 = %q, want replacement character", got)
	}
	var zero Doc
	if zero.Len() != 0 || zero.String() != "" {
		t.Error("zero Doc is not empty")
	}
}

func TestDoc_Slice(t *testing.T) {
	doc := NewDoc("Le 👍🏽 café")
	cases := []struct {
		from, to int
		want     string
		ok       bool
	}{
		{0, 2, "Le", true},
		{3, 7, "👍🏽", true},
		{3, 5, "👍", true},
		{8, 12, "café", true},
		{0, 0, "", true},
		{4, 7, "", false},  // starts inside a pair
		{3, 4, "", false},  // ends inside a pair
		{5, 3, "", false},  // reversed
		{-1, 2, "", false}, // out of range
		{8, 13, "", false}, // out of range
	}
	for _, tc := range cases {
		got, ok := doc.Slice(tc.from, tc.to)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Slice(%d, %d) = %q, %v; want %q, %v", tc.from, tc.to, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNormalizeLineBreaks(t *testing.T) {
	cases := []struct{ in, want string }{
		{"a\nb", "a\nb"}, {"a\r\nb", "a\nb"}, {"a\rb", "a\nb"}, {"a\r\r\nb\r", "a\n\nb\n"}, {"", ""},
	}
	for _, tc := range cases {
		if got := NormalizeLineBreaks(tc.in); got != tc.want {
			t.Errorf("NormalizeLineBreaks(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
