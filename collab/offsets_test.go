package collab

import "testing"

func TestUTF16Len(t *testing.T) {
	cases := []struct {
		s    string
		want int
	}{
		{"", 0}, {"abc", 3}, {"événement", 9}, {"e\u0301", 2},
		{"مرحبا بالعالم", 13}, {"👍", 2}, {"👍🏽", 4}, {"🇲🇦", 4},
		{"a\xffb", 3}, // invalid byte counts as one U+FFFD
	}
	for _, tc := range cases {
		if got := UTF16Len(tc.s); got != tc.want {
			t.Errorf("UTF16Len(%q) = %d, want %d", tc.s, got, tc.want)
		}
		if got := NewDoc(tc.s).Len(); got != tc.want {
			t.Errorf("NewDoc(%q).Len() = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestUTF16ToByteOffset(t *testing.T) {
	const s = "aé👍🏽م" // bytes: a=0 é=1 👍=3 🏽=7 م=11 end=13; units: 0 1 2 4 6 7
	cases := []struct {
		u, want int
		ok      bool
	}{
		{0, 0, true}, {1, 1, true}, {2, 3, true}, {3, 0, false}, {4, 7, true},
		{5, 0, false}, {6, 11, true}, {7, 13, true}, {8, 0, false}, {-1, 0, false},
	}
	for _, tc := range cases {
		got, ok := UTF16ToByteOffset(s, tc.u)
		if got != tc.want || ok != tc.ok {
			t.Errorf("UTF16ToByteOffset(%d) = %d, %v; want %d, %v", tc.u, got, ok, tc.want, tc.ok)
		}
	}
}

func TestByteToUTF16Offset(t *testing.T) {
	const s = "aé👍🏽م"
	cases := []struct {
		b, want int
		ok      bool
	}{
		{0, 0, true}, {1, 1, true}, {2, 0, false}, {3, 2, true}, {4, 0, false},
		{7, 4, true}, {11, 6, true}, {12, 0, false}, {13, 7, true}, {14, 0, false}, {-1, 0, false},
	}
	for _, tc := range cases {
		got, ok := ByteToUTF16Offset(s, tc.b)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ByteToUTF16Offset(%d) = %d, %v; want %d, %v", tc.b, got, ok, tc.want, tc.ok)
		}
	}
}

func TestOffsets_RoundTrip(t *testing.T) {
	for _, s := range []string{"", "مرحبا بالعالم", "événement", "👍🏽 🇲🇦 ok", "a\xffb"} {
		for u := 0; u <= UTF16Len(s); u++ {
			b, ok := UTF16ToByteOffset(s, u)
			if !ok {
				continue
			}
			if back, ok := ByteToUTF16Offset(s, b); !ok || back != u {
				t.Errorf("%q: unit %d -> byte %d -> unit %d, %v", s, u, b, back, ok)
			}
		}
	}
}
