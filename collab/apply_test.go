package collab

import (
	"errors"
	"strings"
	"testing"
)

type applyCase struct {
	name, doc, changes, want string
}

func runApply(t *testing.T, cases []applyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := mustApply(t, tc.doc, tc.changes); got != tc.want {
				t.Errorf("Apply(%q, %s) = %q, want %q", tc.doc, tc.changes, got, tc.want)
			}
		})
	}
}

func TestApply_Insert(t *testing.T) {
	runApply(t, []applyCase{
		{"start", "world", `[[0,"hello "],5]`, "hello world"},
		{"middle", "0123456789", `[2,[0,"ok"],8]`, "01ok23456789"},
		{"end", "hello", `[5,[0,"!"]]`, "hello!"},
		{"multi-line", "ab", `[1,[0,"x","y",""],1]`, "ax\ny\nb"},
		{"newline only", "ab", `[1,[0,"",""],1]`, "a\nb"},
		{"two at one spot", "ab", `[1,[0,"x"],[0,"y"],1]`, "axyb"},
	})
}

func TestApply_Delete(t *testing.T) {
	runApply(t, []applyCase{
		{"start", "hello world", `[[6],5]`, "world"},
		{"middle", "0123456789", `[1,[8],1]`, "09"},
		{"end", "hello world", `[5,[6]]`, "hello"},
		{"everything", "hello", `[[5]]`, ""},
		{"empty string line is a deletion", "hello", `[[5,""]]`, ""},
		{"newline", "a\nb", `[1,[1],1]`, "ab"},
	})
}

func TestApply_Replace(t *testing.T) {
	runApply(t, []applyCase{
		{"word", "say hello world", `[4,[5,"bye"],6]`, "say bye world"},
		{"whole doc", "old", `[[3,"new text"]]`, "new text"},
		{"longer", "abc", `[1,[1,"BBBB"],1]`, "aBBBBc"},
		{"with lines", "abc", `[1,[1,"1","2"],1]`, "a1\n2c"},
	})
}

func TestApply_MultiRange(t *testing.T) {
	runApply(t, []applyCase{
		{"codemirror example", "0123456789", `[1,[0,"hi"],1,[6],2]`, "0hi189"},
		{"insert and delete", "0123456789", `[4,[0,"ok"],2,[2],2]`, "0123ok4589"},
		{"adjacent replacements", "abcd", `[[2,"X"],[2,"Y"]]`, "XY"},
		{"unmerged keeps", "abcd", `[1,1,[1,"C"],0,1]`, "abCd"},
		{"no-op parts", "ab", `[0,[0],1,[0,""],1]`, "ab"},
		{"many", "aaaaaaaaaa", `[1,[1,"b"],1,[1,"b"],1,[1,"b"],1,[1,"b"],1,[1,"b"]]`, "ababababab"},
	})
}

func TestApply_EmptyDocuments(t *testing.T) {
	runApply(t, []applyCase{
		{"nothing to nothing", "", `[]`, ""},
		{"insert into empty", "", `[[0,"first"]]`, "first"},
		{"zero keep", "", `[0]`, ""},
		{"delete all", "x", `[[1]]`, ""},
		{"insert empty line", "", `[[0,""]]`, ""},
	})
}

func TestApply_Arabic(t *testing.T) {
	doc := "مرحبا بالعالم" // 13 BMP letters and a space: 13 units
	if n := NewDoc(doc).Len(); n != 13 {
		t.Fatalf("Len = %d, want 13", n)
	}
	runApply(t, []applyCase{
		{"insert word", doc, `[5,[0," يا"],8]`, "مرحبا يا بالعالم"},
		{"delete word", doc, `[5,[8]]`, "مرحبا"},
		{"replace word", doc, `[6,[7,"صديقي"]]`, "مرحبا صديقي"},
		{"mixed with latin", doc, `[13,[0," (hello)"]]`, "مرحبا بالعالم (hello)"},
	})
}

func TestApply_French(t *testing.T) {
	runApply(t, []applyCase{
		{"accent kept", "événement", `[9,[0," à venir"]]`, "événement à venir"},
		{"replace accented letter", "événement", `[[1,"E"],8]`, "Evénement"},
		{"insert accents", "Ca va", `[[1,"Ç"],4]`, "Ça va"},
		{"decomposed accent is two units", "e\u0301t\u0301e\u0301", `[2,[2],2]`, "e\u0301e\u0301"},
	})
}

