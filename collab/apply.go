package collab

import "fmt"

// Apply returns the document produced by applying the changes to doc.
// It refuses, leaving doc untouched, changes written for a document of
// another length (ErrLengthMismatch), changes whose boundaries cut a
// surrogate pair of doc in half (ErrSplitSurrogate), and inserted text
// holding a lone surrogate (ErrInvalidText), so the result is always
// well-formed text. It runs in O(doc length + changes size).
func (cs ChangeSet) Apply(doc Doc) (Doc, error) {
	if err := cs.check(doc); err != nil {
		return Doc{}, err
	}
	out := make([]uint16, 0, cs.NewLength())
	pos := 0
	for _, s := range cs.sections {
		if s.keep {
			out = append(out, doc.units[pos:pos+s.old]...)
		} else {
			out = append(out, s.text...)
		}
		pos += s.old
	}
	return Doc{units: out}, nil
}

// check verifies that the changes fit doc: the lengths add up, no change
// starts or ends inside a surrogate pair, and inserted text is valid.
// Boundaries of kept runs and of no-op runs ([0]) move nothing, so they
// are allowed anywhere.
func (cs ChangeSet) check(doc Doc) error {
	if n := cs.Length(); n != doc.Len() {
		return fmt.Errorf("%w: changes cover %d units, document has %d", ErrLengthMismatch, n, doc.Len())
	}
	pos := 0
	for i, s := range cs.sections {
		end := pos + s.old
		if !s.keep && (s.old > 0 || len(s.text) > 0) {
			if splitsPair(doc.units, pos) {
				return fmt.Errorf("%w: change %d starts at %d", ErrSplitSurrogate, i, pos)
			}
			if splitsPair(doc.units, end) {
				return fmt.Errorf("%w: change %d ends at %d", ErrSplitSurrogate, i, end)
			}
			if bad := loneSurrogate(s.text); bad >= 0 {
				return fmt.Errorf("%w: change %d inserts a lone surrogate at %d", ErrInvalidText, i, bad)
			}
		}
		pos = end
	}
	return nil
}
