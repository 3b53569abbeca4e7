package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server/servertest"
)

// newDraft makes a draft of APEBI through the store.
func newDraft(t *testing.T, app *servertest.App, author *models.User, title string) *models.Measure {
	t.Helper()
	m, err := app.Store.CreateMeasure(context.Background(), author, models.NewMeasure{Title: title,
		Summary: "Ce que la mesure change, et pour qui.", Body: measureBody, Pillar: "digital_economy", Axis: "sme_digitalisation"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// blockAPI makes the measure API unreachable for the tab (requests fail as
// on a lost connection; the websocket stays), or reachable again.
func blockAPI(tab *Tab, block bool) {
	tab.T.Helper()
	tab.step(fmt.Sprintf("block the API=%v", block), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		var patterns []*network.BlockPattern
		if block {
			patterns = []*network.BlockPattern{{URLPattern: "*://*:*/api/v1/measures/*", Block: true}}
		}
		_, err := cdp.Call(ctx, t, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns})
		return err
	}))
}

// replaceText selects the whole text of a field and types over it, the way
// a person does (an input method's insertText: input events, whole words).
func replaceText(tab *Tab, sel, value string) {
	tab.T.Helper()
	if !Eval[bool](tab, fmt.Sprintf(`(el => { el.focus(); el.select(); return document.activeElement === el; })(document.querySelector(%q))`, sel)) {
		tab.T.Fatalf("[%s] cannot focus %s", tab.Name, sel)
	}
	insertText(tab, value)
}

// leavingAsks tells whether leaving the page now would ask first.
const leavingAsks = `(() => { const e = new Event("beforeunload", {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented; })()`

// allSaved: the status line and both the body and the other fields say saved.
const allSaved = `window.pacteEditor?.saveState() === "saved" && window.pacteEditor.fields.state() === "saved" && document.querySelector("[data-save-state]")?.dataset.state === "saved"`

// TestMeasures_TitleSummaryAutosave is issue 8 point 9: the title and the
// summary are saved as they are typed, the status line covers them, leaving
// with anything unsaved asks first, and a field both people changed is
// shown, never overwritten.
func TestMeasures_TitleSummaryAutosave(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	m := newDraft(t, app, amina, "Former 50 000 jeunes au numérique")
	edit := fmt.Sprintf("/measures/%d/edit", m.ID)
	api := app.Login(amina)

	a := newBrowser(t, app)
	a.Name = "amina"
	login(a, amina)
	a.Go(edit)
	editorReady(a)
	if Eval[bool](a, leavingAsks) {
		t.Error("leaving an untouched edit page asks")
	}
	replaceText(a, "#m-title", "Former 100 000 jeunes au numérique")
	replaceText(a, "#m-summary", "Des bootcamps gratuits dans chaque région.")
	a.WaitUntil(allSaved)
	if got := a.Text("[data-save-state]"); got != "Enregistré" {
		t.Errorf("status line reads %q", got)
	}
	got, err := app.Store.MeasureByID(context.Background(), amina, m.ID)
	if err != nil || got.Title != "Former 100 000 jeunes au numérique" || got.Summary != "Des bootcamps gratuits dans chaque région." {
		t.Fatalf("saved measure: %+v %v", got, err)
	}
	a.Snapshot("edit-autosaved")

	// The scenario: "Mesures", then back: both changes are there.
	a.ClickAndWait(`.breadcrumb a[href="/measures"]`)
	a.Go(edit)
	editorReady(a)
	if v := a.Value("#m-title"); v != "Former 100 000 jeunes au numérique" {
		t.Errorf("title after coming back: %q", v)
	}
	if v := a.Value("#m-summary"); v != "Des bootcamps gratuits dans chaque région." {
		t.Errorf("summary after coming back: %q", v)
	}

	// Offline, a change waits: the status line says so and leaving asks.
	blockAPI(a, true)
	replaceText(a, "#m-title", "Titre tapé hors ligne")
	a.WaitUntil(`window.pacteEditor.fields.state() === "offline" && document.querySelector("[data-save-state]").dataset.state === "offline"`)
	if !Eval[bool](a, leavingAsks) {
		t.Error("leaving with an unsaved title does not ask")
	}
	// Meanwhile someone else changes the title too.
	cur, _ := app.Store.MeasureByID(context.Background(), amina, m.ID)
	if r := api.Request("PATCH", fmt.Sprintf("/api/v1/measures/%d", m.ID), map[string]any{"title": "Titre de Karim", "revision": cur.Revision}); r.Status != 200 {
		t.Fatalf("other save: %d %s", r.Status, r.Body)
	}
	blockAPI(a, false)
	// Both changed the title: it is shown with the other version, not overwritten.
	a.WaitVisible(`[data-field-conflict="title"]`)
	if got := a.Text(`[data-field-conflict="title"] .field-conflict-theirs`); got != "Titre de Karim" {
		t.Errorf("the other version reads %q", got)
	}
	if v := a.Value("#m-title"); v != "Titre tapé hors ligne" {
		t.Errorf("my title was replaced: %q", v)
	}
	if st := Eval[string](a, `document.querySelector("[data-save-state]").dataset.state`); st != "unsaved" {
		t.Errorf("status line state %q during a conflict", st)
	}
	if !Eval[bool](a, leavingAsks) {
		t.Error("leaving during a conflict does not ask")
	}
	a.Snapshot("edit-field-conflict")
	a.Click(`[data-field-conflict="title"] [data-keep-mine]`)
	a.WaitUntil(allSaved)
	got, _ = app.Store.MeasureByID(context.Background(), amina, m.ID)
	if got.Title != "Titre tapé hors ligne" || got.Summary != "Des bootcamps gratuits dans chaque région." {
		t.Errorf("after keeping mine: %q %q", got.Title, got.Summary)
	}
	// Another person's change to a field I did not touch comes in live.
	if r := api.Request("PATCH", fmt.Sprintf("/api/v1/measures/%d", m.ID), map[string]any{"summary": "Résumé revu par Karim.", "revision": got.Revision}); r.Status != 200 {
		t.Fatalf("other save: %d %s", r.Status, r.Body)
	}
	a.WaitUntil(`document.querySelector("#m-summary").value === "Résumé revu par Karim."`)
	replaceText(a, "#m-title", "Titre final")
	a.WaitUntil(allSaved)
	got, _ = app.Store.MeasureByID(context.Background(), amina, m.ID)
	if got.Title != "Titre final" || got.Summary != "Résumé revu par Karim." {
		t.Errorf("after the live change: %q %q", got.Title, got.Summary)
	}

	// An empty title is not saved; the field says so.
	replaceText(a, "#m-title", " ")
	a.WaitVisible("#m-title[aria-invalid=true]")
	a.WaitVisible("[data-autosave-invalid]")
	replaceText(a, "#m-title", "Titre final corrigé")
	a.WaitUntil(allSaved)
	a.WaitGone("[data-autosave-invalid]")

	// Arabic, on a phone.
	a.ClickAndWait(`.lang-switch button[value="ar"]`)
	a.Go(edit)
	editorReady(a)
	a.step("phone", chromedp.EmulateViewport(390, 844))
	replaceText(a, "#m-summary", "ملخص جديد للتدبير")
	a.WaitUntil(allSaved)
	a.Snapshot("edit-autosaved-ar-390")
	assertCleanConsoleEditing(a)
}

