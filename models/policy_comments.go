package models

// Comment actions. Their object is a CommentTarget: the measure the comment
// belongs to (visibility comes first: whoever cannot see the measure gets a
// 404 before any of these rules is asked) and, except for creation, the
// comment itself.
const (
	ActCommentCreate     Action = "comment.create"      // start a thread or reply
	ActCommentEdit       Action = "comment.edit"        // change one's own words
	ActCommentDelete     Action = "comment.delete"      // the author, or a moderator
	ActCommentReport     Action = "comment.report"      // flag someone else's comment
	ActCommentHide       Action = "comment.hide"        // moderators, with a reason
	ActCommentRestore    Action = "comment.restore"     // moderators
	ActCommentDismiss    Action = "comment.dismiss"     // moderators: close reports, keep the comment
	ActCommentViewHidden Action = "comment.view_hidden" // read a hidden comment and why it was hidden
)

// ActViewAuditAll reads the whole audit trail; other readers of the trail
// (reviewers) see only the events of measures they can see.
const ActViewAuditAll Action = "audit.view_all" // obj: nil

// CommentTarget is what comment rules decide on.
type CommentTarget struct {
	Measure MeasureAccess
	Comment *Comment // nil for ActCommentCreate
}

// commentRule wraps a rule so that it only ever sees a well-formed target on
// a measure the actor can see; anything else denies.
func commentRule(needComment bool, r func(u *User, t CommentTarget) bool) rule {
	return func(u *User, obj any) bool {
		t, ok := obj.(CommentTarget)
		if !ok || (needComment && t.Comment == nil) || !CanSeeMeasure(u, t.Measure) {
			return false
		}
		if t.Comment != nil && t.Comment.MeasureID != t.Measure.ID {
			return false
		}
		return r(u, t)
	}
}

// commentRules are the comment and moderation actions.
func commentRules(t ruleTable) {
	// Everyone who can see a measure may discuss it, reviewers included;
	// suspended people are stopped by Can itself.
	t.allow(ActCommentCreate, commentRule(false, func(u *User, t CommentTarget) bool { return true }))
	t.allow(ActCommentEdit, commentRule(true, func(u *User, t CommentTarget) bool {
		return t.Comment.AuthorID == u.ID
	}))
	t.allow(ActCommentDelete, commentRule(true, func(u *User, t CommentTarget) bool {
		return t.Comment.AuthorID == u.ID || isStaff(u)
	}))
	// Reporting one's own comment makes no sense: delete or edit it instead.
	t.allow(ActCommentReport, commentRule(true, func(u *User, t CommentTarget) bool {
		return t.Comment.AuthorID != u.ID
	}))
	moderator := commentRule(true, func(u *User, t CommentTarget) bool { return Can(u, ActModerate, nil) })
	t.allow(ActCommentHide, moderator)
	t.allow(ActCommentRestore, moderator)
	t.allow(ActCommentDismiss, moderator)
	t.allow(ActCommentViewHidden, moderator)
	t.allow(ActViewAuditAll, func(u *User, _ any) bool { return isStaff(u) })
}
