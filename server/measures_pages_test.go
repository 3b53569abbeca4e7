package server_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

func msWantPage(t *testing.T, r *servertest.Response, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %.600s", r.Status, status, r.Body)
	}
	for _, s := range contains {
		if !strings.Contains(string(r.Body), s) {
			t.Errorf("page does not contain %q", s)
		}
	}
	if strings.Contains(string(r.Body), "measures.") {
		if m := regexp.MustCompile(`measures\.[a-z_.]+`).Find(r.Body); m != nil && !strings.Contains(string(m), ".css") {
			t.Errorf("untranslated key %q in page", m)
		}
	}
}

func TestMeasuresPages_Views(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	mate := app.User(models.RoleMember, "apebi")
	outsider := app.User(models.RoleMember, "msec")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ac, mc, oc, rc := app.Login(author), app.Login(mate), app.Login(outsider), app.Login(reviewer)
	m := msCreate(t, ac, "Formation de 100 000 jeunes aux métiers du numérique")
	id := fmt.Sprint(m.ID)

	t.Run("List", func(t *testing.T) {
		r := msHTML(ac, "/measures")
		msWantPage(t, r, 200, m.Title, `data-page="measures"`, `data-live-region="measure-list"`, `data-topics="measures user:`, `href="/measures/new"`)
		// The other federation does not see the draft, even by searching for it.
		r = msHTML(oc, "/measures?q=jeunes")
		msWantPage(t, r, 200)
		if strings.Contains(string(r.Body), m.Title) {
			t.Error("a federation draft shows in another federation's search")
		}
		msWantPage(t, msHTML(ac, "/measures?status=draft&pillar=enablers&q=JEUNES"), 200, m.Title)
		r = msHTML(ac, "/measures?status=approved")
		if strings.Contains(string(r.Body), m.Title) {
			t.Error("status filter ignored")
		}
		msWantPage(t, msHTML(rc, "/measures"), 200)
		if r := msHTML(app.Anonymous(), "/measures"); r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("anonymous list: %d %s", r.Status, r.Header.Get("Location"))
		}
	})
	t.Run("Measure", func(t *testing.T) {
		r := msHTML(ac, "/measures/"+id)
		msWantPage(t, r, 200, m.Title, `data-measure-id="`+id+`"`, `measure:`+id+` user:`, `<h2 id="`,
			`data-live-region="header"`, `data-live-region="status"`, `data-live-region="meta"`, `data-live-region="body"`,
			`data-live-region="actions"`, `data-live-region="reviews"`, `data-live-region="editors"`, `data-live-region="cosponsors"`,
			`data-live-region="history"`, `data-live-region="comments"`, `data-presence`,
			`action="/measures/`+id+`/submit"`, `href="/measures/`+id+`/edit"`, `action="/measures/`+id+`/open"`)
		// A member of the same federation sees it but has no editor's buttons.
		r = msHTML(mc, "/measures/"+id)
		msWantPage(t, r, 200, m.Title)
		if strings.Contains(string(r.Body), "/submit\"") || strings.Contains(string(r.Body), "/edit\"") {
			t.Error("non-editor is offered editor actions")
		}
		msWantPage(t, msHTML(oc, "/measures/"+id), 404)
		msWantPage(t, msHTML(rc, "/measures/"+id), 404)
		msWantPage(t, msHTML(oc, "/measures/"+id+"/history"), 404)
		msWantPage(t, msHTML(oc, "/measures/"+id+"/diff?from=1&to=1"), 404)
		msWantPage(t, msHTML(oc, "/measures/"+id+"/edit"), 404)
		msWantPage(t, msHTML(ac, "/measures/999999"), 404)
		msWantPage(t, msHTML(ac, "/measures/abc"), 404)
	})
	t.Run("Arabic", func(t *testing.T) {
		u := app.User(models.RoleMember, "apebi")
		if _, err := app.Store.UpdateProfile(t.Context(), u, models.ProfileChange{Locale: strPtr("ar")}); err != nil {
			t.Fatal(err)
		}
		c := app.Login(u)
		for _, p := range []string{"/measures", "/measures/" + id, "/measures/" + id + "/history", "/measures/new"} {
			msWantPage(t, msHTML(c, p), 200, `dir="rtl"`, `lang="ar"`)
		}
		msWantPage(t, msHTML(c, "/measures/"+id), 200, "التدابير")
	})
	t.Run("NewForm", func(t *testing.T) {
		msWantPage(t, msHTML(ac, "/measures/new"), 200, `name="title"`, `name="body"`, `<optgroup`)
		msWantPage(t, msHTML(rc, "/measures/new"), 403)
		r := msForm(ac, "/measures/new", url.Values{"title": {""}, "summary": {"s"}, "body": {"Mon texte gardé"}, "pillar": {"enablers"}, "axis": {"offshoring"}})
		msWantPage(t, r, 422, "Mon texte gardé", `class="field-error"`)
		r = msForm(ac, "/measures/new", url.Values{"title": {"Data centers"}, "summary": {"s"}, "body": {"**gras**"}, "pillar": {"enablers"}, "preview": {"1"}})
		msWantPage(t, r, 200, "<strong>gras</strong>")
		r = msForm(ac, "/measures/new", url.Values{"title": {"Data centers"}, "summary": {"Deux data centers"}, "body": {"Texte\r\nsur deux lignes"}, "pillar": {"enablers"}, "axis": {"cloud_computing"}})
		if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/measures/") {
			t.Fatalf("create by form: %d %s", r.Status, r.Body)
		}
		var created msMeasure
		msDo(t, ac, "GET", "/api/v1"+r.Header.Get("Location"), nil, 200, &created)
		if created.Body != "Texte\nsur deux lignes" {
			t.Errorf("line breaks not normalised: %q", created.Body)
		}
	})
	t.Run("EditForm", func(t *testing.T) {
		m := msCreate(t, ac, "Cloud souverain")
		p := fmt.Sprintf("/measures/%d/edit", m.ID)
		msWantPage(t, msHTML(ac, p), 200, `data-editor`, `data-measure="`+fmt.Sprint(m.ID)+`"`, `<textarea id="m-body" name="body"`,
			`data-save-state`, `data-label-saved=`, `data-preview`, `name="revision" value="1"`, `/static/js/editor.js`)
		msWantPage(t, msHTML(mc, p), 403)
		form := url.Values{"title": {"Cloud souverain national"}, "summary": {m.Summary}, "body": {"Ma version"}, "pillar": {"enablers"}, "axis": {"cloud_computing"}, "revision": {"1"}}
		// Someone else saves first.
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "Leur version", "revision": 1}, 200, nil)
		r := msForm(ac, p, form)
		msWantPage(t, r, 409, "Ma version", "<del>Leur</del>", `name="revision" value="2"`, `class="notice conflict"`)
		if got := msGet(t, ac, m.ID); got.Body != "Leur version" || got.Title != "Cloud souverain" {
			t.Fatalf("a stale form overwrote the measure: %q", got.Body)
		}
		// Saving again, knowingly, from the re-rendered form.
		form.Set("revision", "2")
		if r := msForm(ac, p, form); r.Status != 303 {
			t.Fatalf("second save: %d %.400s", r.Status, r.Body)
		}
		if got := msGet(t, ac, m.ID); got.Body != "Ma version" || got.Title != "Cloud souverain national" {
			t.Fatalf("after save: %q %q", got.Title, got.Body)
		}
		form.Set("revision", "3")
		form.Set("axis", "offshoring")
		msWantPage(t, msForm(ac, p, form), 422, "Ma version")
	})
	t.Run("EditFormMerge", func(t *testing.T) {
		m := msCreate(t, ac, "Fusion")
		p := fmt.Sprintf("/measures/%d/edit", m.ID)
		page := string(msHTML(ac, p).Body)
		for _, f := range []string{`name="base_title" value="Fusion"`, `name="base_pillar" value="enablers"`, `<textarea name="base_body"`} {
			if !strings.Contains(page, f) {
				t.Fatalf("edit form lacks %s", f)
			}
		}
		base := url.Values{"base_title": {m.Title}, "base_summary": {m.Summary}, "base_body": {strings.ReplaceAll(m.Body, "\n", "\r\n")},
			"base_pillar": {"enablers"}, "base_axis": {"cloud_computing"}, "revision": {"1"}}
		form := func(over map[string]string) url.Values {
			v := url.Values{"title": {m.Title}, "summary": {m.Summary}, "body": {strings.ReplaceAll(m.Body, "\n", "\r\n")}, "pillar": {"enablers"}, "axis": {"cloud_computing"}}
			for k, x := range base {
				v[k] = x
			}
			for k, x := range over {
				v.Set(k, x)
			}
			return v
		}
		// Someone else changes the title; I change the summary: both stay.
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"title": "Fusion (titre revu)", "revision": 1}, 200, nil)
		if r := msForm(ac, p, form(map[string]string{"summary": "Mon résumé"})); r.Status != 303 {
			t.Fatalf("merge of different fields: %d %.500s", r.Status, r.Body)
		}
		got := msGet(t, ac, m.ID)
		if got.Title != "Fusion (titre revu)" || got.Summary != "Mon résumé" || got.Revision != 3 {
			t.Fatalf("after merge: %q %q rev %d", got.Title, got.Summary, got.Revision)
		}
		// The co-editor saved the body the form also carries: no conflict.
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "Texte partagé", "revision": 3}, 200, nil)
		if r := msForm(ac, p, form(map[string]string{"body": "Texte partagé", "axis": "offshoring", "pillar": "digital_economy"})); r.Status != 303 {
			t.Fatalf("form carrying the shared text: %d %.500s", r.Status, r.Body)
		}
		if got := msGet(t, ac, m.ID); got.Pillar != "digital_economy" || got.Body != "Texte partagé" {
			t.Fatalf("after second merge: %s %q", got.Pillar, got.Body)
		}
		// Both change the body differently: refused, nothing overwritten.
		r := msForm(ac, p, form(map[string]string{"body": "Ma version à moi"}))
		msWantPage(t, r, 409, "Ma version à moi", `class="notice conflict"`, "<strong>"+"Texte de la mesure"+"</strong>")
		if got := msGet(t, ac, m.ID); got.Body != "Texte partagé" {
			t.Fatalf("conflicting form overwrote the body: %q", got.Body)
		}
	})
	t.Run("HistoryAndDiff", func(t *testing.T) {
		m := msCreate(t, ac, "Statut de la startup")
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "## Statut de la startup\n\nPremier paragraphe modifié.\n\n- un\n- deux\n- trois\n", "revision": 1}, 200, nil)
		base := fmt.Sprintf("/measures/%d", m.ID)
		msWantPage(t, msHTML(ac, base+"/history"), 200, author.Name, `data-revision="2"`, `data-revision="1"`, `name="from"`)
		r := msHTML(ac, base+"/diff?from=1&to=2")
		msWantPage(t, r, 200, `data-diff="side"`, "<ins>", `class="diff-changed"`, `class="diff-added"`)
		r = msHTML(ac, base+"/diff?from=1&to=2&mode=inline")
		msWantPage(t, r, 200, `data-diff="inline"`, "<ins>- trois", "<ins> modifié</ins>")
		msWantPage(t, msHTML(ac, base+"/diff?from=1&to=9"), 404)
		msWantPage(t, msHTML(ac, base+"/diff?from=x"), 400)
	})
	t.Run("ActionsAndReview", func(t *testing.T) {
		m := msCreate(t, ac, "Guichet unique")
		base := fmt.Sprintf("/measures/%d", m.ID)
		if r := msForm(ac, base+"/open", url.Values{"revision": {"1"}}); r.Status != 303 {
			t.Fatalf("open: %d", r.Status)
		}
		msWantPage(t, msHTML(oc, base), 200, "Guichet unique", `action="`+base+`/cosponsor"`)
		if r := msForm(oc, base+"/cosponsor", nil); r.Status != 303 {
			t.Fatalf("cosponsor by form: %d %.300s", r.Status, r.Body)
		}
		msWantPage(t, msHTML(oc, base), 200, `action="`+base+`/cosponsor/delete"`, "msec")
		if r := msForm(ac, base+"/submit", url.Values{"revision": {"2"}}); r.Status != 303 {
			t.Fatalf("submit by form: %d %.300s", r.Status, r.Body)
		}
		msWantPage(t, msHTML(rc, "/review"), 200, "Guichet unique")
		msWantPage(t, msHTML(ac, "/review"), 403)
		msWantPage(t, msHTML(rc, base), 200, `action="`+base+`/reviews"`, `name="decision"`)
		r := msForm(rc, base+"/reviews", url.Values{"decision": {"rejected"}, "note": {""}, "revision": {"3"}})
		msWantPage(t, r, 422, `class="field-error"`, `value="rejected" checked`)
		r = msForm(rc, base+"/reviews", url.Values{"decision": {"changes_requested"}, "note": {"Précisez le calendrier."}, "revision": {"3"}})
		if r.Status != 303 {
			t.Fatalf("review by form: %d %.300s", r.Status, r.Body)
		}
		msWantPage(t, msHTML(ac, base), 200, "Précisez le calendrier.", "status-changes_requested")
		// A stale action form re-renders the page with the reason.
		msWantPage(t, msForm(ac, base+"/submit", url.Values{"revision": {"3"}}), 409, `class="form-error"`)
	})
	t.Run("Editors", func(t *testing.T) {
		m := msCreate(t, ac, "Data centers")
		base := fmt.Sprintf("/measures/%d", m.ID)
		msWantPage(t, msHTML(ac, base), 200, `href="`+base+`/editors"`)
		msWantPage(t, msHTML(ac, base+"/editors"), 200, `name="user_id"`, outsider.Name)
		msWantPage(t, msHTML(mc, base+"/editors"), 403)
		msWantPage(t, msForm(ac, base+"/editors", url.Values{"user_id": {fmt.Sprint(reviewer.ID)}}), 422, `class="field-error"`)
		if r := msForm(ac, base+"/editors", url.Values{"user_id": {fmt.Sprint(outsider.ID)}}); r.Status != 303 {
			t.Fatalf("add editor: %d %.300s", r.Status, r.Body)
		}
		// The co-editor from another federation now sees the draft and can edit it.
		msWantPage(t, msHTML(oc, base+"/edit"), 200, `data-editor`)
		// Leaving asks first (confirmed=yes is what the confirmation sends).
		if r := msForm(oc, fmt.Sprintf("%s/editors/%d/delete", base, outsider.ID), url.Values{"confirmed": {"yes"}}); r.Status != 303 || r.Header.Get("Location") != "/measures" {
			t.Fatalf("leave: %d %s", r.Status, r.Header.Get("Location"))
		}
		msWantPage(t, msHTML(oc, base), 404)
	})
}

func strPtr(s string) *string { return &s }
