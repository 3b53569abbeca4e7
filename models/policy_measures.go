package models

import "slices"

// Measure actions. Their object is a MeasureAccess (or a *Measure), except
// ActCreateMeasure, whose object is nil.
const (
	ActCreateMeasure   Action = "measure.create"
	ActViewMeasure     Action = "measure.view"
	ActEditMeasure     Action = "measure.edit" // text, taxonomy, opening to the platform
	ActManageEditors   Action = "measure.manage_editors"
	ActCosponsor       Action = "measure.cosponsor"
	ActUncosponsor     Action = "measure.uncosponsor"
	ActSubmitMeasure   Action = "measure.submit"
	ActWithdrawMeasure Action = "measure.withdraw"
	ActReviewMeasure   Action = "measure.review"
	ActAmendMeasure    Action = "measure.amend"
	ActRestoreMeasure  Action = "measure.restore"
	ActReviewQueue     Action = "measure.review_queue" // obj: nil
	ActPublishMeasure  Action = "measure.publish"
	ActUnpublish       Action = "measure.unpublish"
)

// MeasureActions lists the actions on an existing measure, in the order the
// measure page offers them.
var MeasureActions = []Action{ActViewMeasure, ActEditMeasure, ActSubmitMeasure, ActWithdrawMeasure, ActRestoreMeasure,
	ActAmendMeasure, ActReviewMeasure, ActPublishMeasure, ActUnpublish, ActManageEditors, ActCosponsor, ActUncosponsor}

// CanSeeMeasure decides visibility (docs/DESIGN.md): a draft open only to its
// federations is seen by its editors, the members of its lead and
// co-sponsoring federations, moderators and admins; once opened to the
// platform or submitted, by every active account. To anyone else it does not
// exist.
func CanSeeMeasure(u *User, m MeasureAccess) bool {
	if !u.Active() {
		return false
	}
	if isStaff(u) || m.IsEditor(u) {
		return true
	}
	if m.Visibility == VisibilityPlatform {
		return true
	}
	return m.InFederations(u)
}

// MeasureScope is CanSeeMeasure (and, for comments, ActCommentViewHidden)
// as data, for what selects many measures at once: the SQL of lists
// (visibleTo) and the search index's filter. Both translate these fields
// and nothing else, and a table test checks that Sees agrees with
// CanSeeMeasure, so no list or search reveals what a page would deny.
type MeasureScope struct {
	None bool // an inactive account: nothing
	All  bool // staff: every measure
	// Otherwise a measure is visible when it is open to the platform, led
	// or co-sponsored by OrgID (0: no federation), or edited by UserID.
	UserID, OrgID int64
	// HiddenComments: hidden comments' text is visible too (moderators).
	HiddenComments bool
}

// ScopeOf gives the viewer's MeasureScope.
func ScopeOf(u *User) MeasureScope {
	if u == nil || !u.Active() {
		return MeasureScope{None: true}
	}
	return MeasureScope{All: isStaff(u), UserID: u.ID, OrgID: u.OrgID(), HiddenComments: Can(u, ActModerate, nil)}
}

// Sees decides a measure on the scope's terms.
func (s MeasureScope) Sees(m MeasureAccess) bool {
	switch {
	case s.None:
		return false
	case s.All:
		return true
	}
	return m.Visibility == VisibilityPlatform || slices.Contains(m.EditorIDs, s.UserID) ||
		s.OrgID != 0 && (m.LeadOrgID == s.OrgID || slices.Contains(m.CosponsorOrgIDs, s.OrgID))
}

// ActCollabEdit is pushing changes to a measure's shared text. obj:
// MeasureAccess. Whether the measure's status allows editing is a state
// check made by the store (not_editable), not a permission.
const ActCollabEdit Action = "measure.collab_edit"

// collabRules: only a measure's editors co-edit its text.
func collabRules(t ruleTable) {
	t.allow(ActCollabEdit, func(u *User, obj any) bool {
		m, ok := obj.(MeasureAccess)
		return ok && m.IsEditor(u)
	})
}

