package collab

import "errors"

// Sentinel errors, so that callers can tell a client bug (malformed
// changes) from a client that is merely out of date (length mismatch)
// with errors.Is. Returned errors wrap one of these and add details.
var (
	// ErrMalformed reports changes that are not a valid ChangeSet JSON.
	ErrMalformed = errors.New("collab: malformed changes")
	// ErrLengthMismatch reports changes written for a document (or a
	// change set) of a different length, usually an outdated client.
	ErrLengthMismatch = errors.New("collab: length mismatch")
	// ErrSplitSurrogate reports a change boundary that falls between the
	// two UTF-16 units of a surrogate pair, which would corrupt the text.
	ErrSplitSurrogate = errors.New("collab: change splits a surrogate pair")
	// ErrInvalidText reports inserted text that is not valid UTF-16
	// (a lone surrogate).
	ErrInvalidText = errors.New("collab: invalid UTF-16 text")
)
