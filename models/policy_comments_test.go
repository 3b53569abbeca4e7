package models

import (
	"fmt"
	"testing"
	"time"
)

// TestPolicy_Comments is the comment rules' table: every action × role ×
// relation to the measure and the comment.
func TestPolicy_Comments(t *testing.T) {
	apebi, ausim, ministry := int64(1), int64(2), int64(5)
	user := func(id int64, role string, org int64, status string) *User {
		u := &User{ID: id, Role: role, Status: status}
		if org != 0 {
			u.OrganizationID = &org
		}
		return u
	}
	author := user(1, RoleMember, apebi, StatusActive)
	sameFed := user(2, RoleMember, apebi, StatusActive)
	otherFed := user(3, RoleMember, ausim, StatusActive)
	reviewer := user(4, RoleReviewer, ministry, StatusActive)
	moderator := user(5, RoleModerator, ausim, StatusActive)
	admin := user(6, RoleAdmin, 0, StatusActive)
	suspended := user(7, RoleMember, apebi, StatusSuspended)
	suspendedMod := user(8, RoleModerator, apebi, StatusSuspended)

	draft := MeasureAccess{ID: 10, LeadOrgID: apebi, EditorIDs: []int64{1}, Visibility: VisibilityFederation, Status: "draft"}
	open := MeasureAccess{ID: 11, LeadOrgID: apebi, EditorIDs: []int64{1}, Visibility: VisibilityPlatform, Status: "in_review"}
	onDraft := &Comment{ID: 100, MeasureID: 10, AuthorID: author.ID, Status: CommentVisible, CreatedAt: time.Now()}
	onOpen := &Comment{ID: 101, MeasureID: 11, AuthorID: author.ID, Status: CommentVisible, CreatedAt: time.Now()}

	actions := []Action{ActCommentCreate, ActCommentEdit, ActCommentDelete, ActCommentReport, ActCommentHide, ActCommentRestore, ActCommentDismiss, ActCommentViewHidden}
	// Expected results in the order of actions: C E D R H Rs Di V.
	cases := []struct {
		who  string
		u    *User
		m    MeasureAccess
		c    *Comment
		want string
	}{
		{"anonymous/draft", nil, draft, onDraft, "--------"},
		{"author/draft", author, draft, onDraft, "YYY-----"},
		{"same federation/draft", sameFed, draft, onDraft, "Y--Y----"},
		{"other federation/draft", otherFed, draft, onDraft, "--------"},
		{"reviewer/draft", reviewer, draft, onDraft, "--------"},
		{"moderator/draft", moderator, draft, onDraft, "Y-YYYYYY"},
		{"admin/draft", admin, draft, onDraft, "Y-YYYYYY"},
		{"suspended/draft", suspended, draft, onDraft, "--------"},
		{"suspended moderator/draft", suspendedMod, draft, onDraft, "--------"},
		{"author/open", author, open, onOpen, "YYY-----"},
		{"other federation/open", otherFed, open, onOpen, "Y--Y----"},
		{"reviewer/open", reviewer, open, onOpen, "Y--Y----"},
		{"moderator/open", moderator, open, onOpen, "Y-YYYYYY"},
		{"suspended/open", suspended, open, onOpen, "--------"},
		// A comment that claims another measure than the one checked.
		{"moderator/mismatch", moderator, open, onDraft, "Y-------"},
	}
	for _, tc := range cases {
		got := ""
		for _, a := range actions {
			target := CommentTarget{Measure: tc.m, Comment: tc.c}
			if a == ActCommentCreate {
				target.Comment = nil
			}
			if Can(tc.u, a, target) {
				got += "Y"
			} else {
				got += "-"
			}
		}
		if got != tc.want {
			t.Errorf("%s: got %s, want %s (C E D R H Rs Di V)", tc.who, got, tc.want)
		}
	}
	// Wrong objects deny rather than panic.
	for _, a := range actions {
		for _, obj := range []any{nil, 42, &CommentTarget{Measure: open}, CommentTarget{Measure: open}} {
			if a != ActCommentCreate && Can(moderator, a, obj) {
				t.Errorf("%s on %s allowed", a, fmt.Sprintf("%#v", obj))
			}
		}
	}
	if !Can(moderator, ActViewAuditAll, nil) || !Can(admin, ActViewAuditAll, nil) || Can(reviewer, ActViewAuditAll, nil) || Can(sameFed, ActViewAuditAll, nil) {
		t.Error("audit.view_all must be moderators' and admins' only")
	}
}

