package models

import "fmt"

// Measure statuses (docs/DESIGN.md, "Measure workflow").
const (
	StatusDraft            = "draft"
	StatusInReview         = "in_review"
	StatusChangesRequested = "changes_requested"
	StatusApproved         = "approved"
	StatusRejected         = "rejected"
	StatusWithdrawn        = "withdrawn"
)

// MeasureStatuses lists every status in workflow order, for filters and counts.
var MeasureStatuses = []string{StatusDraft, StatusInReview, StatusChangesRequested, StatusApproved, StatusRejected, StatusWithdrawn}

// ValidMeasureStatus reports whether s names a measure status.
func ValidMeasureStatus(s string) bool {
	for _, x := range MeasureStatuses {
		if x == s {
			return true
		}
	}
	return false
}

// Transition names a move in the workflow.
type Transition string

// Transitions. The three review decisions are transitions too, so that one
// table says everything a measure's status may do.
const (
	TransSubmit         Transition = "submit"
	TransWithdraw       Transition = "withdraw"
	TransApprove        Transition = "approve"
	TransRequestChanges Transition = "request_changes"
	TransReject         Transition = "reject"
	TransAmend          Transition = "amend"
	TransRestore        Transition = "restore"
)

// Review decisions, as docs/API.md spells them.
const (
	DecisionApproved         = "approved"
	DecisionChangesRequested = "changes_requested"
	DecisionRejected         = "rejected"
)

// DecisionTransition maps a review decision to its transition.
func DecisionTransition(decision string) (Transition, bool) {
	switch decision {
	case DecisionApproved:
		return TransApprove, true
	case DecisionChangesRequested:
		return TransRequestChanges, true
	case DecisionRejected:
		return TransReject, true
	}
	return "", false
}

// transitions is the docs/DESIGN.md diagram as data:
//
//	draft ──submit──▶ in_review ──approve──▶ approved
//	  ▲                  │  └──reject──▶ rejected
//	  │                  └──request_changes──▶ changes_requested ──submit──▶ in_review
//	  └────────────── withdraw (from draft / changes_requested / in_review) ──▶ withdrawn
//
// plus amend (approved → draft), which opens an amendment while the
// approved text stays published, and restore (withdrawn → draft).
var transitions = map[Transition]struct {
	from []string
	to   string
}{
	TransSubmit:         {[]string{StatusDraft, StatusChangesRequested}, StatusInReview},
	TransWithdraw:       {[]string{StatusDraft, StatusChangesRequested, StatusInReview}, StatusWithdrawn},
	TransApprove:        {[]string{StatusInReview}, StatusApproved},
	TransRequestChanges: {[]string{StatusInReview}, StatusChangesRequested},
	TransReject:         {[]string{StatusInReview}, StatusRejected},
	TransAmend:          {[]string{StatusApproved}, StatusDraft},
	// A withdrawal is not the end: its editors can take it back up.
	TransRestore: {[]string{StatusWithdrawn}, StatusDraft},
}

// NextStatus gives the status a transition leads to from a status, or a 409
// that says why the move is not possible.
//
// amending is true while an approved measure is being amended (it has a
// published revision and is not itself approved). Withdrawing or rejecting
// an amendment abandons the amendment, not the measure: the measure goes
// back to approved, with the approved text, which never stopped being the
// published one.
func NextStatus(from string, t Transition, amending bool) (string, error) {
	tr, ok := transitions[t]
	if !ok {
		return "", CodedError(EMalformed, "unknown_transition", fmt.Sprintf("Unknown action %q.", t))
	}
	for _, f := range tr.from {
		if f == from {
			if amending && (t == TransWithdraw || t == TransReject) {
				return StatusApproved, nil
			}
			return tr.to, nil
		}
	}
	return "", illegalTransition(from, t)
}

// CanTransition reports whether the transition is possible from a status.
func CanTransition(from string, t Transition) bool {
	_, err := NextStatus(from, t, false)
	return err == nil
}

// EditableStatus reports whether a measure's text may change: only drafts and
// measures sent back for changes; submitting freezes the body.
func EditableStatus(status string) bool {
	return status == StatusDraft || status == StatusChangesRequested
}

// FinalStatus: nothing more happens to a rejected or withdrawn measure.
func FinalStatus(status string) bool {
	return status == StatusRejected || status == StatusWithdrawn
}

var transitionVerb = map[Transition]string{
	TransSubmit:         "submitted",
	TransWithdraw:       "withdrawn",
	TransApprove:        "approved",
	TransRequestChanges: "sent back for changes",
	TransReject:         "rejected",
	TransAmend:          "amended",
	TransRestore:        "restored",
}

var statusPhrase = map[string]string{
	StatusDraft:            "a draft",
	StatusInReview:         "in review",
	StatusChangesRequested: "waiting for changes",
	StatusApproved:         "approved",
	StatusRejected:         "rejected",
	StatusWithdrawn:        "withdrawn",
}

func illegalTransition(from string, t Transition) *Error {
	var allowed []string
	for _, f := range transitions[t].from {
		allowed = append(allowed, statusPhrase[f])
	}
	msg := fmt.Sprintf("This measure is %s, so it cannot be %s (only a measure that is %s can).",
		statusPhrase[from], transitionVerb[t], joinOr(allowed))
	return CodedError(EConflict, "illegal_transition", msg)
}

func joinOr(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == 0:
			out = x
		case i == len(xs)-1:
			out += " or " + x
		default:
			out += ", " + x
		}
	}
	return out
}
