package models_test

import (
	"errors"
	"testing"

	"pacte/models"
)

// TestPolicy_Publication: who may publish and unpublish, and in which
// state of the measure (docs/API.md "Publication…").
func TestPolicy_Publication(t *testing.T) {
	const apebi, ministry = 1, 5
	member := person(1, models.RoleMember, models.StatusActive, apebi)
	reviewer := person(2, models.RoleReviewer, models.StatusActive, ministry)
	moderator := person(3, models.RoleModerator, models.StatusActive, apebi)
	admin := person(4, models.RoleAdmin, models.StatusActive, 0)
	approved := models.MeasureAccess{ID: 9, LeadOrgID: apebi, EditorIDs: []int64{1}, Visibility: models.VisibilityPlatform,
		Status: models.StatusApproved, Approved: true}
	published := approved
	published.Published = true
	amending := published
	amending.Status = models.StatusDraft
	inReview := approved
	inReview.Status, inReview.Approved = models.StatusInReview, false
	federal := approved
	federal.Visibility = models.VisibilityFederation

	cases := []struct {
		name string
		u    *models.User
		act  models.Action
		m    models.MeasureAccess
		code string // "" allowed
	}{
		{"reviewer publishes an approved measure", reviewer, models.ActPublishMeasure, approved, ""},
		{"admin publishes", admin, models.ActPublishMeasure, approved, ""},
		{"its editor may not", member, models.ActPublishMeasure, approved, "forbidden"},
		{"a moderator may not", moderator, models.ActPublishMeasure, approved, "forbidden"},
		{"nothing approved yet", reviewer, models.ActPublishMeasure, inReview, "not_approved"},
		{"federation only (reviewers do not even see it)", reviewer, models.ActPublishMeasure, federal, "not_found"},
		{"federation only", admin, models.ActPublishMeasure, federal, "not_public"},
		{"twice", reviewer, models.ActPublishMeasure, published, "already_published"},
		{"unpublish", reviewer, models.ActUnpublish, published, ""},
		{"unpublish during an amendment", admin, models.ActUnpublish, amending, ""},
		{"unpublish what is not", reviewer, models.ActUnpublish, approved, "not_published"},
		{"an editor may not unpublish", member, models.ActUnpublish, published, "forbidden"},
	}
	for _, c := range cases {
		err := models.CheckMeasure(c.u, c.act, c.m)
		switch {
		case c.code == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.code != "" && (err == nil || codeOf(err) != c.code):
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
}

func codeOf(err error) string {
	var e *models.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
