package models

import (
	"reflect"
	"testing"
)

// TestNotificationTargets is the table of who an event concerns: never the
// actor, each person once as the most specific type, and a status change
// that follows a review not told twice.
func TestNotificationTargets(t *testing.T) {
	id := func(n int64) *int64 { return &n }
	measure := MeasureAccess{ID: 9, EditorIDs: []int64{1, 2}}
	for _, tc := range []struct {
		name  string
		facts NotifyFacts
		want  []NotifyTarget
	}{
		{"a reply tells the parent's author once, then the other editors",
			NotifyFacts{Event: Event{Type: "comment.created", ActorID: id(3)}, Measure: measure, ParentAuthorID: 2},
			[]NotifyTarget{{2, NotifyCommentReply}, {1, NotifyCommentCreated}}},
		{"an editor's own comment does not tell them",
			NotifyFacts{Event: Event{Type: "comment.created", ActorID: id(1)}, Measure: measure},
			[]NotifyTarget{{2, NotifyCommentCreated}}},
		{"a reply to oneself tells nobody of a reply",
			NotifyFacts{Event: Event{Type: "comment.created", ActorID: id(3)}, Measure: MeasureAccess{}, ParentAuthorID: 3},
			nil},
		{"submission tells the reviewers and the other editors",
			NotifyFacts{Event: Event{Type: "measure.status_changed", ActorID: id(1)}, Measure: measure, Submitted: true, Reviewers: []int64{7, 8}},
			[]NotifyTarget{{7, NotifySubmitted}, {8, NotifySubmitted}, {2, NotifyStatusChanged}}},
		{"a status change after a review is the review's news",
			NotifyFacts{Event: Event{Type: "measure.status_changed", ActorID: id(7)}, Measure: measure, FromReview: true},
			nil},
		{"a review tells every editor",
			NotifyFacts{Event: Event{Type: "review.created", ActorID: id(7)}, Measure: measure},
			[]NotifyTarget{{1, NotifyReviewCreated}, {2, NotifyReviewCreated}}},
		{"the person added as editor",
			NotifyFacts{Event: Event{Type: "editor.added", ActorID: id(1), SubjectUserID: id(5)}, Measure: measure},
			[]NotifyTarget{{5, NotifyEditorAdded}}},
		{"a co-sponsorship tells the editors",
			NotifyFacts{Event: Event{Type: "cosponsor.added", ActorID: id(6)}, Measure: measure},
			[]NotifyTarget{{1, NotifyCosponsorAdded}, {2, NotifyCosponsorAdded}}},
		{"a report tells the moderators but not a reporting moderator",
			NotifyFacts{Event: Event{Type: "comment.reported", ActorID: id(4)}, Measure: measure, Moderators: []int64{4, 10}},
			[]NotifyTarget{{10, NotifyCommentReported}}},
		{"edits tell nobody",
			NotifyFacts{Event: Event{Type: "measure.updated", ActorID: id(1)}, Measure: measure},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NotificationTargets(tc.facts); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestCanSeeNotification: a report is for moderators; any other notice
// follows the measure's visibility.
func TestCanSeeNotification(t *testing.T) {
	org := int64(1)
	member := &User{ID: 1, Role: RoleMember, Status: StatusActive, OrganizationID: &org}
	moderator := &User{ID: 2, Role: RoleModerator, Status: StatusActive}
	draft := MeasureAccess{LeadOrgID: 2, Visibility: VisibilityFederation}
	open := MeasureAccess{LeadOrgID: 2, Visibility: VisibilityPlatform}
	if CanSeeNotification(member, NotifyCommentReported, open) || !CanSeeNotification(moderator, NotifyCommentReported, open) {
		t.Error("reports are for moderators only")
	}
	if CanSeeNotification(member, NotifyCommentCreated, draft) || !CanSeeNotification(member, NotifyCommentCreated, open) {
		t.Error("a notice follows the measure's visibility")
	}
	suspended := *member
	suspended.Status = StatusSuspended
	if CanSeeNotification(&suspended, NotifyCommentCreated, open) {
		t.Error("a suspended account is told nothing")
	}
}
