package collab

// FromDiff returns a ChangeSet turning oldText into newText, for edits
// made by the server itself (for example a save through the REST API
// while others co-edit): it is broadcast to editors like any client
// update.
//
// It trims the common prefix and suffix and replaces what is left in one
// run, which is enough for whole-text saves and keeps the change small
// for typical edits. Offsets are in UTF-16 units and the replaced range
// never starts or ends inside a surrogate pair, so the change is accepted
// by Apply on NewDoc(oldText) and by CodeMirror. When the texts are equal
// the result is empty (it just keeps the document).
func FromDiff(oldText, newText string) ChangeSet {
	a, b := encode(oldText), encode(newText)
	prefix := 0
	for prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	if prefix > 0 && isHigh(a[prefix-1]) {
		prefix-- // the two texts differ in the low half: replace the pair
	}
	suffix := 0
	for suffix < len(a)-prefix && suffix < len(b)-prefix &&
		a[len(a)-1-suffix] == b[len(b)-1-suffix] {
		suffix++
	}
	if suffix > 0 && isLow(a[len(a)-suffix]) {
		suffix-- // the two texts differ in the high half: replace the pair
	}
	var bld builder
	bld.keep(prefix)
	bld.replace(len(a)-prefix-suffix, b[prefix:len(b)-suffix])
	bld.keep(suffix)
	return bld.changeSet()
}
