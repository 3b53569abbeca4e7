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
	followers := []int64{1, 2, 6} // the editors, and 6 who follows
	for _, tc := range []struct {
		name  string
		facts NotifyFacts
		want  []NotifyTarget
	}{
		{"a reply tells the parent's author once, then the followers",
			NotifyFacts{Event: Event{Type: "comment.created", ActorID: id(3)}, Measure: measure, Followers: followers, ParentAuthorID: 2},
			[]NotifyTarget{{2, NotifyCommentReply}, {1, NotifyCommentCreated}, {6, NotifyCommentCreated}}},
		{"a mention is more specific than a new comment",
			NotifyFacts{Event: Event{Type: "comment.created", ActorID: id(3)}, Measure: measure, Followers: followers, Mentioned: []int64{6, 11}},
			[]NotifyTarget{{6, NotifyMention}, {11, NotifyMention}, {1, NotifyCommentCreated}, {2, NotifyCommentCreated}}},
		{"mentioning oneself tells nobody",
			NotifyFacts{Event: Event{Type: "comment.updated", ActorID: id(3)}, Measure: measure, Mentioned: []int64{3}},
			nil},
		{"an edit tells only the newly mentioned",
			NotifyFacts{Event: Event{Type: "measure.updated", ActorID: id(1)}, Measure: measure, Followers: followers, Mentioned: []int64{12}},
			[]NotifyTarget{{12, NotifyMention}}},
		{"an editor's own comment does not tell them",
			NotifyFacts{Event: Event{Type: "comment.created", ActorID: id(1)}, Measure: measure, Followers: followers},
			[]NotifyTarget{{2, NotifyCommentCreated}, {6, NotifyCommentCreated}}},
		{"a reply to oneself tells nobody of a reply",
			NotifyFacts{Event: Event{Type: "comment.created", ActorID: id(3)}, Measure: MeasureAccess{}, ParentAuthorID: 3},
			nil},
		{"submission tells the reviewers and the followers",
			NotifyFacts{Event: Event{Type: "measure.status_changed", ActorID: id(1)}, Measure: measure, Followers: followers, Submitted: true, Reviewers: []int64{7, 8}},
			[]NotifyTarget{{7, NotifySubmitted}, {8, NotifySubmitted}, {2, NotifyStatusChanged}, {6, NotifyStatusChanged}}},
		{"a status change after a review is the review's news",
			NotifyFacts{Event: Event{Type: "measure.status_changed", ActorID: id(7)}, Measure: measure, Followers: followers, FromReview: true},
			nil},
		{"a review tells every follower",
			NotifyFacts{Event: Event{Type: "review.created", ActorID: id(7)}, Measure: measure, Followers: followers},
			[]NotifyTarget{{1, NotifyReviewCreated}, {2, NotifyReviewCreated}, {6, NotifyReviewCreated}}},
		{"the person added as editor, then the followers",
			NotifyFacts{Event: Event{Type: "editor.added", ActorID: id(1), SubjectUserID: id(5)}, Measure: measure, Followers: followers},
			[]NotifyTarget{{5, NotifyEditorAdded}, {2, NotifyEditorJoined}, {6, NotifyEditorJoined}}},
		{"a co-sponsorship tells the followers",
			NotifyFacts{Event: Event{Type: "cosponsor.added", ActorID: id(6)}, Measure: measure, Followers: followers},
			[]NotifyTarget{{1, NotifyCosponsorAdded}, {2, NotifyCosponsorAdded}}},
		{"a co-sponsor leaving too",
			NotifyFacts{Event: Event{Type: "cosponsor.removed", ActorID: id(6)}, Measure: measure, Followers: followers},
			[]NotifyTarget{{1, NotifyCosponsorRemoved}, {2, NotifyCosponsorRemoved}}},
		{"a report tells the moderators but not a reporting moderator",
			NotifyFacts{Event: Event{Type: "comment.reported", ActorID: id(4)}, Measure: measure, Moderators: []int64{4, 10}},
			[]NotifyTarget{{10, NotifyCommentReported}}},
		{"edits without mentions tell nobody",
			NotifyFacts{Event: Event{Type: "measure.updated", ActorID: id(1)}, Measure: measure, Followers: followers},
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
	org, other := int64(1), int64(3)
	member := &User{ID: 1, Role: RoleMember, Status: StatusActive, OrganizationID: &org}
	outsider := &User{ID: 5, Role: RoleMember, Status: StatusActive, OrganizationID: &other}
	moderator := &User{ID: 2, Role: RoleModerator, Status: StatusActive}
	suspended := &User{ID: 4, Role: RoleMember, Status: StatusSuspended, OrganizationID: &org}
	draft := MeasureAccess{LeadOrgID: 1, Visibility: VisibilityFederation}
	open := MeasureAccess{LeadOrgID: 2, Visibility: VisibilityPlatform}
	for _, tc := range []struct {
		name string
		u    *User
		typ  string
		subj NotifySubject
		want bool
	}{
		{"a member about an open measure", member, NotifyCommentCreated, NotifySubject{Measure: open, CommentStatus: CommentVisible}, true},
		{"a member about their federation's draft", member, NotifyStatusChanged, NotifySubject{Measure: draft}, true},
		{"another federation's member about a federation-only draft", outsider, NotifyMention, NotifySubject{Measure: draft}, false},
		{"a member about a hidden comment", member, NotifyCommentReply, NotifySubject{Measure: open, CommentStatus: CommentHidden}, false},
		{"a moderator about a hidden comment", moderator, NotifyCommentReported, NotifySubject{Measure: open, CommentStatus: CommentHidden}, true},
		{"anyone about a deleted comment", moderator, NotifyCommentCreated, NotifySubject{Measure: open, CommentStatus: CommentDeleted}, false},
		{"a member about a report", member, NotifyCommentReported, NotifySubject{Measure: open, CommentStatus: CommentVisible}, false},
		{"a moderator about a report", moderator, NotifyCommentReported, NotifySubject{Measure: open, CommentStatus: CommentVisible}, true},
		{"a suspended account", suspended, NotifyCommentCreated, NotifySubject{Measure: open}, false},
	} {
		if got := CanSeeNotification(tc.u, tc.typ, tc.subj); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
