package models

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status in the server's error handler, so
// the store can say what went wrong without knowing about HTTP.
const (
	EMalformed    = "malformed"      // 400: the request could not be read
	EUnauthorized = "unauthorized"   // 401: not signed in
	EForbidden    = "forbidden"      // 403: signed in but not allowed
	ENotFound     = "not_found"      // 404: missing, or not visible to the caller
	EConflict     = "conflict"       // 409: wrong state or stale version
	EGone         = "link_gone"      // 410: a link that worked once, or for a while, and no longer does
	ETooLarge     = "too_large"      // 413
	EInvalid      = "invalid_fields" // 422: fields that do not pass validation
	ETooMany      = "too_many"       // 429
	EUnavailable  = "unavailable"    // 503: the database did not answer; try again
	EInternal     = "internal"       // 500: never shown in detail
)

// Error is an application error that is safe to show to the caller. Code is a
// snake_case machine code; Kind is one of the E* constants above and decides
// the HTTP status.
type Error struct {
	Kind    string
	Code    string
	Message string
	Fields  map[string]string
	// RetryAfter, on a 429, says when trying again may succeed.
	RetryAfter time.Duration
	cause      error // for the logs only (Unavailable)
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap gives the cause of an Unavailable error.
func (e *Error) Unwrap() error { return e.cause }

// Unavailable says the database did not answer (a dropped connection, a
// locked or closed database): the request may succeed if tried again. It is
// never a reason to call a credential invalid or an object missing.
func Unavailable(cause error) *Error {
	return &Error{Kind: EUnavailable, Code: "unavailable", Message: "The service is briefly unavailable; try again in a moment.", cause: cause}
}

// Errorf builds an Error whose code equals its kind.
func Errorf(kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: kind, Message: fmt.Sprintf(format, args...)}
}

// CodedError builds an Error with a specific code, e.g. "stale_revision".
func CodedError(kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// FieldErrors collects validation problems, field by field.
type FieldErrors map[string]string

// Add records a problem with a field, keeping the first one.
func (f FieldErrors) Add(field, problem string) {
	if _, ok := f[field]; !ok {
		f[field] = problem
	}
}

// Err returns nil when no field is wrong, else a 422 Error listing them.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Kind: EInvalid, Code: "invalid_fields", Message: "Some fields are not valid.", Fields: f}
}

// ErrorKind returns the kind of an application error, or EInternal.
func ErrorKind(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return EInternal
}

// NotFound is the one answer for a missing object and one the caller may not see.
func NotFound(what string) *Error {
	return CodedError(ENotFound, "not_found", what+" not found.")
}
