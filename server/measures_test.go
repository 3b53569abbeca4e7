package server_test

import (
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// TestMeasures_Workflow walks the docs/DESIGN.md diagram through the API on every
// engine: draft → submit → changes requested → edit → submit → approve.
func TestMeasures_Workflow(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		reviewer := app.User(models.RoleReviewer, "ministry")
		ac, rc := app.Login(author), app.Login(reviewer)

		m := msCreate(t, ac, "Guichet unique numérique pour les entreprises")
		if m.Status != "draft" || m.Revision != 1 || m.Visibility != "federation" || m.LeadOrganizationID != author.OrgID() {
			t.Fatalf("new measure: %+v", m)
		}
		if len(m.Editors) != 1 || m.Editors[0].ID != author.ID || m.Editors[0].Email != "" {
			t.Fatalf("editors of a new measure: %+v", m.Editors)
		}
		if !strings.Contains(m.BodyHTML, "<h2") || !strings.Contains(m.BodyHTML, "<li>un</li>") {
			t.Errorf("body_html not rendered: %q", m.BodyHTML)
		}
		if m.Axis == nil || *m.Axis != "cloud_computing" || m.CosponsorIDs == nil {
			t.Errorf("axis %v cosponsor_ids %v", m.Axis, m.CosponsorIDs)
		}
		// A federation draft does not exist for the reviewer yet.
		msWantError(t, rc.Request("GET", msPath(m.ID), nil), 404, "not_found")

		var edited msMeasure
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "Texte révisé.", "revision": 1}, 200, &edited)
		if edited.Revision != 2 || edited.Body != "Texte révisé." {
			t.Fatalf("after edit: revision %d body %q", edited.Revision, edited.Body)
		}

		var sub msMeasure
		msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &sub)
		if sub.Status != "in_review" || sub.Visibility != "platform" || sub.Revision != 3 {
			t.Fatalf("after submit: %s %s %d", sub.Status, sub.Visibility, sub.Revision)
		}
		// Submitting froze the text.
		msWantError(t, ac.Request("PATCH", msPath(m.ID), map[string]any{"body": "x", "revision": 3}), 409, "not_editable")

		// The reviewer must give a reason, and review the current revision.
		r := rc.Request("POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "changes_requested", "revision": 3})
		msWantError(t, r, 422, "invalid_fields")
		msWantError(t, rc.Request("POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "changes_requested", "note": "Chiffrer.", "revision": 2}), 409, "stale_revision")
		var rev struct {
			msReview
			Measure struct {
				Status   string `json:"status"`
				Revision int    `json:"revision"`
			} `json:"measure"`
		}
		msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "changes_requested", "note": "Chiffrer le coût.", "revision": 3}, 201, &rev)
		if rev.Decision != "changes_requested" || rev.Revision != 3 || rev.Measure.Status != "changes_requested" || rev.Reviewer == nil || rev.Reviewer.ID != reviewer.ID {
			t.Fatalf("review: %+v", rev)
		}

		cur := msGet(t, ac, m.ID)
		if cur.Status != "changes_requested" || len(cur.Reviews) != 1 || cur.Reviews[0].Note != "Chiffrer le coût." || !cur.can("measure.edit") || !cur.can("measure.submit") {
			t.Fatalf("after changes requested: %+v", cur)
		}
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "Texte chiffré : 40 MDH.", "revision": cur.Revision}, 200, &cur)
		msDo(t, ac, "POST", msPath(m.ID, "/submit"), map[string]any{"revision": cur.Revision}, 200, &cur)
		if cur.Status != "in_review" {
			t.Fatalf("resubmitted: %s", cur.Status)
		}
		// Reviewing a measure not in review is refused; approving is not for members.
		msWantError(t, ac.Request("POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "approved", "revision": cur.Revision}), 403, "forbidden")
		approvedRev := cur.Revision
		msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "approved", "note": "", "revision": cur.Revision}, 201, nil)
		cur = msGet(t, ac, m.ID)
		if cur.Status != "approved" || cur.PublishedRevision == nil || *cur.PublishedRevision != approvedRev || cur.Published != nil {
			t.Fatalf("approved: status %s published %v %+v", cur.Status, cur.PublishedRevision, cur.Published)
		}
		msWantError(t, rc.Request("POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "approved", "revision": cur.Revision}), 409, "illegal_transition")
		msWantError(t, ac.Request("POST", msPath(m.ID, "/withdraw"), nil), 409, "illegal_transition")

		// Every step left a revision and its events, all on the measure's topic.
		var revs struct {
			Items []struct {
				Number  int         `json:"number"`
				Reason  string      `json:"reason"`
				Status  string      `json:"status"`
				Authors []msUserRef `json:"authors"`
			} `json:"items"`
		}
		msDo(t, ac, "GET", msPath(m.ID, "/revisions"), nil, 200, &revs)
		reasons := []string{}
		for _, r := range revs.Items {
			reasons = append(reasons, r.Reason)
			if len(r.Authors) != 1 {
				t.Errorf("revision %d authors %+v", r.Number, r.Authors)
			}
		}
		want := "approve submit edit request_changes submit edit create"
		if strings.Join(reasons, " ") != want {
			t.Errorf("revision reasons (newest first) %v, want %s", reasons, want)
		}
		if len(revs.Items) != cur.Revision || revs.Items[0].Number != cur.Revision {
			t.Errorf("%d revisions, current %d", len(revs.Items), cur.Revision)
		}
		ev := msEvents(t, app, m.ID)
		for typ, n := range map[string]int{"measure.created": 1, "measure.updated": 2, "measure.status_changed": 4,
			"measure.revision_saved": 6, "review.created": 2} {
			if msCount(ev, typ) != n {
				t.Errorf("%d %s events, want %d (%v)", msCount(ev, typ), typ, n, ev)
			}
		}
		var bad int64
		app.Store.Read(t.Context()).Model(&models.Event{}).Where("measure_id = ? AND topic <> ?", m.ID, models.MeasureTopic(m.ID)).Count(&bad)
		if bad != 0 {
			t.Errorf("%d measure events outside topic %s", bad, models.MeasureTopic(m.ID))
		}
	})
}

