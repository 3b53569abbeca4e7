package models_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"pacte/models"
	"pacte/models/storetest"
)

func mustUser(t *testing.T, s *models.Store, role, slug string) *models.User {
	t.Helper()
	u := &models.User{Email: fmt.Sprintf("%s-%s-%d@example.ma", role, slug, len(slug)+int(s.Now().UnixNano()%1e9)), Name: role + " " + slug,
		Role: role, Status: models.StatusActive, Locale: "fr", CreatedAt: s.Now(), UpdatedAt: s.Now()}
	if slug != "" {
		orgs, _ := s.Organizations(context.Background())
		for _, o := range orgs {
			if o.Slug == slug {
				id := o.ID
				u.OrganizationID = &id
			}
		}
	}
	if err := s.Write(context.Background(), func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestStore_ListVisibilityMatchesPolicy: the SQL filter of lists and search
// and CanSeeMeasure agree for every kind of person and measure.
func TestStore_ListVisibilityMatchesPolicy(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			feds := []string{"apebi", "ausim", "mnc", "msec"}
			var people []*models.User
			for _, f := range feds {
				people = append(people, mustUser(t, s, models.RoleMember, f))
			}
			people = append(people, mustUser(t, s, models.RoleReviewer, "ministry"), mustUser(t, s, models.RoleModerator, "mnc"),
				mustUser(t, s, models.RoleAdmin, ""))
			rev := people[4]
			// Measures: each federation leads drafts with every mix of
			// co-sponsor, outside editor and visibility, some submitted.
			for i, lead := range people[:4] {
				for variant := 0; variant < 8; variant++ {
					m, err := s.CreateMeasure(ctx, lead, models.NewMeasure{Title: fmt.Sprintf("M %d-%d", i, variant), Summary: "s", Body: "b", Pillar: "enablers"})
					if err != nil {
						t.Fatal(err)
					}
					other := people[(i+1)%4]
					if variant&1 != 0 {
						if err := s.Cosponsor(ctx, mustUser(t, s, models.RoleMember, feds[(i+2)%4]), m.ID); err == nil {
							t.Fatal("co-sponsored an invisible draft")
						}
						if _, err := s.AddEditor(ctx, lead, m.ID, other.ID); err != nil {
							t.Fatal(err)
						}
					}
					if variant&2 != 0 {
						if err := s.Cosponsor(ctx, other, m.ID); err != nil && variant&1 != 0 {
							t.Fatal(err)
						}
					}
					if variant&4 != 0 {
						if _, err := s.TransitionMeasure(ctx, lead, m.ID, models.TransSubmit, 0); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			all, err := s.ListMeasures(ctx, people[6], models.MeasureFilter{Limit: 200})
			if err != nil || len(all.Items) != 32 {
				t.Fatalf("admin sees %d measures (%v)", len(all.Items), err)
			}
			for _, u := range append(people, mustUser(t, s, models.RoleMember, "apebi")) {
				var want []int64
				for _, m := range all.Items {
					full, err := s.MeasureByID(ctx, people[6], m.ID)
					if err != nil {
						t.Fatal(err)
					}
					if models.CanSeeMeasure(u, full.Access()) {
						want = append(want, m.ID)
					}
					if models.ScopeOf(u).Sees(full.Access()) != models.CanSeeMeasure(u, full.Access()) {
						t.Errorf("%s of org %d, measure %d: the scope and CanSeeMeasure disagree", u.Role, u.OrgID(), m.ID)
					}
				}
				for _, f := range []models.MeasureFilter{{Limit: 200}, {Limit: 200, Query: "m "}, {Limit: 200, Pillar: "enablers"}} {
					page, err := s.ListMeasures(ctx, u, f)
					if err != nil {
						t.Fatal(err)
					}
					var got []int64
					for _, m := range page.Items {
						got = append(got, m.ID)
					}
					sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
					sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s of org %d, filter %+v: list %v, policy %v", u.Role, u.OrgID(), f, got, want)
					}
				}
				counts, err := s.MeasureCounts(ctx, u, models.MeasureFilter{})
				if err != nil {
					t.Fatal(err)
				}
				var n int64
				for _, c := range counts {
					n += c
				}
				if n != int64(len(want)) {
					t.Errorf("%s: counts add up to %d, sees %d", u.Role, n, len(want))
				}
			}
			// The reviewer sees exactly the submitted ones.
			page, _ := s.ListMeasures(ctx, rev, models.MeasureFilter{Limit: 200})
			for _, m := range page.Items {
				if !m.SubmittedOnce {
					t.Errorf("reviewer sees unsubmitted measure %d", m.ID)
				}
			}
			if len(page.Items) != 16 {
				t.Errorf("reviewer sees %d measures, want 16", len(page.Items))
			}
		})
	}
}

// TestStore_SaveRevision: the co-editor's entry point bumps the revision,
// snapshots the text and tells the page.
func TestStore_SaveRevision(t *testing.T) {
	s := storetest.Open(t, models.SQLite)
	ctx := context.Background()
	u := mustUser(t, s, models.RoleMember, "apebi")
	m, err := s.CreateMeasure(ctx, u, models.NewMeasure{Title: "T", Summary: "S", Body: "un", Pillar: "public_services"})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = s.Write(ctx, func(tx *models.Tx) error {
		if err := tx.Exec("UPDATE measures SET body = ?, collab_version = 3 WHERE id = ?", "deux", m.ID).Error; err != nil {
			return err
		}
		n, err = tx.SaveRevision(m.ID, models.RevisionCollab, []int64{u.ID, u.ID + 1000}, u)
		return err
	})
	if err != nil || n != 2 {
		t.Fatalf("SaveRevision: %d %v", n, err)
	}
	r, err := s.RevisionByNumber(ctx, u, m.ID, 2)
	if err != nil || r.Body != "deux" || r.Reason != "collab" || r.CollabVersion != 3 || len(r.Authors()) != 2 {
		t.Fatalf("revision 2: %+v %v", r, err)
	}
	got, _ := s.MeasureByID(ctx, u, m.ID)
	if got.Revision != 2 || got.CollabVersion != 3 {
		t.Errorf("measure after SaveRevision: revision %d collab_version %d", got.Revision, got.CollabVersion)
	}
}

// TestPolicy_CheckMeasure spot-checks the kind of each refusal.
func TestPolicy_CheckMeasure(t *testing.T) {
	org := func(n int64) *int64 { return &n }
	ed := &models.User{ID: 1, Role: models.RoleMember, Status: models.StatusActive, OrganizationID: org(1)}
	mate := &models.User{ID: 2, Role: models.RoleMember, Status: models.StatusActive, OrganizationID: org(1)}
	out := &models.User{ID: 3, Role: models.RoleMember, Status: models.StatusActive, OrganizationID: org(2)}
	rev := &models.User{ID: 4, Role: models.RoleReviewer, Status: models.StatusActive, OrganizationID: org(5)}
	susp := &models.User{ID: 5, Role: models.RoleMember, Status: models.StatusSuspended, OrganizationID: org(1)}
	draft := models.MeasureAccess{ID: 1, LeadOrgID: 1, EditorIDs: []int64{1, 5}, Visibility: "federation", Status: "draft"}
	inReview := draft
	inReview.Visibility, inReview.Status = "platform", "in_review"
	cases := []struct {
		u    *models.User
		a    models.Action
		m    models.MeasureAccess
		want string // "" allowed
	}{
		{ed, models.ActEditMeasure, draft, ""},
		{mate, models.ActEditMeasure, draft, models.EForbidden},
		{out, models.ActEditMeasure, draft, models.ENotFound},
		{rev, models.ActViewMeasure, draft, models.ENotFound},
		{susp, models.ActViewMeasure, draft, models.ENotFound},
		{ed, models.ActEditMeasure, inReview, models.EConflict},
		{rev, models.ActReviewMeasure, inReview, ""},
		{rev, models.ActReviewMeasure, draft, models.ENotFound},
		{ed, models.ActReviewMeasure, inReview, models.EForbidden},
		{out, models.ActCosponsor, inReview, ""},
		{mate, models.ActCosponsor, inReview, models.EConflict},
		{out, models.ActUncosponsor, inReview, models.EConflict},
		{nil, models.ActViewMeasure, inReview, models.ENotFound},
	}
	for i, c := range cases {
		err := models.CheckMeasure(c.u, c.a, c.m)
		got := ""
		if err != nil {
			got = models.ErrorKind(err)
		}
		if got != c.want {
			t.Errorf("case %d (%s): %q, want %q", i, c.a, got, c.want)
		}
		if models.Can(c.u, c.a, c.m) != (c.want == "") {
			t.Errorf("case %d: Can disagrees with CheckMeasure", i)
		}
	}
	if acts := models.AvailableMeasureActions(ed, draft); fmt.Sprint(acts) != "[measure.edit measure.submit measure.withdraw measure.manage_editors]" {
		t.Errorf("editor of a draft may: %v", acts)
	}
}
