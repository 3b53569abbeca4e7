package models_test

import (
	"testing"

	"pacte/models"
)

// TestPolicy_Suggestions is the permission table of suggestions: every kind
// of person × their relation to the measure × its visibility and status ×
// suggest, accept, reject (someone else's) and withdraw (their own).
func TestPolicy_Suggestions(t *testing.T) {
	const apebi, ausim, ministry = 1, 2, 5
	people := []struct {
		name string
		u    *models.User
	}{
		{"editor", person(1, models.RoleMember, models.StatusActive, apebi)},
		{"same federation", person(2, models.RoleMember, models.StatusActive, apebi)},
		{"other federation", person(3, models.RoleMember, models.StatusActive, ausim)},
		{"reviewer", person(4, models.RoleReviewer, models.StatusActive, ministry)},
		{"moderator", person(5, models.RoleModerator, models.StatusActive, ministry)},
		{"admin", person(6, models.RoleAdmin, models.StatusActive, 0)},
		{"suspended editor", person(7, models.RoleMember, models.StatusSuspended, apebi)},
	}
	statuses := []string{models.StatusDraft, models.StatusInReview, models.StatusChangesRequested,
		models.StatusApproved, models.StatusRejected, models.StatusWithdrawn}
	for _, vis := range []string{models.VisibilityFederation, models.VisibilityPlatform} {
		for _, status := range statuses {
			m := models.MeasureAccess{ID: 9, LeadOrgID: apebi, EditorIDs: []int64{1, 7}, Visibility: vis, Status: status}
			suggestable := status == models.StatusDraft || status == models.StatusInReview || status == models.StatusChangesRequested
			editable := status == models.StatusDraft || status == models.StatusChangesRequested
			for _, p := range people {
				sees := p.u.Active() && models.CanSeeMeasure(p.u, m)
				editor := p.u.ID == 1
				want := map[string]string{}
				switch {
				case !sees:
					for _, a := range []string{"suggest", "accept", "reject", "withdraw"} {
						want[a] = "not_found"
					}
				default:
					want["suggest"] = pick(suggestable, "", "not_editable")
					want["accept"] = pick(!editor, "forbidden", pick(editable, "", "not_editable"))
					want["reject"] = pick(!editor, "forbidden", pick(suggestable, "", "not_editable"))
					want["withdraw"] = pick(suggestable, "", "not_editable")
				}
				checks := map[string]error{
					"suggest":  models.CheckSuggestion(p.u, models.ActSuggest, m),
					"accept":   models.CheckSuggestion(p.u, models.ActSuggestionAccept, models.SuggestionTarget{Measure: m, AuthorID: 99}),
					"reject":   models.CheckSuggestion(p.u, models.ActSuggestionReject, models.SuggestionTarget{Measure: m, AuthorID: 99}),
					"withdraw": models.CheckSuggestion(p.u, models.ActSuggestionReject, models.SuggestionTarget{Measure: m, AuthorID: p.u.ID}),
				}
				for a, err := range checks {
					got := ""
					if err != nil {
						got = codeOf(err)
					}
					if got != want[a] {
						t.Errorf("%s, %s %s measure: %s gives %q, want %q", p.name, vis, status, a, got, want[a])
					}
					// Can agrees with CheckSuggestion, for templates.
					act := map[string]models.Action{"suggest": models.ActSuggest, "accept": models.ActSuggestionAccept,
						"reject": models.ActSuggestionReject, "withdraw": models.ActSuggestionReject}[a]
					var obj any = models.SuggestionTarget{Measure: m, AuthorID: 99}
					if a == "suggest" {
						obj = m
					} else if a == "withdraw" {
						obj = models.SuggestionTarget{Measure: m, AuthorID: p.u.ID}
					}
					if models.Can(p.u, act, obj) != (got == "") {
						t.Errorf("%s, %s %s measure: Can(%s) disagrees with CheckSuggestion", p.name, vis, status, a)
					}
				}
			}
		}
	}
	// A few cells spelled out, so the table cannot drift with the rule.
	other := people[2].u
	platformDraft := models.MeasureAccess{ID: 9, LeadOrgID: apebi, EditorIDs: []int64{1}, Visibility: models.VisibilityPlatform, Status: models.StatusDraft}
	if err := models.CheckSuggestion(other, models.ActSuggest, platformDraft); err != nil {
		t.Errorf("another federation suggests on a platform draft: %v", err)
	}
	fedDraft := platformDraft
	fedDraft.Visibility = models.VisibilityFederation
	if err := models.CheckSuggestion(other, models.ActSuggest, fedDraft); codeOf(err) != "not_found" {
		t.Errorf("another federation on a federation draft: %v", err)
	}
	if err := models.CheckSuggestion(other, models.ActSuggest, "not a measure"); codeOf(err) != "not_found" {
		t.Errorf("a wrong object: %v", err)
	}
	if err := models.CheckSuggestion(people[0].u, models.ActSuggestionAccept, platformDraft); codeOf(err) != "forbidden" {
		t.Errorf("accept without a suggestion: %v", err)
	}
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}