func TestMeasures_RejectAndWithdraw(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "ausim")
		reviewer := app.User(models.RoleReviewer, "ministry")
		ac, rc := app.Login(author), app.Login(reviewer)

		t.Run("Reject", func(t *testing.T) {
			m := msCreate(t, ac, "Cloud souverain")
			var cur msMeasure
			msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &cur)
			msWantError(t, rc.Request("POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "rejected", "note": "  ", "revision": cur.Revision}), 422, "invalid_fields")
			msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "rejected", "note": "Hors périmètre.", "revision": cur.Revision}, 201, nil)
			cur = msGet(t, ac, m.ID)
			if cur.Status != "rejected" || len(cur.AvailableActions) != 0 {
				t.Fatalf("rejected: %s %v", cur.Status, cur.AvailableActions)
			}
			for _, p := range []string{"/submit", "/withdraw", "/amend"} {
				msWantError(t, ac.Request("POST", msPath(m.ID, p), nil), 409, "illegal_transition")
			}
		})
		t.Run("WithdrawDraft", func(t *testing.T) {
			m := msCreate(t, ac, "Statut de la startup")
			var cur msMeasure
			msDo(t, ac, "POST", msPath(m.ID, "/withdraw"), nil, 200, &cur)
			if cur.Status != "withdrawn" || cur.Visibility != "federation" {
				t.Fatalf("withdrawn draft: %s %s", cur.Status, cur.Visibility)
			}
			msWantError(t, ac.Request("PATCH", msPath(m.ID), map[string]any{"title": "x", "revision": cur.Revision}), 409, "not_editable")
			msWantError(t, ac.Request("POST", msPath(m.ID, "/submit"), nil), 409, "illegal_transition")
		})
		t.Run("WithdrawInReview", func(t *testing.T) {
			m := msCreate(t, ac, "5G et couverture des zones rurales")
			var cur msMeasure
			msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &cur)
			msDo(t, ac, "POST", msPath(m.ID, "/withdraw"), map[string]any{"revision": cur.Revision}, 200, &cur)
			if cur.Status != "withdrawn" {
				t.Fatalf("withdrawn: %s", cur.Status)
			}
			msWantError(t, rc.Request("POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "approved", "revision": cur.Revision}), 409, "illegal_transition")
			// Still visible to the reviewer: it was submitted once.
			msGet(t, rc, m.ID)
		})
		t.Run("SubmitStaleRevision", func(t *testing.T) {
			m := msCreate(t, ac, "Commande publique ouverte aux startups")
			msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"summary": "Nouveau résumé", "revision": 1}, 200, nil)
			msWantError(t, ac.Request("POST", msPath(m.ID, "/submit"), map[string]any{"revision": 1}), 409, "stale_revision")
			if msGet(t, ac, m.ID).Status != "draft" {
				t.Fatal("a stale submit changed the status")
			}
		})
		t.Run("SubmitEmptyBody", func(t *testing.T) {
			m := msCreate(t, ac, "Identité numérique")
			msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "", "revision": 1}, 200, nil)
			msWantError(t, ac.Request("POST", msPath(m.ID, "/submit"), nil), 422, "invalid_fields")
		})
	})
}

