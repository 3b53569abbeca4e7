package collab

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchChanges builds, for a 100 KB document, one change set with a
// thousand small scattered edits, as a busy update batch would have.
func benchChanges(b *testing.B) (Doc, ChangeSet, json.RawMessage) {
	doc := NewDoc(strings.Repeat("Le café coûte 3 € 👍🏽. مرحبا ", 3500))
	var bl builder
	step := doc.Len() / 1000
	pos := 0
	for range 1000 {
		n := step - 2
		for splitsPair(doc.units, pos+n) {
			n--
		}
		bl.keep(n)
		bl.replace(2, encode("é!"))
		pos += n + 2
		for splitsPair(doc.units, pos) {
			bl.keep(1)
			pos++
		}
	}
	bl.keep(doc.Len() - pos)
	cs := bl.changeSet()
	raw, err := cs.MarshalJSON()
	if err != nil {
		b.Fatal(err)
	}
	return doc, cs, raw
}

func BenchmarkApply_100KB(b *testing.B) {
	doc, cs, _ := benchChanges(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := cs.Apply(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseChangeSet_1000Edits(b *testing.B) {
	_, _, raw := benchChanges(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := ParseChangeSet(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFromDiff_100KB(b *testing.B) {
	doc, cs, _ := benchChanges(b)
	next, _ := cs.Apply(doc)
	old, new := doc.String(), next.String()
	b.ResetTimer()
	for b.Loop() {
		FromDiff(old, new)
	}
}
