package models

// ErrorCode is one machine code an error can carry: the "code" of an API
// error body, of a websocket "error" message, or the "reason" of a
// "collab.rejected". Its Kind decides the HTTP status (server/errors.go).
type ErrorCode struct {
	Code string
	Kind string
	// Reload: the browser cannot patch its page up after this one and
	// reloads it (web/src/live.js).
	Reload bool
}

// ErrorCodes is the one table of codes, shared by the HTTP error handler,
// the websocket and the browser (go generate writes it to
// web/src/error-codes.js). A code used anywhere must be listed here; a test
// reads the sources to make sure.
var ErrorCodes = []ErrorCode{
	// The kinds themselves, for errors with nothing more specific to say.
	{Code: EMalformed, Kind: EMalformed},
	{Code: EUnauthorized, Kind: EUnauthorized},
	{Code: EForbidden, Kind: EForbidden},
	{Code: ENotFound, Kind: ENotFound},
	{Code: EConflict, Kind: EConflict},
	{Code: EGone, Kind: EGone},
	{Code: ETooLarge, Kind: ETooLarge},
	{Code: EInvalid, Kind: EInvalid},
	{Code: ETooMany, Kind: ETooMany},
	{Code: EUnavailable, Kind: EUnavailable},
	{Code: EInternal, Kind: EInternal},
	{Code: "error", Kind: EMalformed}, // another 4xx from the router
	{Code: "timeout", Kind: EUnavailable},

	// Requests.
	{Code: "malformed_json", Kind: EMalformed},
	{Code: "unsupported_media_type", Kind: EMalformed},
	{Code: "invalid_cursor", Kind: EMalformed},
	{Code: "invalid_query", Kind: EMalformed},
	{Code: "invalid_locale", Kind: EInvalid},
	{Code: "method_not_allowed", Kind: EMalformed},
	{Code: "body_too_large", Kind: ETooLarge},
	{Code: "csrf_failed", Kind: EForbidden},
	{Code: "bad_origin", Kind: EForbidden},

	// Accounts and sign-in.
	{Code: "invalid_credentials", Kind: EUnauthorized},
	{Code: "invalid_token", Kind: EUnauthorized},
	{Code: "login_expired", Kind: EUnauthorized},
	{Code: "too_many_attempts", Kind: ETooMany},
	{Code: "account_suspended", Kind: EForbidden},
	{Code: "email_taken", Kind: EConflict},
	{Code: "invitation_not_found", Kind: ENotFound},
	{Code: "invitation_used", Kind: EConflict},
	{Code: "invitation_usable", Kind: EConflict},
	{Code: "invitation_expired", Kind: EConflict},
	{Code: "invitation_accepted", Kind: EConflict},
	{Code: "totp_required", Kind: EUnauthorized},
	{Code: "invalid_totp", Kind: EUnauthorized},
	{Code: "totp_enrolment_required", Kind: EForbidden},
	{Code: "totp_already_enabled", Kind: EConflict},
	{Code: "totp_not_started", Kind: EConflict},
	{Code: "totp_not_enabled", Kind: EConflict},
	{Code: "reset_invalid", Kind: EGone},
	{Code: "email_change_invalid", Kind: EGone},
	{Code: "unsubscribe_invalid", Kind: EGone},
	{Code: "same_email", Kind: EInvalid},

	// Measures and their workflow.
	{Code: "stale_revision", Kind: EConflict},
	{Code: "illegal_transition", Kind: EConflict},
	{Code: "unknown_transition", Kind: EMalformed},
	{Code: "measure_closed", Kind: EConflict},
	{Code: "not_editable", Kind: EConflict},
	{Code: "already_editor", Kind: EConflict},
	{Code: "last_lead_editor", Kind: EConflict},
	{Code: "lead_federation", Kind: EConflict},
	{Code: "already_cosponsor", Kind: EConflict},
	{Code: "not_cosponsor", Kind: EConflict},
	{Code: "not_approved", Kind: EConflict},
	{Code: "not_public", Kind: EConflict},
	{Code: "already_published", Kind: EConflict},
	{Code: "not_published", Kind: EConflict},
	{Code: "not_active", Kind: EConflict},
	{Code: "last_admin", Kind: EConflict},     // erasing the last active admin
	{Code: "already_erased", Kind: EConflict}, // erasing an erased account

	// Comments and moderation.
	{Code: "comment_hidden", Kind: EConflict},
	{Code: "already_reported", Kind: EConflict},
	{Code: "already_hidden", Kind: EConflict},
	{Code: "not_hidden", Kind: EConflict},
	{Code: "no_open_reports", Kind: EConflict},
	{Code: "mention_not_allowed", Kind: EInvalid},

	// Suggestions.
	{Code: "invalid_span", Kind: EInvalid},
	{Code: "unknown_version", Kind: EConflict},
	{Code: "suggestion_outdated", Kind: EConflict},
	{Code: "suggestion_overlaps", Kind: EConflict},
	{Code: "already_decided", Kind: EConflict},

	// The websocket.
	{Code: "unknown_type", Kind: EMalformed},
	{Code: "invalid_topic", Kind: EMalformed},
	{Code: "not_subscribed", Kind: EConflict},
	{Code: "too_many_subscriptions", Kind: ETooMany},
	{Code: "too_many_connections", Kind: ETooMany},
	{Code: "server_busy", Kind: ETooMany},
	{Code: "too_many_documents", Kind: ETooMany},
	{Code: "too_far_behind", Kind: EConflict, Reload: true},

	// Co-editing's collab.rejected reasons (CollabForbidden is "forbidden").
	{Code: CollabStale, Kind: EConflict},
	{Code: CollabInvalid, Kind: EMalformed},
	{Code: CollabGone, Kind: ENotFound},
}

// KnownCode reports whether code is in ErrorCodes.
func KnownCode(code string) bool {
	for _, c := range ErrorCodes {
		if c.Code == code {
			return true
		}
	}
	return false
}