// CanCreateMeasure: measures are proposed by federations, so only members
// (who always belong to one) create them; the ministry reviews them.
func CanCreateMeasure(u *User) bool {
	return u.Active() && u.Role == RoleMember && u.OrgID() != 0
}

// CheckMeasure decides an action on a measure and says why it is refused:
// 404 when the person may not see the measure at all (it does not exist for
// them), 403 when it is not theirs to do, 409 when it is theirs to do but not
// in the measure's present state. nil means allowed.
//
// It is pure, so the permission table is tested without a database, and it
// is the only place that says who may do what to a measure: the store calls
// it inside its transactions, templates through Can.
func CheckMeasure(u *User, a Action, m MeasureAccess) error {
	if !CanSeeMeasure(u, m) {
		return NotFound("Measure")
	}
	editor := m.IsEditor(u)
	switch a {
	case ActViewMeasure:
		return nil
	case ActEditMeasure:
		if !editor {
			return forbidden("Only the measure's editors can change it.")
		}
		if !EditableStatus(m.Status) {
			return CodedError(EConflict, "not_editable",
				"This measure is "+statusPhrase[m.Status]+": only a draft or a measure sent back for changes can be edited.")
		}
		return nil
	case ActManageEditors:
		// Admins may too, so that a measure whose editors have all left
		// can be handed over.
		if !editor && u.Role != RoleAdmin {
			return forbidden("Only the measure's editors can add or remove editors.")
		}
		if FinalStatus(m.Status) {
			return CodedError(EConflict, "measure_closed", "This measure is "+statusPhrase[m.Status]+": its editors can no longer change.")
		}
		return nil
	case ActCosponsor:
		if u.Role != RoleMember || u.OrgID() == 0 {
			return forbidden("Only members of a federation can co-sponsor a measure, for their own federation.")
		}
		if FinalStatus(m.Status) {
			return CodedError(EConflict, "measure_closed", "This measure is "+statusPhrase[m.Status]+": it can no longer be co-sponsored.")
		}
		if u.OrgID() == m.LeadOrgID {
			return CodedError(EConflict, "lead_federation", "Your federation leads this measure; it cannot also co-sponsor it.")
		}
		if m.InFederations(u) {
			return CodedError(EConflict, "already_cosponsor", "Your federation already co-sponsors this measure.")
		}
		return nil
	case ActUncosponsor:
		if u.Role != RoleMember || u.OrgID() == 0 {
			return forbidden("Only members of a co-sponsoring federation can take its co-sponsorship back.")
		}
		if u.OrgID() == m.LeadOrgID || !m.InFederations(u) {
			return CodedError(EConflict, "not_cosponsor", "Your federation does not co-sponsor this measure.")
		}
		if FinalStatus(m.Status) {
			return CodedError(EConflict, "measure_closed", "This measure is "+statusPhrase[m.Status]+": its co-sponsors can no longer change.")
		}
		return nil
	case ActSubmitMeasure:
		return editorTransition(u, editor, m, TransSubmit, "Only the measure's editors can submit it.")
	case ActWithdrawMeasure:
		return editorTransition(u, editor, m, TransWithdraw, "Only the measure's editors can withdraw it.")
	case ActAmendMeasure:
		return editorTransition(u, editor, m, TransAmend, "Only the measure's editors can amend it.")
	case ActRestoreMeasure:
		return editorTransition(u, editor, m, TransRestore, "Only the measure's editors can restore it.")
	case ActReviewMeasure:
		if u.Role != RoleReviewer && u.Role != RoleAdmin {
			return forbidden("Only the ministry's reviewers review measures.")
		}
		if m.Status != StatusInReview {
			return illegalTransition(m.Status, TransApprove).withMessage(
				"This measure is " + statusPhrase[m.Status] + ": only a measure in review can be reviewed.")
		}
		return nil
	case ActPublishMeasure, ActUnpublish:
		return checkPublication(u, a, m)
	}
	return forbidden("This action is not allowed.")
}

