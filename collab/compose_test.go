package collab

import (
	"errors"
	"testing"
)

// TestCompose_CodeMirror ports CodeMirror's composition tests; the result
// must also apply like the two sets in sequence.
func TestCompose_CodeMirror(t *testing.T) {
	cases := []struct{ name, a, b, want string }{
		{"unrelated changes", "5 0:2", "1 2:0 4", "1 2:0 2 0:2"},
		{"insertion cancelled by deletion", "2 0:2 2", "2 2:0 2", "4"},
		{"adjacent insertions joined", "2 0:2 2", "4 0:3 2", "2 0:5 2"},
		{"adjacent deletions joined", "2 5:0", "1 1:0", "1 6:0"},
		{"delete shadows several operations", "2 2:0 0:3", "5:0", "4:0"},
		{"empty sets", "", "0:8", "0:8"},
		{"replaces joined 1", "2 2:2 2:2 2", "1 2:2 2:2 2:2 1", "1 6:6 1"},
		{"replaces joined 2", "1 2:2 2:2 2:2 1", "2 2:2 2:2 2", "1 6:6 1"},
		{"replaces joined 3", "1 2:3 3:2 1", "2 3:1 2", "1 5:3 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := desc(t, tc.a), desc(t, tc.b)
			got, err := a.Compose(b)
			if err != nil {
				t.Fatal(err)
			}
			if specOf(got) != tc.want {
				t.Errorf("compose = %q, want %q", specOf(got), tc.want)
			}
		})
	}
}

func TestCompose_AppliesLikeSequence(t *testing.T) {
	cases := []struct{ name, doc, a, b, want string }{
		{"clip inserted text", "0123456789", `[2,[0,"abc"],2,[0,"def"],6]`, `[4,[4],8]`, "01abef456789"},
		{"codemirror example", "0123456789", `[8,[0,"ABCD"],2]`, `[8,[3],3]`, "01234567D89"},
		{"several", "0123456789", `[2,[0,"hi"],6,[0,"ok"],2]`, `[4,[0,"!"],2,[2],4,[0,"?"],2]`, "01hi!2367ok?89"},
		{"emoji kept", "👍", `[2,[0,"🇲🇦"]]`, `[[2],4]`, "🇲🇦"},
		{"arabic", "مرحبا", `[5,[0," بالعالم"]]`, `[[5,"أهلا"],8]`, "أهلا بالعالم"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := mustParse(t, tc.a), mustParse(t, tc.b)
			ab, err := a.Compose(b)
			if err != nil {
				t.Fatal(err)
			}
			out, err := ab.Apply(NewDoc(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("composed apply = %q, want %q", out.String(), tc.want)
			}
		})
	}
}

func TestCompose_Refused(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       error
	}{
		{"too short", `[2,[0,"xx"]]`, `[1,[0,"y"]]`, ErrLengthMismatch},
		{"too long", `[2,[0,"xx"]]`, `[30,[0,"y"]]`, ErrLengthMismatch},
		{"shadowed", `[2,[2],[0,"xyz"]]`, `[[7]]`, ErrLengthMismatch},
		{"cuts inserted pair", `[[0,"👍"]]`, `[1,[1]]`, ErrSplitSurrogate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustParse(t, tc.a).Compose(mustParse(t, tc.b))
			if !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
		})
	}
}
