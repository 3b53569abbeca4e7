package models

// Notification types (docs/API.md "Mail, notifications…"). comment.created, a
// comment on a measure you edit, is ours in addition to the contract's list.
const (
	NotifyCommentReply     = "comment.reply"
	NotifyMention          = "mention"
	NotifyCommentCreated   = "comment.created"
	NotifyStatusChanged    = "measure.status_changed"
	NotifyReviewCreated    = "review.created"
	NotifySubmitted        = "measure.submitted"
	NotifyEditorAdded      = "editor.added"  // to the new editor
	NotifyEditorJoined     = "editor.joined" // to the measure's followers
	NotifyCosponsorAdded   = "cosponsor.added"
	NotifyCosponsorRemoved = "cosponsor.removed"
	NotifyCommentReported  = "comment.reported"
	NotifyPublished        = "measure.published"
	NotifyUnpublished      = "measure.unpublished"
	// Suggestions: a new one to the measure's followers (its editors, who
	// decide), the decision to its author.
	NotifySuggestionCreated  = "suggestion.created"
	NotifySuggestionAccepted = "suggestion.accepted"
	NotifySuggestionRejected = "suggestion.rejected"
)

// NotificationTypes lists every type, for catalogues and tests.
var NotificationTypes = []string{NotifyCommentReply, NotifyMention, NotifyCommentCreated, NotifyStatusChanged,
	NotifyReviewCreated, NotifySubmitted, NotifyEditorAdded, NotifyEditorJoined, NotifyCosponsorAdded, NotifyCosponsorRemoved,
	NotifyCommentReported, NotifyPublished, NotifyUnpublished,
	NotifySuggestionCreated, NotifySuggestionAccepted, NotifySuggestionRejected}

// Notification kinds are what a person chooses how to receive (GET
// /api/v1/me/notification-settings); each type belongs to one kind.
const (
	KindReply     = "reply"
	KindMention   = "mention"
	KindComment   = "comment"
	KindStatus    = "status"
	KindReview    = "review"
	KindSubmitted = "submitted"
	KindEditor    = "editor"
	KindCosponsor = "cosponsor"
	KindReport    = "report"
	KindSuggest   = "suggestion"
)

// NotificationKinds lists the kinds in the order the profile page shows them.
var NotificationKinds = []string{KindReply, KindMention, KindComment, KindStatus, KindReview, KindSubmitted,
	KindEditor, KindCosponsor, KindReport, KindSuggest}

// KindOf is the kind a notification type belongs to.
func KindOf(typ string) string {
	switch typ {
	case NotifyCommentReply:
		return KindReply
	case NotifyMention:
		return KindMention
	case NotifyCommentCreated:
		return KindComment
	case NotifyStatusChanged, NotifyPublished, NotifyUnpublished:
		return KindStatus
	case NotifyReviewCreated:
		return KindReview
	case NotifySubmitted:
		return KindSubmitted
	case NotifyEditorAdded, NotifyEditorJoined:
		return KindEditor
	case NotifyCosponsorAdded, NotifyCosponsorRemoved:
		return KindCosponsor
	case NotifyCommentReported:
		return KindReport
	case NotifySuggestionCreated, NotifySuggestionAccepted, NotifySuggestionRejected:
		return KindSuggest
	}
	return ""
}

// Deliveries: how a person receives a kind by mail. The app always shows
// every notification; this only decides the mail.
const (
	DeliverImmediate = "immediate"
	DeliverDigest    = "digest"
	DeliverOff       = "off"
)

// DefaultDelivery is the choice of someone who never chose: what is said
// to them personally comes at once, news about measures they follow comes
// once a day.
func DefaultDelivery(kind string) string {
	switch kind {
	case KindComment, KindCosponsor:
		return DeliverDigest
	}
	return DeliverImmediate
}

