package collab

import (
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// diffTimeout bounds the diff; past it the change is coarser, never wrong.
const diffTimeout = 200 * time.Millisecond

// FromDiff returns a ChangeSet turning oldText into newText, for edits
// made by the server itself (a save through the REST API or the form while
// others co-edit): it is broadcast to editors like any client update.
//
// It comes from a character diff (with trivial equalities cleaned up), so
// that a save touches only what it changed: comment anchors and other people's
// concurrent edits elsewhere are left alone (a single replace-the-middle
// change would swallow them). The diff works on runes, so no change splits
// a surrogate pair; offsets are in UTF-16 units, as CodeMirror counts.
// When the texts are equal the result keeps the document.
func FromDiff(oldText, newText string) ChangeSet {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = diffTimeout
	var b builder
	for _, d := range dmp.DiffCleanupSemantic(dmp.DiffMain(oldText, newText, false)) {
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			b.keep(UTF16Len(d.Text))
		case diffmatchpatch.DiffDelete:
			b.replace(UTF16Len(d.Text), nil)
		case diffmatchpatch.DiffInsert:
			b.replace(0, encode(d.Text))
		}
	}
	return b.changeSet()
}