// TestMeasures_ConflictPage is issue 8 point 13 as a person meets it
// without JavaScript: the edit form is sent after someone else changed the
// title; the page names the title, shows both versions and how they differ,
// and keeps what the person typed.
func TestMeasures_ConflictPage(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	m := newDraft(t, app, amina, "Former 50 000 jeunes au numérique")
	edit := fmt.Sprintf("/measures/%d/edit", m.ID)
	api := app.Login(amina)

	a := newBrowser(t, app)
	a.Name = "amina"
	login(a, amina)
	a.step("no scripts", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	for _, c := range []struct{ locale, mine, theirs, shot string }{
		{"fr", "Former 100 000 jeunes au numérique", "Former 80 000 jeunes au numérique", "edit-conflict-page"},
		{"ar", "تكوين 100 ألف شاب في المجال الرقمي", "تكوين 80 ألف شاب في المجال الرقمي", "edit-conflict-page-ar-390"},
	} {
		if c.locale == "ar" {
			a.ClickAndWait(`.lang-switch button[value="ar"]`)
			a.step("phone", chromedp.EmulateViewport(390, 844))
		}
		a.Go(edit)
		a.Fill("#m-title", c.mine)
		cur, err := app.Store.MeasureByID(context.Background(), amina, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r := api.Request("PATCH", fmt.Sprintf("/api/v1/measures/%d", m.ID), map[string]any{"title": c.theirs, "revision": cur.Revision}); r.Status != 200 {
			t.Fatalf("other save: %d %s", r.Status, r.Body)
		}
		a.ClickAndWait(`form.measure-form button[type=submit]:not([name])`)
		a.WaitVisible(`[data-conflict-field="title"]`)
		if got := a.Text(`[data-conflict-field="title"] [data-version="theirs"]`); got != c.theirs {
			t.Errorf("%s: saved version reads %q", c.locale, got)
		}
		if got := a.Text(`[data-conflict-field="title"] [data-version="mine"]`); got != c.mine {
			t.Errorf("%s: my version reads %q", c.locale, got)
		}
		if a.Has(`[data-conflict-field="body"]`) || a.Has(`[data-conflict-field="summary"]`) {
			t.Errorf("%s: the conflict shows fields only one side changed", c.locale)
		}
		if v := a.Value("#m-title"); v != c.mine {
			t.Errorf("%s: the form lost my title: %q", c.locale, v)
		}
		a.Snapshot(c.shot)
	}
}
