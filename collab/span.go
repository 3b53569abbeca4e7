package collab

// Suggestions (tracked changes) are spans of a document with a
// replacement. Unlike a comment's anchor, which may follow words that are
// partly rewritten, a suggestion must keep pointing at exactly the words
// its author saw, or stop being acceptable: accepting it would otherwise
// replace words nobody proposed to change.

// MapSpan maps the span [from, to) of the old document into the new one,
// for a suggestion. touched is true when the changes reach into the span:
// they delete or replace any of its units, or insert strictly inside it;
// for an empty span (an insertion point), when a change removes the text
// on both sides of it. Text inserted exactly at either edge stays outside
// the span, as with MapRange. When touched is false, the new span covers
// the very same units as the old one, in the same order.
//
// Out-of-range or reversed arguments are clamped and swapped.
func (cs ChangeSet) MapSpan(from, to int) (newFrom, newTo int, touched bool) {
	length := cs.Length()
	from, to = min(max(from, 0), length), min(max(to, 0), length)
	if from > to {
		from, to = to, from
	}
	posA := 0
	for _, s := range cs.sections {
		endA := posA + s.old
		if !s.keep && (s.old > 0 || len(s.text) > 0) {
			switch {
			case from == to:
				if posA < from && endA > from {
					touched = true
				}
			case s.old == 0: // a pure insertion at posA
				if posA > from && posA < to {
					touched = true
				}
			case posA < to && endA > from:
				touched = true
			}
		}
		if touched || posA > to {
			break
		}
		posA = endA
	}
	if from == to {
		p := cs.MapPos(from, -1)
		return p, p, touched
	}
	return cs.MapPos(from, 1), cs.MapPos(to, -1), touched
}

// Replace is the change set that replaces [from, to) of a document of
// length units with text: a suggestion's change when it is accepted.
// ok is false when the span does not fit the document.
func Replace(length, from, to int, text string) (cs ChangeSet, ok bool) {
	if from < 0 || to < from || to > length {
		return ChangeSet{}, false
	}
	var b builder
	b.keep(from)
	b.replace(to-from, encode(text))
	b.keep(length - to)
	return b.changeSet(), true
}

// SpanFits reports whether [from, to) lies within d and cuts no surrogate
// pair in half.
func (d Doc) SpanFits(from, to int) bool {
	_, ok := d.Slice(from, to)
	return ok
}
