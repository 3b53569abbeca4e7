package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// presentJS tells whether the page's presence list shows a user.
func presentJS(id int64) string {
	return fmt.Sprintf(`document.querySelector('[data-presence] [data-user-id="%d"]') !== null`, id)
}

// notReloaded marks the page so that a later check can tell it was updated
// in place rather than loaded again.
func notReloaded(tab *Tab) {
	tab.T.Helper()
	Eval[bool](tab, `(window.__pacteNoReload = true)`)
}

func assertNotReloaded(tab *Tab, what string) {
	tab.T.Helper()
	if !Eval[bool](tab, `window.__pacteNoReload === true`) {
		tab.T.Errorf("[%s] the page was reloaded for %s; it should update in place", tab.Name, what)
	}
}

// TestLive_MeasurePageAndList is issue 4 in two browsers: both people show
// in each other's presence list; a reviewer's decision, taken on the page,
// changes the author's status badge and buttons without a reload; leaving
// the page removes the reviewer from the presence list; the measures list
// gains a measure created elsewhere, for a member of the same federation at
// once and for another federation's member once it is opened to the
// platform; the connection indicator says the page is live.
func TestLive_MeasurePageAndList(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	colleague := person(t, app, models.RoleMember, "apebi", "Omar Alaoui")
	youssef := person(t, app, models.RoleMember, "ausim", "Youssef El Idrissi")
	reviewer := person(t, app, models.RoleReviewer, "ministry", "Karim Tazi")
	ctx := context.Background()
	m, err := app.Store.CreateMeasure(ctx, amina, models.NewMeasure{Title: "Accélérer la numérisation des PME",
		Summary: "Un guichet unique pour les PME.", Body: measureBody, Pillar: "digital_economy", Axis: "sme_digitalisation"})
	if err != nil {
		t.Fatal(err)
	}
	if m, err = app.Store.TransitionMeasure(ctx, amina, m.ID, models.TransSubmit, m.Revision); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/measures/%d", m.ID)

	a := newBrowser(t, app)
	a.Name = "amina"
	login(a, amina)
	a.Go(page)
	r := a.NewWindow("reviewer")
	login(r, reviewer)
	r.Go(page)

	// Both online, both present on both pages; each sees itself marked.
	for _, tab := range []*Tab{a, r} {
		tab.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)
		if got := tab.Text("[data-live-indicator]"); got != "En direct" {
			t.Errorf("[%s] the connection indicator reads %q", tab.Name, got)
		}
		tab.WaitUntil(presentJS(amina.ID) + " && " + presentJS(reviewer.ID))
	}
	if !a.Has(fmt.Sprintf(`[data-presence] [data-user-id="%d"][data-self]`, amina.ID)) || a.Has(fmt.Sprintf(`[data-presence] [data-user-id="%d"][data-self]`, reviewer.ID)) {
		t.Error("Amina's presence list does not mark her, and only her, as herself")
	}
	if got := a.Attr(fmt.Sprintf(`[data-presence] [data-user-id="%d"]`, reviewer.ID), "title"); !strings.Contains(got, reviewer.Name) || !strings.Contains(got, "consulte") {
		t.Errorf("the reviewer's avatar is titled %q", got)
	}
	expectStatus(a, models.StatusInReview, "En examen")
	if a.Has(fmt.Sprintf(`.measure-actions a[href="%s/edit"]`, page)) {
		t.Fatal("a measure in review offers its author the edit button")
	}
	a.Snapshot("live-measure-before")

	// The reviewer asks for changes with the page's form; Amina's page
	// follows without a reload: badge, notice, review and buttons.
	notReloaded(a)
	r.Click(`.review-form input[name="decision"][value="changes_requested"]`)
	typeInto(r, "#review-note", "Chiffrez le guichet unique.")
	r.ClickAndWait(`.review-form button[type=submit]`)
	expectStatus(r, models.StatusChangesRequested, "Modifications demandées")

	expectStatus(a, models.StatusChangesRequested, "Modifications demandées")
	a.WaitVisible(fmt.Sprintf(`.measure-actions a[href="%s/edit"]`, page))
	a.WaitVisible(fmt.Sprintf(`.measure-actions form[action="%s/submit"] button`, page))
	a.WaitUntil(`document.querySelector(".measure-reviews")?.textContent.includes("Chiffrez le guichet unique.")`)
	if !a.Has(".measure-status .notice") {
		t.Error("Amina's page does not show the changes-requested notice")
	}
	assertNotReloaded(a, "the review")
	a.Snapshot("live-measure-after")

	// The reviewer leaves: gone from Amina's presence list within seconds.
	r.Go("/review")
	a.WaitUntil("!(" + presentJS(reviewer.ID) + ")")
	if !Eval[bool](a, presentJS(amina.ID)) {
		t.Error("Amina vanished from her own presence list")
	}

	// The list. Amina (APEBI) and Youssef (AUSIM) watch it; Omar, of APEBI,
	// creates a measure with the API: Amina's list shows it, then Youssef's
	// once it is opened to the whole platform.
	y := a.NewWindow("youssef")
	login(y, youssef)
	a.Go("/measures")
	y.Go("/measures")
	for _, tab := range []*Tab{a, y} {
		tab.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)
		notReloaded(tab)
	}
	if got := y.Text(`[data-count-status="all"]`); got != "1" {
		t.Errorf("Youssef's list counts %s measures, want 1 (the submitted one)", got)
	}
	api := app.Login(colleague)
	var created struct {
		ID       int64 `json:"id"`
		Revision int   `json:"revision"`
	}
	if st := api.Do("POST", "/api/v1/measures", map[string]any{"title": "Un cloud souverain pour l'administration",
		"summary": "Héberger les données publiques au Maroc.", "body": "Texte.", "pillar": "enablers", "axis": "cloud_computing"}, &created); st != 201 {
		t.Fatalf("create: %d", st)
	}
	row := fmt.Sprintf(`.measure-list [data-measure-row="%d"]`, created.ID)
	a.WaitVisible(row)
	a.WaitUntil(`document.querySelector('[data-count-status="all"]')?.textContent.trim() === "2"`)
	if got := a.Text(`[data-count-status="draft"]`); got != "1" {
		t.Errorf("Amina's draft count after the creation: %q", got)
	}
	assertNotReloaded(a, "a new measure")
	a.Snapshot("live-list")
	if y.Has(row) {
		t.Error("a federation-only draft of APEBI appeared in the list of a member of AUSIM")
	}
	if st := api.Do("PATCH", fmt.Sprintf("/api/v1/measures/%d", created.ID), map[string]any{"visibility": "platform", "revision": created.Revision}, nil); st != 200 {
		t.Fatalf("open to the platform: %d", st)
	}
	y.WaitVisible(row)
	y.WaitUntil(`document.querySelector('[data-count-status="all"]')?.textContent.trim() === "2"`)
	assertNotReloaded(y, "a measure opened to the platform")

	for _, tab := range []*Tab{a, r, y} {
		tab.AssertCleanConsole()
	}
}
