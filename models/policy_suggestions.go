package models

// Suggestions (tracked changes, suggestions.go): who may propose a change
// to a measure's text, and who may decide on one.
const (
	ActSuggest          Action = "suggestion.create" // obj: MeasureAccess
	ActSuggestionAccept Action = "suggestion.accept" // obj: SuggestionTarget
	ActSuggestionReject Action = "suggestion.reject" // obj: SuggestionTarget
)

// SuggestionTarget is what deciding on a suggestion depends on.
type SuggestionTarget struct {
	Measure  MeasureAccess
	AuthorID int64
}

// SuggestableStatus reports whether suggestions may be made on a measure
// in status: while its text may still change, and in review, where the
// text is frozen but a reviewer may say what should change (accepted once
// the measure is sent back for changes).
func SuggestableStatus(status string) bool {
	return EditableStatus(status) || status == StatusInReview
}

// CheckSuggestion decides a suggestion action and says why it is refused,
// as CheckMeasure does: 404 when the measure is not visible, 403 when the
// action is not the person's, 409 not_editable when the measure's state
// forbids it now. nil means allowed. Pure: the permission table is tested
// without a database.
//
//   - Suggesting: anyone who sees the measure and may comment on it
//     (editors, other federations on platform measures, reviewers, staff),
//     on a draft, a measure sent back for changes, or one in review.
//   - Accepting: the measure's editors, while its text may change.
//   - Rejecting: the measure's editors, or the suggestion's author (who
//     withdraws it), while suggestions may be made.
func CheckSuggestion(u *User, a Action, obj any) error {
	var m MeasureAccess
	var author int64
	switch o := obj.(type) {
	case MeasureAccess:
		m = o
	case SuggestionTarget:
		m, author = o.Measure, o.AuthorID
	default:
		return NotFound("Measure")
	}
	if !u.Active() || !CanSeeMeasure(u, m) {
		return NotFound("Measure")
	}
	switch a {
	case ActSuggest:
		if !Can(u, ActCommentCreate, CommentTarget{Measure: m}) {
			return forbidden("You cannot suggest changes to this measure.")
		}
		if !SuggestableStatus(m.Status) || MeasureClosedForComments(m.Status) {
			return CodedError(EConflict, "not_editable", "This measure is "+statusPhrase[m.Status]+": changes can no longer be suggested.")
		}
		return nil
	case ActSuggestionAccept:
		if _, ok := obj.(SuggestionTarget); !ok || !m.IsEditor(u) {
			return forbidden("Only the measure's editors can accept a suggestion.")
		}
		if !EditableStatus(m.Status) {
			return CodedError(EConflict, "not_editable", "This measure is "+statusPhrase[m.Status]+": its text cannot change now, so suggestions wait until it is sent back for changes.")
		}
		return nil
	case ActSuggestionReject:
		if _, ok := obj.(SuggestionTarget); !ok || !m.IsEditor(u) && author != u.ID {
			return forbidden("Only the measure's editors, or the suggestion's author, can reject it.")
		}
		if !SuggestableStatus(m.Status) {
			return CodedError(EConflict, "not_editable", "This measure is "+statusPhrase[m.Status]+": its suggestions are closed.")
		}
		return nil
	}
	return forbidden("Not allowed.")
}

// suggestionRules put the suggestion actions in the policy table, so that
// templates ask Can like for anything else.
func suggestionRules(t ruleTable) {
	for _, a := range []Action{ActSuggest, ActSuggestionAccept, ActSuggestionReject} {
		t.allow(a, func(u *User, obj any) bool { return CheckSuggestion(u, a, obj) == nil })
	}
}
