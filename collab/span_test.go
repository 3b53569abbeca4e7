package collab

import (
	"math/rand/v2"
	"testing"
)

func TestMapSpan_Cases(t *testing.T) {
	doc := "le cloud souverain"
	// "cloud" is [3, 8).
	for _, tc := range []struct {
		name          string
		from, to      int
		insert        string
		wantFrom      int
		wantTo        int
		wantTouched   bool
		spanFrom, end int
	}{
		{name: "before", from: 0, to: 2, insert: "un", wantFrom: 3, wantTo: 8},
		{name: "after", from: 9, to: 18, insert: "national", wantFrom: 3, wantTo: 8},
		{name: "typed at the start", from: 3, to: 3, insert: "xx", wantFrom: 5, wantTo: 10},
		{name: "typed at the end", from: 8, to: 8, insert: "s", wantFrom: 3, wantTo: 8},
		{name: "typed inside", from: 5, to: 5, insert: "o", wantTouched: true},
		{name: "one letter deleted", from: 4, to: 5, insert: "", wantTouched: true},
		{name: "replaced across the start", from: 1, to: 4, insert: "a", wantTouched: true},
		{name: "replaced across the end", from: 7, to: 10, insert: "", wantTouched: true},
		{name: "all replaced", from: 3, to: 8, insert: "nuage", wantTouched: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, ok := Replace(UTF16Len(doc), tc.from, tc.to, tc.insert)
			if !ok {
				t.Fatal("Replace refused the change")
			}
			f, to, touched := cs.MapSpan(3, 8)
			if touched != tc.wantTouched {
				t.Fatalf("touched %v, want %v", touched, tc.wantTouched)
			}
			if !touched && (f != tc.wantFrom || to != tc.wantTo) {
				t.Fatalf("mapped to [%d, %d), want [%d, %d)", f, to, tc.wantFrom, tc.wantTo)
			}
		})
	}
	// An insertion point: touched only when a change surrounds it.
	for _, tc := range []struct {
		from, to int
		touched  bool
	}{{2, 4, true}, {3, 5, false}, {0, 3, false}, {3, 3, false}} {
		cs, _ := Replace(UTF16Len(doc), tc.from, tc.to, "z")
		if _, _, touched := cs.MapSpan(3, 3); touched != tc.touched {
			t.Errorf("insertion point 3, change [%d, %d): touched %v, want %v", tc.from, tc.to, touched, tc.touched)
		}
	}
}

func TestReplace(t *testing.T) {
	doc := NewDoc("é😀a")
	for _, tc := range []struct {
		from, to int
		text     string
		want     string
		ok       bool
	}{
		{0, 1, "e", "e😀a", true},
		{1, 3, "", "éa", true},
		{4, 4, "!", "é😀a!", true},
		{3, 5, "", "", false},
		{-1, 0, "", "", false},
	} {
		cs, ok := Replace(doc.Len(), tc.from, tc.to, tc.text)
		if ok != tc.ok {
			t.Fatalf("Replace(%d, %d): ok %v", tc.from, tc.to, ok)
		}
		if !ok {
			continue
		}
		got, err := cs.Apply(doc)
		if err != nil || got.String() != tc.want {
			t.Fatalf("Replace(%d, %d, %q) gives %q (%v), want %q", tc.from, tc.to, tc.text, got.String(), err, tc.want)
		}
	}
	if doc.SpanFits(1, 2) || !doc.SpanFits(1, 3) || doc.SpanFits(0, 5) {
		t.Fatal("SpanFits: a span cutting the emoji, or past the end, fits")
	}
}

// TestMapSpan_Property: through random change sets (several in a row, as a
// burst of co-edits), a span either is touched or covers exactly the same
// text afterwards; it never points into other words.
func TestMapSpan_Property(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	alphabet := []rune("abc de\nالعربية😀é")
	randText := func(n int) string {
		out := make([]rune, n)
		for i := range out {
			out[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(out)
	}
	checked, kept := 0, 0
	for iter := 0; iter < 20000; iter++ {
		doc := NewDoc(randText(1 + r.IntN(30)))
		from, to := randBoundary(r, doc), randBoundary(r, doc)
		if from > to {
			from, to = to, from
		}
		quote, ok := doc.Slice(from, to)
		if !ok {
			t.Fatalf("boundaries cut a pair: %d, %d", from, to)
		}
		touchedAny := false
		for step := 0; step < 1+r.IntN(3); step++ {
			cs := randChangeSet(r, doc)
			next, err := cs.Apply(doc)
			if err != nil {
				t.Fatal(err)
			}
			nf, nt, touched := cs.MapSpan(from, to)
			doc = next
			if touched {
				touchedAny = true
				break
			}
			from, to = nf, nt
		}
		checked++
		if touchedAny {
			continue
		}
		kept++
		got, ok := doc.Slice(from, to)
		if !ok || got != quote {
			t.Fatalf("iteration %d: untouched span [%d, %d) reads %q (ok %v), want %q", iter, from, to, got, ok, quote)
		}
	}
	if kept < checked/10 || kept == checked {
		t.Fatalf("the random changes should sometimes touch spans and sometimes not: %d of %d kept", kept, checked)
	}
}

// randBoundary is a position of doc that does not cut a surrogate pair.
func randBoundary(r *rand.Rand, doc Doc) int {
	for {
		p := r.IntN(doc.Len() + 1)
		if !splitsPair(doc.units, p) {
			return p
		}
	}
}

// randChangeSet makes one to three non-overlapping replacements of doc.
func randChangeSet(r *rand.Rand, doc Doc) ChangeSet {
	var cuts []int
	for i := 0; i < 2*(1+r.IntN(3)); i++ {
		cuts = append(cuts, randBoundary(r, doc))
	}
	for i := range cuts { // sort, small
		for j := i + 1; j < len(cuts); j++ {
			if cuts[j] < cuts[i] {
				cuts[i], cuts[j] = cuts[j], cuts[i]
			}
		}
	}
	var b builder
	pos := 0
	for i := 0; i+1 < len(cuts); i += 2 {
		b.keep(cuts[i] - pos)
		ins := ""
		if r.IntN(3) > 0 {
			ins = string([]rune("xy😀ع")[r.IntN(4)])
		}
		b.replace(cuts[i+1]-cuts[i], encode(ins))
		pos = cuts[i+1]
	}
	b.keep(doc.Len() - pos)
	return b.changeSet()
}
