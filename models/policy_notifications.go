package models

// Notification types (docs/API.md "Mail, notifications…"). comment.created, a
// comment on a measure you edit, is ours in addition to the contract's list.
const (
	NotifyCommentReply    = "comment.reply"
	NotifyCommentCreated  = "comment.created"
	NotifyStatusChanged   = "measure.status_changed"
	NotifyReviewCreated   = "review.created"
	NotifySubmitted       = "measure.submitted"
	NotifyEditorAdded     = "editor.added"
	NotifyCosponsorAdded  = "cosponsor.added"
	NotifyCommentReported = "comment.reported"
)

// NotificationTypes lists every type, for catalogues and tests.
var NotificationTypes = []string{NotifyCommentReply, NotifyCommentCreated, NotifyStatusChanged,
	NotifyReviewCreated, NotifySubmitted, NotifyEditorAdded, NotifyCosponsorAdded, NotifyCommentReported}

// NotifyFacts is what deciding who an event concerns needs, gathered by the
// store inside the event's transaction.
type NotifyFacts struct {
	Event Event
	// Measure is the measure the event is about, as it is after the change.
	Measure MeasureAccess
	// ParentAuthorID is the author of the comment a new comment answers.
	ParentAuthorID int64
	// Reviewers and Moderators are the active accounts of those roles
	// (moderators include admins), loaded only for the events that need them.
	Reviewers  []int64
	Moderators []int64
	// Submitted is true when a status change put the measure in review.
	Submitted bool
	// FromReview is true when a status change follows a review, which is
	// itself the news: the editors are told once.
	FromReview bool
}

// NotifyTarget is one person to tell, and as what.
type NotifyTarget struct {
	UserID int64
	Type   string
}

// NotifyNeeds says which facts an event type needs loaded: none (the event
// notifies nobody), the measure's access, reviewers, moderators.
func NotifyNeeds(eventType string) (notifies, reviewers, moderators bool) {
	switch eventType {
	case "comment.created", "review.created", "editor.added", "cosponsor.added":
		return true, false, false
	case "measure.status_changed":
		return true, true, false
	case "comment.reported":
		return true, false, true
	}
	return false, false, false
}

// NotificationTargets decides who an event concerns. Each person is told
// once, as the most specific type; nobody is told of their own action. Who
// may see the measure is checked afterwards, per person (CanSeeMeasure),
// when the rows are written and again when they are shown.
func NotificationTargets(f NotifyFacts) []NotifyTarget {
	var actor int64
	if f.Event.ActorID != nil {
		actor = *f.Event.ActorID
	}
	var out []NotifyTarget
	seen := map[int64]bool{actor: true}
	add := func(typ string, ids ...int64) {
		for _, id := range ids {
			if id != 0 && !seen[id] {
				seen[id] = true
				out = append(out, NotifyTarget{UserID: id, Type: typ})
			}
		}
	}
	switch f.Event.Type {
	case "comment.created":
		add(NotifyCommentReply, f.ParentAuthorID)
		add(NotifyCommentCreated, f.Measure.EditorIDs...)
	case "review.created":
		add(NotifyReviewCreated, f.Measure.EditorIDs...)
	case "measure.status_changed":
		if f.FromReview {
			return nil
		}
		if f.Submitted {
			add(NotifySubmitted, f.Reviewers...)
		}
		add(NotifyStatusChanged, f.Measure.EditorIDs...)
	case "editor.added":
		if f.Event.SubjectUserID != nil {
			add(NotifyEditorAdded, *f.Event.SubjectUserID)
		}
	case "cosponsor.added":
		add(NotifyCosponsorAdded, f.Measure.EditorIDs...)
	case "comment.reported":
		add(NotifyCommentReported, f.Moderators...)
	}
	return out
}

// CanSeeNotification: a notification is shown only while its measure is
// still visible to the person (an editor removed from a draft no longer
// reads about it), and a report only to moderators.
func CanSeeNotification(u *User, typ string, m MeasureAccess) bool {
	if typ == NotifyCommentReported && !Can(u, ActModerate, nil) {
		return false
	}
	return CanSeeMeasure(u, m)
}
