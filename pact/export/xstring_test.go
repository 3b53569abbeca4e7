package export

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func TestXstring(t *testing.T) {
	cases := map[string]string{
		"plain":                "plain",
		"":                     "",
		"a\x01b":               "a_x0001_b",
		"\t\n\r kept":          "\t\n\r kept",
		"_x0041_":              "_x005F_x0041_",
		"_x005F_x0041_":        "_x005F_x005F_x005F_x0041_",
		"_x00zz_ _X0041_ _x41": "_x00zz_ _X0041_ _x41",
		"\uFFFE\uFFFF":         "_xFFFE__xFFFF_",
		"\x1f_x1234_":          "_x001F__x005F_x1234_",
	}
	for in, want := range cases {
		if got := xstringEncode(in); got != want {
			t.Errorf("encode %q = %q, want %q", in, got, want)
		}
		if got := xstringDecode(xstringEncode(in)); got != in {
			t.Errorf("round trip %q = %q", in, got)
		}
	}
}

func FuzzXstring(f *testing.F) {
	for _, s := range []string{"_x0041_", "a\x00b", "__x005F_x0041__", "\x01_x", "é😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		enc := xstringEncode(s)
		for _, r := range enc {
			if !xmlChar(r) {
				t.Fatalf("encoded %q holds %U", s, r)
			}
		}
		if got := xstringDecode(enc); got != s {
			t.Fatalf("round trip %q → %q → %q", s, enc, got)
		}
	})
}

func TestSplitCell(t *testing.T) {
	for _, s := range []string{"", "short", strings.Repeat("a", maxCellUnits), strings.Repeat("a", maxCellUnits+1),
		strings.Repeat("a", maxCellUnits-1) + "😀" + "b", strings.Repeat("😀", 40000), strings.Repeat("ب", 100000)} {
		parts := splitCell(s)
		if strings.Join(parts, "") != s {
			t.Fatalf("pieces of %d bytes do not join back", len(s))
		}
		for i, p := range parts {
			if n := len(utf16.Encode([]rune(p))); n > maxCellUnits || (n == 0 && len(parts) > 1) {
				t.Errorf("piece %d of %d holds %d units", i, len(parts), n)
			}
			if !utf8.ValidString(p) {
				t.Errorf("piece %d cuts a character", i)
			}
		}
	}
	if n := len(splitCell(strings.Repeat("a", 2*maxCellUnits))); n != 2 {
		t.Errorf("%d pieces for two full cells", n)
	}
}