func TestApply_Emoji(t *testing.T) {
	// 👍🏽 is two astral code points (thumb + skin tone): 4 units.
	// 🇲🇦 is two regional indicators: 4 units.
	runApply(t, []applyCase{
		{"insert thumbs up", "ok", `[2,[0," 👍🏽"]]`, "ok 👍🏽"},
		{"delete whole cluster", "a👍🏽b", `[1,[4],1]`, "ab"},
		{"delete skin tone only", "a👍🏽b", `[3,[2],1]`, "a👍b"},
		{"after emoji", "👍🏽x", `[4,[1,"y"]]`, "👍🏽y"},
		{"flag", "Maroc 🇲🇦", `[6,[4,"🇫🇷"]]`, "Maroc 🇫🇷"},
		{"between flag halves", "🇲🇦", `[2,[0,"|"],2]`, "🇲|🇦"},
		{"escaped pair", "", `[[0,"\ud83d\udc4d"]]`, "👍"},
	})
}

func TestApply_SplitSurrogateRefused(t *testing.T) {
	cases := []struct{ name, doc, changes string }{
		{"insert inside pair", "👍", `[1,[0,"x"],1]`},
		{"delete low half", "👍", `[1,[1]]`},
		{"delete high half", "👍", `[[1],1]`},
		{"replace ends inside pair", "a👍", `[[2,"b"],1]`},
		{"replace starts inside pair", "👍a", `[1,[2,"b"]]`},
		{"flag second indicator cut", "🇲🇦", `[3,[1]]`},
		{"skin tone cut", "👍🏽", `[[3],1]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := NewDoc(tc.doc)
			cs := mustParse(t, tc.changes)
			if _, err := cs.Apply(doc); !errors.Is(err, ErrSplitSurrogate) {
				t.Errorf("Apply error = %v, want ErrSplitSurrogate", err)
			}
			if doc.String() != tc.doc {
				t.Errorf("doc changed to %q", doc.String())
			}
		})
	}
}

func TestApply_KeepBoundaryInsidePairAllowed(t *testing.T) {
	// Kept runs and no-op runs meeting inside a pair move nothing.
	for _, changes := range []string{`[1,1]`, `[1,[0],1]`, `[1,[0,""],1]`} {
		if got := mustApply(t, "👍", changes); got != "👍" {
			t.Errorf("%s: got %q", changes, got)
		}
	}
}

func TestApply_LengthMismatchRefused(t *testing.T) {
	cases := []struct{ name, doc, changes string }{
		{"too short", "hello", `[4]`},
		{"too long", "hello", `[6]`},
		{"empty changes on text", "hello", `[]`},
		{"changes on empty doc", "", `[1]`},
		{"deletion too long", "abc", `[1,[3]]`},
		{"astral counted as one", "👍", `[[1,"x"]]`},
		{"bytes instead of units", "é", `[2]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := mustParse(t, tc.changes)
			out, err := cs.Apply(NewDoc(tc.doc))
			if !errors.Is(err, ErrLengthMismatch) {
				t.Fatalf("Apply error = %v, want ErrLengthMismatch", err)
			}
			if out.Len() != 0 {
				t.Errorf("Apply returned a document on error: %q", out.String())
			}
		})
	}
}

func TestApply_LoneSurrogateTextRefused(t *testing.T) {
	// Cannot come from JSON (refused by ParseChangeSet) nor from Go
	// strings, but a composed set could hold one; Apply must still refuse.
	cs := ChangeSet{sections: []section{{old: 0, text: []uint16{0xD83D}}}}
	if _, err := cs.Apply(Doc{}); !errors.Is(err, ErrInvalidText) {
		t.Errorf("Apply error = %v, want ErrInvalidText", err)
	}
}

func TestApply_SequenceOnLargeDoc(t *testing.T) {
	// 100 KB document, 500 successive small edits, each applied in
	// O(len(doc)); also checks the result against plain string edits.
	text := strings.Repeat("Le café coûte 3 € 👍🏽. ", 4000)
	doc := NewDoc(text)
	want := text
	for i := range 500 {
		pos := (i * 7919) % (UTF16Len(want) - 8)
		for splitsPair(doc.units, pos) || splitsPair(doc.units, pos+3) {
			pos++
		}
		cs := replaceRange(t, doc, pos, pos+3, "é!")
		next, err := cs.Apply(doc)
		if err != nil {
			t.Fatalf("edit %d: %v", i, err)
		}
		b1, _ := UTF16ToByteOffset(want, pos)
		b2, _ := UTF16ToByteOffset(want, pos+3)
		want = want[:b1] + "é!" + want[b2:]
		doc = next
	}
	if doc.String() != want {
		t.Fatal("document drifted from the expected text")
	}
}

// replaceRange builds the change set replacing [from, to) of doc with text.
func replaceRange(t testing.TB, doc Doc, from, to int, text string) ChangeSet {
	t.Helper()
	var b builder
	b.keep(from)
	b.replace(to-from, encode(text))
	b.keep(doc.Len() - to)
	return b.changeSet()
}