// NotifyFacts is what deciding who an event concerns needs, gathered by the
// store inside the event's transaction.
type NotifyFacts struct {
	Event Event
	// Measure is the measure the event is about, as it is after the change.
	Measure MeasureAccess
	// Followers follow the measure (its editors, unless they unfollowed).
	Followers []int64
	// ParentAuthorID is the author of the comment a new comment answers.
	ParentAuthorID int64
	// Mentioned are the people a new text mentions for the first time.
	Mentioned []int64
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
	case "comment.created", "comment.updated", "measure.created", "measure.updated", "measure.revision_saved", "review.created",
		"editor.added", "cosponsor.added", "cosponsor.removed", "measure.published", "measure.unpublished",
		"suggestion.created", "suggestion.accepted", "suggestion.rejected":
		return true, false, false
	case "measure.status_changed":
		return true, true, false
	case "comment.reported":
		return true, false, true
	}
	return false, false, false
}

// NoFanOut is an event's data (stored and sent as it is) for a change
// whose fan-out is known to tell nobody, so that it costs no job.
type NoFanOut map[string]any

// needsFanOut says whether an event may tell anyone, so that only those
// events cost a job: an edit tells only the people it newly mentions.
func needsFanOut(eventType string, data any) bool {
	notifies, _, _ := NotifyNeeds(eventType)
	if !notifies {
		return false
	}
	switch eventType {
	case "comment.updated", "measure.created", "measure.updated", "measure.revision_saved":
		m, _ := data.(map[string]any)
		ids, _ := m["mentioned"].([]int64)
		return len(ids) > 0
	}
	_, quiet := data.(NoFanOut)
	return !quiet
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
		add(NotifyMention, f.Mentioned...)
		add(NotifyCommentCreated, f.Followers...)
	case "comment.updated", "measure.created", "measure.updated", "measure.revision_saved":
		add(NotifyMention, f.Mentioned...)
	case "review.created":
		add(NotifyReviewCreated, f.Followers...)
	case "measure.status_changed":
		if f.FromReview {
			return nil
		}
		if f.Submitted {
			add(NotifySubmitted, f.Reviewers...)
		}
		add(NotifyStatusChanged, f.Followers...)
	case "editor.added":
		if f.Event.SubjectUserID != nil {
			add(NotifyEditorAdded, *f.Event.SubjectUserID)
		}
		add(NotifyEditorJoined, f.Followers...)
	case "cosponsor.added":
		add(NotifyCosponsorAdded, f.Followers...)
	case "cosponsor.removed":
		add(NotifyCosponsorRemoved, f.Followers...)
	case "measure.published":
		add(NotifyPublished, f.Followers...)
	case "measure.unpublished":
		add(NotifyUnpublished, f.Followers...)
	case "comment.reported":
		add(NotifyCommentReported, f.Moderators...)
	case "suggestion.created":
		add(NotifySuggestionCreated, f.Followers...)
	case "suggestion.accepted", "suggestion.rejected":
		// The author withdrawing their own tells nobody (seen holds the actor).
		if f.Event.SubjectUserID != nil {
			add(f.Event.Type, *f.Event.SubjectUserID)
		}
	}
	return out
}

// NotifySubject is what a notification is about, as it is now.
type NotifySubject struct {
	Measure MeasureAccess
	// CommentStatus is the comment's status (visible, hidden, deleted);
	// empty when the notification is about no comment.
	CommentStatus string
}

// CanSeeNotification: a notification is shown, and mailed, only while its
// measure is still visible to the person (an editor removed from a draft no
// longer reads about it) and its comment still readable by them (a hidden
// comment only by moderators, a deleted one by nobody); a report only to
// moderators. It is asked when the notification is made and again when it
// is listed or mailed.
func CanSeeNotification(u *User, typ string, subj NotifySubject) bool {
	moderator := Can(u, ActModerate, nil)
	if typ == NotifyCommentReported && !moderator {
		return false
	}
	switch subj.CommentStatus {
	case "", CommentVisible:
	case CommentHidden:
		if !moderator {
			return false
		}
	default:
		return false
	}
	return CanSeeMeasure(u, subj.Measure)
}
