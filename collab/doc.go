// Package collab is the pure core of server-side real-time co-editing.
//
// It speaks the JSON form of CodeMirror 6 change sets
// (@codemirror/state ChangeSet.toJSON / ChangeSet.fromJSON) so that the
// server can validate and apply the updates browsers send, keep its own
// copy of the document in step, undo changes, build its own changes for
// edits that arrive through the REST API, and move comment anchors along
// with the text they point at.
//
// CodeMirror measures positions in UTF-16 code units (JavaScript string
// length), not in bytes or runes, so documents are held as UTF-16 here
// ([Doc]) and helpers convert offsets from and to Go strings.
//
// CodeMirror also counts every line break as one unit: a document that
// contains "\r\n" has a different length in the browser than here, so
// store text with plain "\n" line breaks (see [NormalizeLineBreaks]).
//
// Everything in this package is free of I/O and side effects; [ChangeSet]
// and [Doc] values are immutable and safe to share between goroutines.
package collab
