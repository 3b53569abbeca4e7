package models

import (
	"math/rand/v2"
	"strings"
	"testing"

	"pacte/collab"
)

// TestServerChange: the ChangeSet built for an API save turns the old text
// into the new one, whatever the alphabet, and parses like a browser's.
func TestServerChange(t *testing.T) {
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
			if !utf8Valid(next) {
				continue
			}
		}
		raw := serverChange(old, next)
		cs, err := collab.ParseChangeSet(raw)
		if err != nil {
			t.Fatalf("%q → %q: %s does not parse: %v", old, next, raw, err)
		}
		doc, err := cs.Apply(collab.NewDoc(old))
		if err != nil || doc.String() != next {
			t.Fatalf("%q → %q: %s gives %q, %v", old, next, raw, doc.String(), err)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
