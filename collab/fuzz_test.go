package collab

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzApply builds a random valid ChangeSet for a random document from
// the fuzz input and checks that it applies to valid text of the length it
// announces, that its JSON form agrees with Apply, and that mapping stays
// consistent. The same bytes are also fed
// to ParseChangeSet as arbitrary JSON, which must never panic.
func FuzzApply(f *testing.F) {
	f.Add("hello world", []byte{0, 3, 2, 5, 1, 2, 3, 1})
	f.Add("مرحبا بالعالم", []byte{2, 4, 7, 1, 3, 3, 9})
	f.Add("événement", []byte{1, 1, 2, 2, 3, 3})
	f.Add("👍🏽 🇲🇦\nok", []byte{0, 1, 1, 1, 2, 3, 4, 5, 6, 7})
	f.Add("", []byte{3, 5, 3, 6})
	f.Add("0123456789", []byte(`[5,[0,"hi"],3,[2]]`))
	f.Add("👍", []byte(`[1,[0,"x"],1]`))
	f.Add("abc", []byte(`[[0,"\ud83d"],3]`))
	f.Fuzz(func(t *testing.T, text string, plan []byte) {
		if len(text) > 256 || len(plan) > 1024 {
			return // mapping checks are quadratic; long inputs add nothing
		}
		doc := NewDoc(text)
		half := len(plan) / 2
		cs := randomChangeSet(doc, plan[:half])
		checkChangeSet(t, doc, cs)
		if next, err := cs.Apply(doc); err == nil {
			// A second random edit, on the result.
			checkChangeSet(t, next, randomChangeSet(next, plan[half:]))
		} else {
			t.Fatalf("random valid changes %s refused: %v", marshal(t, cs), err)
		}

		// Arbitrary bytes as JSON: no panic; if accepted and applicable,
		// all the invariants hold as well.
		parsed, err := ParseChangeSet(plan)
		if err != nil {
			return
		}
		if raw := marshal(t, parsed); !bytes.Equal(marshal(t, mustParse(t, string(raw))), raw) {
			t.Fatalf("JSON not stable for %q", plan)
		}
		parsed.MapPos(len(plan), 1)
		parsed.MapRange(0, len(plan))
		if _, err := parsed.Apply(doc); err == nil {
			checkChangeSet(t, doc, parsed)
		}
	})
}

// checkChangeSet verifies the invariants of cs, which must apply to doc.
func checkChangeSet(t *testing.T, doc Doc, cs ChangeSet) {
	t.Helper()
	next, err := cs.Apply(doc)
	if err != nil {
		t.Fatalf("Apply(%s): %v", marshal(t, cs), err)
	}
	if next.Len() != cs.NewLength() {
		t.Fatalf("new length %d, NewLength says %d", next.Len(), cs.NewLength())
	}
	if loneSurrogate(next.units) >= 0 {
		t.Fatalf("Apply produced invalid UTF-16")
	}

	// JSON round trip: same effect, canonical output is stable.
	raw := marshal(t, cs)
	again, err := ParseChangeSet(raw)
	if err != nil {
		t.Fatalf("ParseChangeSet(MarshalJSON) = %v for %s", err, raw)
	}
	if !bytes.Equal(marshal(t, again), raw) {
		t.Fatalf("JSON not stable: %s vs %s", marshal(t, again), raw)
	}
	if out, err := again.Apply(doc); err != nil || out.String() != next.String() {
		t.Fatalf("reparsed changes apply to %q, %v; want %q", out.String(), err, next.String())
	}

	checkMapping(t, doc, next, cs)
}

// checkMapping verifies that kept text is mapped onto itself, that
// mapping is monotonic and in range, and that MapRange is well-formed.
func checkMapping(t *testing.T, doc, next Doc, cs ChangeSet) {
	t.Helper()
	kept := make([]bool, doc.Len())
	pos := 0
	for _, s := range cs.sections {
		if s.keep {
			for i := pos; i < pos+s.old; i++ {
				kept[i] = true
			}
		}
		pos += s.old
	}
	prevBefore, prevAfter := 0, 0
	for p := 0; p <= doc.Len(); p++ {
		before, after := cs.MapPos(p, -1), cs.MapPos(p, 1)
		if before < prevBefore || after < prevAfter || after < before || after > next.Len() {
			t.Fatalf("MapPos(%d) = %d/%d after %d/%d, new length %d",
				p, before, after, prevBefore, prevAfter, next.Len())
		}
		prevBefore, prevAfter = before, after
		// A kept unit is found right after its position mapped forward,
		// and the position after it, mapped backward, follows it.
		if p < doc.Len() && kept[p] {
			if next.units[after] != doc.units[p] || cs.MapPos(p+1, -1) != after+1 {
				t.Fatalf("kept unit %d mapped to %d", p, after)
			}
		}
		for q := p; q <= doc.Len() && q <= p+6; q++ {
			f, e, del := cs.MapRange(p, q)
			if f > e || e > next.Len() {
				t.Fatalf("MapRange(%d, %d) = %d, %d", p, q, f, e)
			}
			anyKept := false
			for i := p; i < q; i++ {
				anyKept = anyKept || kept[i]
			}
			if p < q && del == anyKept {
				t.Fatalf("MapRange(%d, %d) deleted=%v but kept=%v", p, q, del, anyKept)
			}
		}
	}
}

// fuzzTexts are the pieces random insertions are made of.
var fuzzTexts = []string{"a", "é", "م", "👍", "🏽", "\n", "🇲", "z z", "", "événement"}

// randomChangeSet builds a valid change set for doc driven by plan. It
// may produce no-op runs and adjacent runs of the same kind, which
// CodeMirror can send too, but never cuts a surrogate pair.
func randomChangeSet(doc Doc, plan []byte) ChangeSet {
	next := func() int {
		if len(plan) == 0 {
			return 0
		}
		b := plan[0]
		plan = plan[1:]
		return int(b)
	}
	var secs []section
	pos := 0
	for pos < doc.Len() || len(plan) > 0 {
		op := next() % 5
		n := min(next()%8, doc.Len()-pos)
		if splitsPair(doc.units, pos+n) {
			n++
		}
		if len(plan) == 0 {
			op, n = 0, doc.Len()-pos // keep the rest
		}
		switch op {
		case 0:
			secs = append(secs, section{old: n, keep: true})
		case 1:
			secs = append(secs, section{old: n})
		case 2:
			secs = append(secs, section{old: n, text: encode(fuzzTexts[next()%len(fuzzTexts)])})
		case 3:
			secs = append(secs, section{text: encode(fuzzTexts[next()%len(fuzzTexts)])})
			n = 0
		case 4:
			secs = append(secs, section{}) // [0], a no-op CodeMirror accepts
			n = 0
		}
		pos += n
	}
	return ChangeSet{sections: secs}
}

func marshal(t *testing.T, cs ChangeSet) json.RawMessage {
	t.Helper()
	raw, err := cs.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	return raw
}
