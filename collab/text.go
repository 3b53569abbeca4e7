package collab

import "strings"

// Doc is a document held as UTF-16 code units, the unit CodeMirror uses
// for lengths and positions, so that changes from the browser can be
// applied without converting offsets. A Doc is immutable; the zero value
// is the empty document.
type Doc struct {
	units []uint16
}

// NewDoc makes a Doc from a Go string. Invalid UTF-8 bytes become U+FFFD
// (one unit each), so a Doc is always well-formed UTF-16.
func NewDoc(s string) Doc { return Doc{units: encode(s)} }

// String returns the document text as a Go (UTF-8) string.
func (d Doc) String() string { return decode(d.units) }

// Len is the document length in UTF-16 units, which is what CodeMirror's
// doc.length reports and what a ChangeSet must cover.
func (d Doc) Len() int { return len(d.units) }

// Slice returns the text between UTF-16 offsets from and to, for example
// the words a comment anchor covers. ok is false when the range is out of
// bounds, reversed, or cuts a surrogate pair in half.
func (d Doc) Slice(from, to int) (text string, ok bool) {
	if from < 0 || to < from || to > len(d.units) ||
		splitsPair(d.units, from) || splitsPair(d.units, to) {
		return "", false
	}
	return decode(d.units[from:to]), true
}

// NormalizeLineBreaks replaces "\r\n" and lone "\r" with "\n".
// CodeMirror splits lines on all three and counts each break as one
// unit, so text stored with other breaks would have a different length
// on the server than in the browser.
func NormalizeLineBreaks(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
