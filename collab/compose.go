package collab

import "fmt"

// Compose returns a single change set with the effect of applying cs and
// then next, which must start from the document cs produces. It lets the
// server squash a run of updates, for example to map comment anchors
// across many versions at once. The result is compact: adjacent kept runs
// and adjacent replacements are joined.
//
// Compose fails with ErrLengthMismatch when next does not fit, and with
// ErrSplitSurrogate when next cuts in half a surrogate pair that cs
// inserted. (Pairs of the original document are checked by Apply.)
func (cs ChangeSet) Compose(next ChangeSet) (ChangeSet, error) {
	if cs.NewLength() != next.Length() {
		return ChangeSet{}, fmt.Errorf("%w: first changes produce %d units, next changes cover %d",
			ErrLengthMismatch, cs.NewLength(), next.Length())
	}
	var b builder
	a, c := cursor{secs: cs.sections}, cursor{secs: next.sections}
	for {
		// A change in cs removes its old units before anything of next
		// can touch them.
		if s, ok := a.current(); ok && !s.keep && !a.started {
			b.replace(s.old, nil)
			a.started = true
		}
		// A change in next inserts its text where it starts.
		if s, ok := c.current(); ok && !s.keep && !c.started {
			b.replace(0, s.text)
			c.started = true
		}
		// Skip what is exhausted: the rest of a section of cs that
		// produces nothing more, or a section of next that reads nothing.
		if a.remainingOut() == 0 && !a.done() {
			a.advance()
			continue
		}
		if c.remainingIn() == 0 && !c.done() {
			c.advance()
			continue
		}
		if a.done() || c.done() {
			break
		}
		sa, _ := a.current()
		sc, _ := c.current()
		n := min(a.remainingOut(), c.remainingIn())
		switch {
		case sa.keep && sc.keep:
			b.keep(n)
		case sa.keep: // next replaces original units
			b.replace(n, nil)
		case sc.keep: // next keeps text that cs inserted
			b.replace(0, sa.text[a.off:a.off+n])
		default: // next deletes text that cs inserted: nothing left
		}
		a.off += n
		c.off += n
	}
	// Lengths matched, so both sides run out together.
	out := b.changeSet()
	for i, s := range out.sections {
		if bad := loneSurrogate(s.text); bad >= 0 {
			return ChangeSet{}, fmt.Errorf("%w: next changes cut inserted text (change %d, unit %d)",
				ErrSplitSurrogate, i, bad)
		}
	}
	return out, nil
}

// cursor walks the sections of a change set during Compose. off counts
// units already consumed in the current section: output units when
// walking the first set, input units when walking the second. started
// records that the current section's own effect has been emitted.
type cursor struct {
	secs    []section
	i, off  int
	started bool
}

func (c *cursor) done() bool { return c.i >= len(c.secs) }

func (c *cursor) current() (section, bool) {
	if c.done() {
		return section{}, false
	}
	return c.secs[c.i], true
}

func (c *cursor) advance() { c.i, c.off, c.started = c.i+1, 0, false }

// remainingOut is what the current section still produces.
func (c *cursor) remainingOut() int {
	s, ok := c.current()
	switch {
	case !ok:
		return 0
	case s.keep:
		return s.old - c.off
	default:
		return len(s.text) - c.off
	}
}

// remainingIn is what the current section still reads.
func (c *cursor) remainingIn() int {
	s, ok := c.current()
	if !ok {
		return 0
	}
	return s.old - c.off
}
