package collab

// section is one run of a ChangeSet, read along the old document: old
// units are either kept, or replaced by text (a deletion when text is
// empty, a pure insertion when old is 0).
type section struct {
	old  int
	keep bool
	text []uint16
}

// ChangeSet describes one edit of a whole document, as CodeMirror's
// ChangeSet does: a sequence of kept and replaced runs that together
// cover the old document exactly. It can only be applied to a document
// of length [ChangeSet.Length]. A ChangeSet is immutable; the zero value
// is the empty change set for an empty document.
type ChangeSet struct {
	sections []section
}

// Length is the length, in UTF-16 units, of the document the changes
// apply to.
func (cs ChangeSet) Length() int {
	n := 0
	for _, s := range cs.sections {
		n += s.old
	}
	return n
}

// NewLength is the length, in UTF-16 units, of the document the changes
// produce.
func (cs ChangeSet) NewLength() int {
	n := 0
	for _, s := range cs.sections {
		if s.keep {
			n += s.old
		} else {
			n += len(s.text)
		}
	}
	return n
}

// Empty reports whether the changes leave every document unchanged, so
// that callers can skip storing or broadcasting them.
func (cs ChangeSet) Empty() bool {
	for _, s := range cs.sections {
		if !s.keep && (s.old > 0 || len(s.text) > 0) {
			return false
		}
	}
	return true
}

// IterChanges calls fn for every changed range, in document order, with
// the range [fromA, toA) in the old document, the range [fromB, toB) that
// replaces it in the new document, and the inserted text. Adjacent
// changes are reported together, as CodeMirror's iterChanges does; this
// is handy for logging who changed what.
func (cs ChangeSet) IterChanges(fn func(fromA, toA, fromB, toB int, inserted string)) {
	posA, posB := 0, 0
	for i := 0; i < len(cs.sections); {
		if cs.sections[i].keep {
			posA += cs.sections[i].old
			posB += cs.sections[i].old
			i++
			continue
		}
		endA, endB := posA, posB
		var text []uint16
		for ; i < len(cs.sections) && !cs.sections[i].keep; i++ {
			endA += cs.sections[i].old
			endB += len(cs.sections[i].text)
			text = append(text, cs.sections[i].text...)
		}
		if endA > posA || endB > posB {
			fn(posA, endA, posB, endB, decode(text))
		}
		posA, posB = endA, endB
	}
}

// builder assembles a compact ChangeSet: adjacent keeps are joined,
// adjacent replacements are joined, and no-op runs are dropped.
type builder struct {
	sections []section
	// owned is true when the last section's text was allocated by the
	// builder and may be appended to in place; otherwise it may alias a
	// document or another change set, which must never be written to.
	owned bool
}

// keep adds n kept units.
func (b *builder) keep(n int) {
	if n == 0 {
		return
	}
	if last := len(b.sections) - 1; last >= 0 && b.sections[last].keep {
		b.sections[last].old += n
		return
	}
	b.sections = append(b.sections, section{old: n, keep: true})
	b.owned = false
}

// replace adds old replaced units followed by text. text is not modified.
func (b *builder) replace(old int, text []uint16) {
	if old == 0 && len(text) == 0 {
		return
	}
	last := len(b.sections) - 1
	if last < 0 || b.sections[last].keep {
		b.sections = append(b.sections, section{old: old, text: text[:len(text):len(text)]})
		b.owned = false
		return
	}
	s := &b.sections[last]
	s.old += old
	if len(text) == 0 {
		return
	}
	if !b.owned {
		s.text = append(make([]uint16, 0, len(s.text)+len(text)), s.text...)
		b.owned = true
	}
	s.text = append(s.text, text...)
}

// changeSet returns the assembled ChangeSet.
func (b *builder) changeSet() ChangeSet { return ChangeSet{sections: b.sections} }
