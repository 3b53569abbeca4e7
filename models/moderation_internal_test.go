package models

import (
	"testing"
	"time"
)

// TestModerationItems: the queue keeps the order it was read in, leaves
// out what the moderator may not see, and puts each comment's open
// reports under it with their reporters' names (or just their ids when the
// account is gone).
func TestModerationItems(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rows := []Comment{{ID: 30, MeasureID: 2}, {ID: 20, MeasureID: 1}, {ID: 10, MeasureID: 1}}
	views := map[int64]*CommentView{30: {Comment: Comment{ID: 30}}, 10: {Comment: Comment{ID: 10}}} // 20 is on a measure the moderator cannot see
	titles := []MeasureTitle{{ID: 1, Title: "Cloud souverain"}, {ID: 2, Title: "Former 100 000 jeunes"}}
	org := int64(3)
	reporters := map[int64]*User{7: {ID: 7, Name: "Salma", OrganizationID: &org}}
	reports := []Report{
		{CommentID: 10, ReporterID: 7, Reason: "Hors sujet", CreatedAt: t0},
		{CommentID: 10, ReporterID: 8, Reason: "Insultant", CreatedAt: t0.Add(time.Hour)},
		{CommentID: 20, ReporterID: 7, Reason: "Spam", CreatedAt: t0},
	}
	items := moderationItems(rows, views, titles, reports, reporters)
	if len(items) != 2 || items[0].Comment.ID != 30 || items[1].Comment.ID != 10 {
		t.Fatalf("items %+v", items)
	}
	if items[0].MeasureTitle != "Former 100 000 jeunes" || len(items[0].Reports) != 0 {
		t.Errorf("hidden comment without reports: %+v", items[0])
	}
	r := items[1].Reports
	if items[1].MeasureTitle != "Cloud souverain" || len(r) != 2 {
		t.Fatalf("reported comment: %+v", items[1])
	}
	if r[0].Reason != "Hors sujet" || r[0].Reporter.Name != "Salma" || r[0].Reporter.OrganizationID == nil || *r[0].Reporter.OrganizationID != 3 {
		t.Errorf("first report %+v", r[0])
	}
	if r[1].Reason != "Insultant" || r[1].Reporter.ID != 8 || r[1].Reporter.Name != "" {
		t.Errorf("report by a gone account %+v", r[1])
	}
	if got := moderationItems(nil, nil, nil, nil, nil); got == nil || len(got) != 0 {
		t.Errorf("an empty queue is %#v, want an empty list", got)
	}
}