// TestMeasures_Amend: an approved measure is amended through a new draft
// while the approved text stays published.
func TestMeasures_Amend(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "mnc")
		other := app.User(models.RoleMember, "msec")
		reviewer := app.User(models.RoleReviewer, "ministry")
		ac, oc, rc := app.Login(author), app.Login(other), app.Login(reviewer)

		approve := func(t *testing.T, id int64) msMeasure {
			t.Helper()
			var cur msMeasure
			msDo(t, ac, "POST", msPath(id, "/submit"), nil, 200, &cur)
			msDo(t, rc, "POST", msPath(id, "/reviews"), map[string]any{"decision": "approved", "revision": cur.Revision}, 201, nil)
			return msGet(t, ac, id)
		}
		m := msCreate(t, ac, "Digitalisation des PME via chèque numérique")
		approved := approve(t, m.ID)
		approvedBody, approvedRev := approved.Body, *approved.PublishedRevision

		msWantError(t, oc.Request("POST", msPath(m.ID, "/amend"), nil), 403, "forbidden")
		var cur msMeasure
		msDo(t, ac, "POST", msPath(m.ID, "/amend"), nil, 200, &cur)
		if cur.Status != "draft" || cur.Published == nil || cur.Published.Revision != approvedRev || cur.Published.Body != approvedBody {
			t.Fatalf("amending: %s %+v", cur.Status, cur.Published)
		}
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "Chèque porté à 20 000 DH.", "revision": cur.Revision}, 200, &cur)
		// Everyone who sees the measure still sees the approved text as published.
		seen := msGet(t, oc, m.ID)
		if seen.Published == nil || seen.Published.Body != approvedBody || seen.Body != "Chèque porté à 20 000 DH." || !strings.Contains(seen.Published.BodyHTML, "Premier paragraphe") {
			t.Fatalf("during amendment, other member sees %+v", seen.Published)
		}
		msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &cur)
		msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "approved", "revision": cur.Revision}, 201, nil)
		cur = msGet(t, ac, m.ID)
		if cur.Status != "approved" || cur.Published != nil || *cur.PublishedRevision != cur.Revision-1 || cur.Body != "Chèque porté à 20 000 DH." {
			t.Fatalf("amendment approved: %s published_revision %v revision %d", cur.Status, *cur.PublishedRevision, cur.Revision)
		}

		t.Run("WithdrawAmendment", func(t *testing.T) {
			m := msCreate(t, ac, "Offshoring nearshore")
			a := approve(t, m.ID)
			var cur msMeasure
			msDo(t, ac, "POST", msPath(m.ID, "/amend"), nil, 200, &cur)
			msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"title": "Offshoring et nearshore", "body": "Autre texte", "revision": cur.Revision}, 200, &cur)
			msDo(t, ac, "POST", msPath(m.ID, "/withdraw"), nil, 200, &cur)
			if cur.Status != "approved" || cur.Body != a.Body || cur.Title != a.Title || *cur.PublishedRevision != *a.PublishedRevision {
				t.Fatalf("withdrawn amendment: %s %q %q", cur.Status, cur.Title, cur.Body)
			}
		})
		t.Run("RejectAmendment", func(t *testing.T) {
			m := msCreate(t, ac, "IA dans l'administration")
			a := approve(t, m.ID)
			var cur msMeasure
			msDo(t, ac, "POST", msPath(m.ID, "/amend"), nil, 200, &cur)
			msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "Texte rejeté", "revision": cur.Revision}, 200, &cur)
			msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &cur)
			msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "rejected", "note": "Non.", "revision": cur.Revision}, 201, nil)
			cur = msGet(t, ac, m.ID)
			if cur.Status != "approved" || cur.Body != a.Body || cur.Reviews[len(cur.Reviews)-1].Decision != "rejected" {
				t.Fatalf("rejected amendment: %s %q", cur.Status, cur.Body)
			}
		})
	})
}
