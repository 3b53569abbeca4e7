package collab

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFromDiff(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{"same", "hello", "hello", `[5]`},
		{"both empty", "", "", `[]`},
		{"from empty", "", "new text", `[[0,"new text"]]`},
		{"to empty", "old", "", `[[3]]`},
		{"insert middle", "hello world", "hello big world", `[6,[0,"big "],5]`},
		{"delete middle", "hello big world", "hello world", `[6,[4],5]`},
		{"replace word", "say hello world", "say bye world", `[4,[5,"bye"],6]`},
		{"repeated letters", "aaa", "aaaa", `[3,[0,"a"]]`},
		{"new lines", "a\nb", "a\nx\ny\nb", `[2,[0,"x","y",""],1]`},
		{"arabic", "مرحبا بالعالم", "مرحبا يا عالم", `[6,[3,"يا "],4]`},
		{"french", "evenement", "événement", `[[3,"évé"],6]`},
		{"emoji added", "ok", "ok 👍🏽", `[2,[0," 👍🏽"]]`},
		// 👍 and 👎 share their high surrogate: the whole pair is replaced.
		{"same high surrogate", "👍", "👎", `[[2,"👎"]]`},
		// Skin tones 🏻 and 🏽 share their high surrogate too.
		{"skin tone", "👍🏻", "👍🏽", `[2,[2,"🏽"]]`},
		// U+10000 and U+10400 share their low surrogate.
		{"same low surrogate", "a𐀀", "b𐐀", `[[3,"b𐐀"]]`},
		{"flag", "🇲🇦", "🇫🇷", `[[4,"🇫🇷"]]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := FromDiff(tc.old, tc.new)
			got, _ := cs.MarshalJSON()
			if string(got) != tc.want {
				t.Errorf("FromDiff = %s, want %s", got, tc.want)
			}
			out, err := cs.Apply(NewDoc(tc.old))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if out.String() != tc.new {
				t.Errorf("Apply(FromDiff) = %q, want %q", out.String(), tc.new)
			}
			if cs.Empty() != (tc.old == tc.new) {
				t.Errorf("Empty() = %v for %q -> %q", cs.Empty(), tc.old, tc.new)
			}
		})
	}
}

func TestFromDiff_AllSplitsOfEmojiText(t *testing.T) {
	// Every pair of prefixes of an emoji-rich text diffs and applies.
	texts := []string{"", "a", "👍", "👍🏽", "a👍🏽b", "🇲🇦🇫🇷", "é👍é", "😀😁"}
	for _, a := range texts {
		for _, b := range texts {
			out, err := FromDiff(a, b).Apply(NewDoc(a))
			if err != nil || out.String() != b {
				t.Errorf("FromDiff(%q, %q) applied = %q, %v", a, b, out.String(), err)
			}
		}
	}
}

// TestFromDiff_RandomTexts: the change built for a server save turns the
// old text into the new one, whatever the alphabet, and its JSON parses
// like a browser's.
func TestFromDiff_RandomTexts(t *testing.T) {
	alphabet := []string{"a", "b", " ", "\n", "é", "م", "ر", "😀", "👍🏽", "🇲🇦", "ⵣ", "\n\n"}
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() string {
		var b strings.Builder
		for n := r.IntN(40); n > 0; n-- {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := 0; i < 2000; i++ {
		old, next := gen(), gen()
		if i%3 == 0 { // related texts, as real saves are
			next = old[:len(old)/2] + gen() + old[len(old)/2:]
			if !utf8.ValidString(next) {
				continue
			}
		}
		raw, err := FromDiff(old, next).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		cs, err := ParseChangeSet(raw)
		if err != nil {
			t.Fatalf("%q → %q: %s does not parse: %v", old, next, raw, err)
		}
		doc, err := cs.Apply(NewDoc(old))
		if err != nil || doc.String() != next {
			t.Fatalf("%q → %q: %s gives %q, %v", old, next, raw, doc.String(), err)
		}
	}
}

// TestFromDiff_LeavesOtherWordsAlone: a save that changes two distant
// words changes just those, so anchors and edits in between survive.
func TestFromDiff_LeavesOtherWordsAlone(t *testing.T) {
	old := "Les PME marocaines exportent. Le cloud souverain avance. Les jeunes codent."
	next := "Les TPE marocaines exportent. Le cloud souverain avance. Les jeunes apprennent."
	got, _ := FromDiff(old, next).MarshalJSON()
	want := `[4,[0,"T"],1,[1],62,[3,"apprenn"],4]` // the middle sentence is kept whole
	if string(got) != want {
		t.Errorf("FromDiff = %s, want %s", got, want)
	}
}