func TestParseAuditObject(t *testing.T) {
	for in, want := range map[string]AuditObject{
		"": {}, "measure:12": {"measure", 12}, "user:5": {"user", 5}, "comment:9": {"comment", 9}, " comment:9 ": {"comment", 9},
	} {
		got, err := ParseAuditObject(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"measure", "measure:", "measure:x", "measure:-1", "measure:0", "org:1", "12", ":12", "measure:1:2"} {
		if _, err := ParseAuditObject(bad); ErrorKind(err) != EMalformed {
			t.Errorf("%q: %v, want malformed", bad, err)
		}
	}
}

func TestParseAuditTime(t *testing.T) {
	day := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		end  bool
		want time.Time
	}{
		{"2026-03-04", false, day},
		{"2026-03-04", true, day.AddDate(0, 0, 1)},
		{"2026-03-04T10:00:00Z", false, day.Add(10 * time.Hour)},
		{"2026-03-04T10:00:00+01:00", false, day.Add(9 * time.Hour)},
		{"2026-03-04T10:00:00Z", true, day.Add(10*time.Hour + time.Nanosecond)},
	}
	for _, tc := range cases {
		got, err := ParseAuditTime("from", tc.in, tc.end)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q end=%v: %v %v, want %v", tc.in, tc.end, got, err, tc.want)
		}
	}
	for _, bad := range []string{"04/03/2026", "2026-13-01", "yesterday", "2026-03-04 10:00"} {
		if _, err := ParseAuditTime("to", bad, true); ErrorKind(err) != EMalformed {
			t.Errorf("%q: %v, want malformed", bad, err)
		}
	}
}

func TestCheckAnchor_UTF16(t *testing.T) {
	body := "Le Maroc 🇲🇦 numérique\r\npour les PME"
	// 🇲🇦 is two astral characters: four UTF-16 units.
	ok := []AnchorInput{
		{Quote: "Maroc", From: 3, To: 8},
		{Quote: "🇲🇦", From: 9, To: 13},
		{Quote: "numérique\npour", From: 14, To: 28},
	}
	for _, a := range ok {
		if _, err := checkAnchor(body, &a); err != nil {
			t.Errorf("%+v: %v", a, err)
		}
	}
	bad := []AnchorInput{
		{Quote: "Maroc", From: 4, To: 9},
		{Quote: "🇲", From: 9, To: 10},    // half a pair
		{Quote: "", From: 3, To: 3},      // empty
		{Quote: "PME", From: 40, To: 43}, // out of range
		{Quote: "Maroc", From: 8, To: 3}, // reversed
		{Quote: "Maroc", From: -1, To: 4},
	}
	for _, a := range bad {
		if _, err := checkAnchor(body, &a); ErrorKind(err) != EInvalid {
			t.Errorf("%+v: %v, want invalid", a, err)
		}
	}
	got, err := checkAnchor(body, &AnchorInput{Quote: "numérique", Locate: true})
	if err != nil || got.From != 14 || got.To != 23 {
		t.Errorf("locate: %+v %v", got, err)
	}
	if _, err := checkAnchor(body, &AnchorInput{Quote: "absent", Locate: true}); ErrorKind(err) != EInvalid {
		t.Errorf("locate absent: %v", err)
	}
}
