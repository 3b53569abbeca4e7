package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// TestMeasures_ConflictShowsTheField: when two people change the title, the
// conflict names the title and shows its two versions, not a diff of the
// body nobody changed.
func TestMeasures_ConflictShowsTheField(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	ac := app.Login(author)
	m := msCreate(t, ac, "Titre d'origine")
	p := fmt.Sprintf("/measures/%d/edit", m.ID)
	body := strings.ReplaceAll(m.Body, "\n", "\r\n")
	form := url.Values{"title": {"Titre de Karim"}, "summary": {m.Summary}, "body": {body}, "pillar": {m.Pillar}, "axis": {*m.Axis},
		"base_title": {m.Title}, "base_summary": {m.Summary}, "base_body": {body}, "base_pillar": {m.Pillar}, "base_axis": {*m.Axis}, "revision": {"1"}}
	msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"title": "Titre de Salma", "revision": 1}, 200, nil)
	r := msForm(ac, p, form)
	msWantPage(t, r, 409, `class="notice conflict"`, `data-conflict-field="title"`,
		`data-version="theirs">Titre de Salma</div>`, `data-version="mine">Titre de Karim</div>`, "<del>Salma</del>", "<ins>Karim</ins>")
	page := string(r.Body)
	if strings.Contains(page, `data-conflict-field="body"`) || strings.Contains(page, `data-conflict-field="summary"`) {
		t.Errorf("the conflict shows fields nobody changed on both sides")
	}
	// The form keeps the person's title, and the measure keeps the other's.
	msWantPage(t, r, 409, `value="Titre de Karim"`)
	if got := msGet(t, ac, m.ID); got.Title != "Titre de Salma" {
		t.Errorf("title overwritten: %q", got.Title)
	}

	// Both change the pillar differently: the two choices are named.
	m2 := msCreate(t, ac, "Pilier")
	p2 := fmt.Sprintf("/measures/%d/edit", m2.ID)
	body2 := strings.ReplaceAll(m2.Body, "\n", "\r\n")
	msDo(t, ac, "PATCH", msPath(m2.ID), map[string]any{"pillar": "public_services", "axis": "", "revision": 1}, 200, nil)
	form2 := url.Values{"title": {m2.Title}, "summary": {m2.Summary}, "body": {body2}, "pillar": {"digital_economy"}, "axis": {""},
		"base_title": {m2.Title}, "base_summary": {m2.Summary}, "base_body": {body2}, "base_pillar": {m2.Pillar}, "base_axis": {*m2.Axis}, "revision": {"1"}}
	r = msForm(ac, p2, form2)
	msWantPage(t, r, 409, `data-conflict-field="pillar"`)
	if strings.Contains(string(r.Body), `data-conflict-field="body"`) {
		t.Errorf("pillar conflict shows the body")
	}
}
