package collab

// MapPos maps a UTF-16 position in the old document to the matching
// position in the new one, exactly like CodeMirror's ChangeDesc.mapPos
// in its default (simple) mode, so positions the server moves agree with
// the ones browsers move.
//
// assoc chooses a side when text is inserted at pos, or when pos lies
// inside a replaced range: negative keeps the position before the new
// text (attached to the character before it); zero or positive moves it
// after (attached to the character after it), as CodeMirror's code does.
// pos is clamped to [0, Length()] rather than panicking.
func (cs ChangeSet) MapPos(pos, assoc int) int {
	pos = max(pos, 0)
	posA, posB := 0, 0
	for _, s := range cs.sections {
		endA := posA + s.old
		if s.keep {
			if endA > pos {
				return posB + pos - posA
			}
			posB += s.old
		} else {
			ins := len(s.text)
			if endA > pos || endA == pos && assoc < 0 && s.old == 0 {
				if pos == posA || assoc < 0 {
					return posB
				}
				return posB + ins
			}
			posB += ins
		}
		posA = endA
	}
	return posB
}

// MapRange maps the span [from, to) of the old document, such as the
// words a comment is anchored to, into the new document.
//
// The start sticks to the text after it and the end to the text before
// it, so text typed just outside the span stays outside. deleted is true
// when none of the span's text survives: every unit of [from, to) was
// deleted or replaced (for an empty span: a deletion crossed the
// position). The comment should then be shown as detached; newFrom and
// newTo are both set to where the span used to start.
//
// Out-of-range or reversed arguments are clamped and swapped rather than
// refused, so stale anchors never cause a panic.
func (cs ChangeSet) MapRange(from, to int) (newFrom, newTo int, deleted bool) {
	length := cs.Length()
	from, to = min(max(from, 0), length), min(max(to, 0), length)
	if from > to {
		from, to = to, from
	}
	if cs.spanDeleted(from, to) {
		p := cs.MapPos(from, -1)
		return p, p, true
	}
	if from == to {
		p := cs.MapPos(from, -1)
		return p, p, false
	}
	return cs.MapPos(from, 1), cs.MapPos(to, -1), false
}

// spanDeleted reports whether no unit of [from, to) is kept, or, for an
// empty span, whether a change strictly surrounds the position.
func (cs ChangeSet) spanDeleted(from, to int) bool {
	posA := 0
	for _, s := range cs.sections {
		endA := posA + s.old
		if from == to {
			if !s.keep && posA < from && endA > from {
				return true
			}
		} else if s.keep && s.old > 0 && posA < to && endA > from {
			return false
		}
		if posA >= to {
			break
		}
		posA = endA
	}
	return from < to
}