// checkPublication: the ministry (reviewers, admins) publishes an approved
// measure's text and can take it back. Only a measure open to the whole
// platform can become public; an amendment under way does not stop either
// move, since what is published is the approved text.
func checkPublication(u *User, a Action, m MeasureAccess) error {
	if u.Role != RoleReviewer && u.Role != RoleAdmin {
		return forbidden("Only the ministry's reviewers and admins publish measures.")
	}
	if a == ActUnpublish {
		if !m.Published {
			return CodedError(EConflict, "not_published", "This measure is not published.")
		}
		return nil
	}
	switch {
	case m.Published:
		return CodedError(EConflict, "already_published", "This measure is already published.")
	case !m.Approved:
		return CodedError(EConflict, "not_approved", "Only an approved measure can be published: this one has no approved text yet.")
	case m.Visibility != VisibilityPlatform:
		return CodedError(EConflict, "not_public", "This measure is visible to its federations only: it cannot be published.")
	}
	return nil
}

// EditorRef is what removing an editor depends on: who they are and which
// organisation they belong to.
type EditorRef struct {
	ID    int64
	OrgID int64
}

// CheckRemoveEditor decides whether u may take target off the measure
// whose editors are given. Only the lead federation's editors (and
// moderators, admins) remove others, so a co-editor from elsewhere cannot
// lock the authors out; anyone may step down; and the lead federation
// always keeps one editor.
func CheckRemoveEditor(u *User, m MeasureAccess, editors []EditorRef, target int64) error {
	if !CanSeeMeasure(u, m) {
		return NotFound("Measure")
	}
	staff := isStaff(u)
	leaving := target == u.ID && m.IsEditor(u) // anyone may step down
	if !staff && !leaving && !(m.IsEditor(u) && u.OrgID() == m.LeadOrgID) {
		return forbidden("Only editors from the lead federation, moderators and admins can remove editors.")
	}
	if FinalStatus(m.Status) {
		return CodedError(EConflict, "measure_closed", "This measure is "+statusPhrase[m.Status]+": its editors can no longer change.")
	}
	found, leadLeft := false, 0
	for _, e := range editors {
		if e.ID == target {
			found = true
		} else if e.OrgID == m.LeadOrgID {
			leadLeft++
		}
	}
	if !found {
		return NotFound("Editor")
	}
	if leadLeft == 0 {
		return CodedError(EConflict, "last_lead_editor",
			"A measure keeps at least one editor from its lead federation: add another one from that federation before removing this one.")
	}
	return nil
}

func editorTransition(u *User, editor bool, m MeasureAccess, t Transition, why string) error {
	if !editor {
		return forbidden(why)
	}
	if !CanTransition(m.Status, t) {
		return illegalTransition(m.Status, t)
	}
	return nil
}

func forbidden(msg string) *Error { return CodedError(EForbidden, "forbidden", msg) }

func (e *Error) withMessage(msg string) *Error {
	c := *e
	c.Message = msg
	return &c
}

// accessOf accepts the objects measure rules are asked about.
func accessOf(obj any) (MeasureAccess, bool) {
	switch m := obj.(type) {
	case MeasureAccess:
		return m, true
	case *MeasureAccess:
		if m != nil {
			return *m, true
		}
	case *Measure:
		if m != nil {
			return m.Access(), true
		}
	case Measure:
		return m.Access(), true
	}
	return MeasureAccess{}, false
}

// AvailableMeasureActions lists what the person may do to the measure now,
// for the API's available_actions and the buttons of the measure page.
func AvailableMeasureActions(u *User, m MeasureAccess) []string {
	out := []string{}
	for _, a := range MeasureActions {
		if a != ActViewMeasure && CheckMeasure(u, a, m) == nil {
			out = append(out, string(a))
		}
	}
	return out
}

// measureRules are the measure actions, all decided by CheckMeasure.
func measureRules(t ruleTable) {
	t.allow(ActCreateMeasure, func(u *User, _ any) bool { return CanCreateMeasure(u) })
	t.allow(ActReviewQueue, func(u *User, _ any) bool { return u.Role == RoleReviewer || u.Role == RoleAdmin })
	for _, a := range MeasureActions {
		a := a
		t.allow(a, func(u *User, obj any) bool {
			m, ok := accessOf(obj)
			return ok && CheckMeasure(u, a, m) == nil
		})
	}
}
