package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pacte/models"
	"pacte/server/servertest"
)

// person makes an active account with a name a reader recognises on the
// screenshots ("Member 12" says nothing about who is who).
func person(t *testing.T, app *servertest.App, role, org, name string) *models.User {
	t.Helper()
	u := app.User(role, org)
	if err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
		return tx.Model(u).Update("name", name).Error
	}); err != nil {
		t.Fatal(err)
	}
	u.Name = name
	return u
}

// measureIDOf reads the measure id from a /measures/:id… path.
func measureIDOf(tab *Tab) int64 {
	tab.T.Helper()
	p := strings.TrimPrefix(tab.Path(), "/measures/")
	if i := strings.IndexAny(p, "/?#"); i >= 0 {
		p = p[:i]
	}
	id, err := strconv.ParseInt(p, 10, 64)
	if err != nil {
		tab.T.Fatalf("[%s] %s is not a measure page", tab.Name, tab.Path())
	}
	return id
}

// statusJS is the workflow status the measure page's badge shows.
const statusJS = `document.querySelector(".measure-status [data-status]")?.dataset.status`

// expectStatus checks the measure page's status badge: its status and its
// translated label.
func expectStatus(tab *Tab, status, label string) {
	tab.T.Helper()
	tab.WaitUntil(fmt.Sprintf(`%s === %q`, statusJS, status))
	if got := tab.Text(".measure-status [data-status]"); got != label {
		tab.T.Errorf("[%s] status badge reads %q, want %q", tab.Name, got, label)
	}
}

// typeLines types text into a focused-by-selector field key by key; line
// breaks are typed as Enter.
func typeLines(tab *Tab, sel, text string) {
	tab.T.Helper()
	tab.step("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), strings.ReplaceAll(text, "\n", "\r"), chromedp.NodeVisible))
}

// insertText types text where the focus is, the way an input method does
// (one insertText, so Arabic and emoji arrive whole).
func insertText(tab *Tab, text string) {
	tab.T.Helper()
	tab.step(fmt.Sprintf("insert %q", text), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}))
}

// editorReady waits until the edit page's co-editor holds the server's
// document and may be typed in.
func editorReady(tab *Tab) {
	tab.T.Helper()
	tab.WaitVisible(".cm-content")
	tab.WaitUntil(`window.pacteEditor?.saveState() === "saved" && document.querySelector(".cm-content")?.contentEditable === "true"`)
	// CodeMirror's own styles apply despite the CSP (csp-styles.js).
	if d := Eval[string](tab, `getComputedStyle(document.querySelector(".cm-editor")).display`); d != "flex" {
		tab.T.Errorf("[%s] the editor is unstyled (.cm-editor display %q): CodeMirror's styles did not apply", tab.Name, d)
	}
}

// isEditorStyleRefusal tells the one CSP report an edit page makes by
// design: the browser refuses the <style> element CodeMirror (style-mod)
// adds, and web/src/csp-styles.js copies its rules into an adopted
// stylesheet instead (editorReady checks that the editor is styled).
func isEditorStyleRefusal(msg string) bool {
	return strings.Contains(msg, "Content Security Policy") && strings.Contains(msg, "inline style") &&
		strings.Contains(msg, "/static/js/editor.js")
}

// assertCleanConsoleEditing is AssertCleanConsole for a tab that opened
// edit pages: that one refusal aside, no exception and no CSP violation.
func assertCleanConsoleEditing(tab *Tab) {
	tab.T.Helper()
	var bad []string
	for _, e := range append(tab.Exceptions(), tab.CSPViolations()...) {
		if !isEditorStyleRefusal(e) {
			bad = append(bad, e)
		}
	}
	if len(bad) > 0 {
		tab.T.Errorf("[%s] browser console has errors:\n  %s", tab.Name, strings.Join(bad, "\n  "))
	}
}

// editorKeys presses keys (with modifiers) in the co-editor, focusing it
// first.
func editorKeys(tab *Tab, keys string, mods ...chromedp.Modifier) {
	tab.T.Helper()
	tab.step(fmt.Sprintf("press %q in the editor", keys),
		chromedp.Focus(chromedp.CSS(".cm-content"), chromedp.NodeVisible),
		chromedp.KeyEvent(keys, chromedp.KeyModifiers(mods...)))
}

const measureBody = "## Objectif\n\nNumériser 10 000 PME marocaines d'ici 2026.\n\n## Moyens\n\n- Un guichet unique en ligne\n- Des chèques numériques pour les TPE"

// TestMeasures_Workflow is issue 3 through the pages, in three browsers: a
// member of APEBI drafts a measure and makes a member of AUSIM co-editor,
// who co-sponsors it and comments; the member submits it; a reviewer of the
// ministry asks for changes (the note is required); the member edits and
// resubmits; the reviewer approves; the history lists the revisions and the
// diff marks what changed.
func TestMeasures_Workflow(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	youssef := person(t, app, models.RoleMember, "ausim", "Youssef El Idrissi")
	reviewer := person(t, app, models.RoleReviewer, "ministry", "Karim Tazi")

	// --- Amina drafts the measure with the form.
	a := newBrowser(t, app)
	a.Name = "amina"
	login(a, amina)
	a.Go("/measures")
	a.ClickAndWait(`.page-head a[href="/measures/new"]`)
	a.Fill("#m-title", "Accélérer la numérisation des PME")
	typeLines(a, "#m-summary", "Un guichet unique et des chèques numériques pour les petites entreprises.")
	a.Select("#m-pillar", "digital_economy")
	a.Select("#m-axis", "sme_digitalisation")
	typeLines(a, "#m-body", measureBody)
	if got := a.Value("#m-body"); got != measureBody {
		t.Fatalf("the body field holds %q", got)
	}
	a.Snapshot("measure-new")
	if st := a.ClickAndWait(`form[action="/measures/new"] button[type=submit]:not([name])`); st != 200 {
		t.Fatalf("create: status %d", st)
	}
	id := measureIDOf(a)
	page := fmt.Sprintf("/measures/%d", id)
	expectStatus(a, models.StatusDraft, "Brouillon")
	if got := a.Text(".measure-body .markdown h2"); got != "Objectif" {
		t.Errorf("the body's first heading reads %q", got)
	}
	if !a.Has(".measure-status .badge-private") {
		t.Error("a new draft is not marked as visible to its federations only")
	}

	// She makes Youssef, of AUSIM, co-editor.
	a.ClickAndWait(fmt.Sprintf(`.measure-editors a[href="%s/editors"]`, page))
	a.Select("#editor-user", strconv.FormatInt(youssef.ID, 10))
	a.ClickAndWait(fmt.Sprintf(`form[action="%s/editors"] button[type=submit]`, page))
	if p := a.Path(); p != page {
		t.Fatalf("after adding an editor Amina is on %s", p)
	}
	if got := a.Text(fmt.Sprintf(`.measure-editors [data-editor-id="%d"]`, youssef.ID)); !strings.Contains(got, youssef.Name) || !strings.Contains(got, "AUSIM") {
		t.Errorf("the editors list shows %q for Youssef", got)
	}
	a.Snapshot("measure-draft")

	// --- Youssef, in his own browser, co-sponsors for AUSIM and comments.
	y := a.NewWindow("youssef")
	login(y, youssef)
	if st := y.Go(page); st != 200 {
		t.Fatalf("Youssef opens the draft: %d", st)
	}
	expectStatus(y, models.StatusDraft, "Brouillon")
	y.ClickAndWait(fmt.Sprintf(`form[action="%s/cosponsor"] button[type=submit]`, page))
	if got := y.Text(".measure-cosponsors"); !strings.Contains(got, "ausim") {
		t.Errorf("the federations panel after co-sponsoring: %q", got)
	}
	if !y.Has(fmt.Sprintf(`form[action="%s/cosponsor/delete"]`, page)) {
		t.Error("Youssef cannot take the co-sponsorship back")
	}
	typeInto(y, `#comment-form textarea[name="body"]`, "AUSIM soutient : ajoutons un volet **cybersécurité**.")
	y.ClickAndWait(`#comment-form button[type="submit"]`)
	y.WaitVisible(`[data-comments] [data-comment-id] .comment-body strong`)
	// Amina's page learns of both without a reload.
	a.WaitUntil(`document.querySelector(".measure-cosponsors")?.textContent.includes("ausim")`)
	a.WaitUntil(`document.querySelector("[data-comments]")?.textContent.includes("cybersécurité")`)

	// --- Amina submits.
	a.ClickAndWait(fmt.Sprintf(`form[action="%s/submit"] button[type=submit]`, page))
	expectStatus(a, models.StatusInReview, "En examen")
	if a.Has(fmt.Sprintf(`.measure-actions a[href="%s/edit"]`, page)) {
		t.Error("a measure in review still offers the edit button")
	}
	if a.Has(".measure-status .badge-private") {
		t.Error("a submitted measure is still marked federation-only")
	}
	a.Snapshot("measure-in-review")

	// --- The reviewer finds it in the queue and asks for changes.
	r := a.NewWindow("reviewer")
	login(r, reviewer)
	r.ClickAndWait(`.main-nav a[href="/review"]`)
	row := fmt.Sprintf(`.review-queue [data-measure-row="%d"]`, id)
	r.WaitVisible(row)
	if n := Eval[int](r, `document.querySelectorAll(".review-queue [data-measure-row]").length`); n != 1 {
		t.Errorf("the review queue lists %d measures, want 1", n)
	}
	r.Snapshot("review-queue")
	r.ClickAndWait(row + " a")
	expectStatus(r, models.StatusInReview, "En examen")
	if help := r.Text("#review-note-help"); !strings.Contains(help, "Obligatoire") {
		t.Errorf("the note's help does not say it is required: %q", help)
	}
	r.Click(`.review-form input[name="decision"][value="changes_requested"]`)
	if st := r.ClickAndWait(`.review-form button[type=submit]`); st != 422 {
		t.Errorf("requesting changes without a note: status %d, want 422", st)
	}
	if got := r.Attr("#review-note", "aria-invalid"); got != "true" {
		t.Errorf("the empty note is not marked invalid (aria-invalid=%q)", got)
	}
	if msg := r.Text(".review-form .field-error"); !strings.Contains(msg, "raison") {
		t.Errorf("the message beside the note reads %q", msg)
	}
	if !Eval[bool](r, `document.querySelector('.review-form input[value="changes_requested"]').checked`) {
		t.Error("the chosen decision was lost after the error")
	}
	expectStatus(r, models.StatusInReview, "En examen")
	const note = "Précisez le budget et le calendrier du guichet unique."
	typeInto(r, "#review-note", note)
	r.ClickAndWait(`.review-form button[type=submit]`)
	expectStatus(r, models.StatusChangesRequested, "Modifications demandées")
	if got := r.Text(".reviews .review-changes_requested .review-note"); got != note {
		t.Errorf("the review's note reads %q", got)
	}

	// --- Amina's page shows the request without a reload; she edits.
	expectStatus(a, models.StatusChangesRequested, "Modifications demandées")
	a.WaitUntil(fmt.Sprintf(`document.querySelector(".measure-reviews")?.textContent.includes(%q)`, note))
	a.WaitVisible(fmt.Sprintf(`.measure-actions a[href="%s/edit"]`, page))
	a.ClickAndWait(fmt.Sprintf(`.measure-actions a[href="%s/edit"]`, page))
	editorReady(a)
	a.Fill("#m-title", "Accélérer la numérisation des PME et des TPE")
	// In the body: "TPE" is spelt out and a paragraph is added.
	editorKeys(a, kb.End, chromedp.ModifierCtrl)
	editorKeys(a, kb.Backspace+kb.Backspace+kb.Backspace)
	insertText(a, "très petites entreprises")
	insertText(a, "\n\nBudget : 300 millions de dirhams sur trois ans.")
	a.WaitUntil(`window.pacteEditor.text().endsWith("très petites entreprises\n\nBudget : 300 millions de dirhams sur trois ans.")`)
	// The preview follows the text.
	a.WaitUntil(`document.querySelector("[data-preview]")?.textContent.includes("300 millions")`)
	a.Snapshot("measure-edit")
	a.WaitUntil(`window.pacteEditor.saveState() === "saved"`)
	if st := a.ClickAndWait(`form[data-editor] .form-actions button[type=submit]:not([name])`); st != 200 {
		t.Fatalf("save the edit form: status %d", st)
	}
	if p := a.Path(); p != page {
		t.Fatalf("after saving Amina is on %s", p)
	}
	if got := a.Text("#measure-title"); got != "Accélérer la numérisation des PME et des TPE" {
		t.Errorf("title after the edit: %q", got)
	}
	if got := a.Text(".measure-body"); !strings.Contains(got, "300 millions") {
		t.Errorf("the body after the edit does not have the new paragraph: %q", got)
	}
	a.ClickAndWait(fmt.Sprintf(`form[action="%s/submit"] button[type=submit]`, page))
	expectStatus(a, models.StatusInReview, "En examen")

	// --- The reviewer approves (the page updated itself: the form is back).
	expectStatus(r, models.StatusInReview, "En examen")
	r.WaitVisible(`.review-form input[name="decision"][value="approved"]`)
	r.Click(`.review-form input[name="decision"][value="approved"]`)
	r.ClickAndWait(`.review-form button[type=submit]`)
	expectStatus(r, models.StatusApproved, "Approuvée")
	expectStatus(a, models.StatusApproved, "Approuvée")
	a.Snapshot("measure-approved")

	// --- The history: every revision with its authors.
	a.ClickAndWait(fmt.Sprintf(`a[href="%s/history"]`, page))
	type revRow struct {
		N       string `json:"n"`
		What    string `json:"what"`
		Status  string `json:"status"`
		Authors string `json:"authors"`
	}
	revs := Eval[[]revRow](a, `[...document.querySelectorAll(".revisions tbody tr")].map(tr => ({n: tr.dataset.revision,
		what: tr.cells[1].firstChild.textContent.trim(), status: tr.cells[2].textContent.trim(), authors: [...tr.cells[3].querySelectorAll(".person-name")].map(e => e.textContent).join(", ")}))`)
	// Newest first: approved (reviewer), submitted again (Amina), her
	// edit(s), changes requested (reviewer), submitted, created.
	if len(revs) < 6 {
		t.Fatalf("the history lists %d revisions: %+v", len(revs), revs)
	}
	for i, want := range []revRow{
		{What: "Approuvée", Status: "Approuvée", Authors: reviewer.Name},
		{What: "Soumise à l'examen", Status: "En examen", Authors: amina.Name},
	} {
		if got := revs[i]; got.What != want.What || got.Status != want.Status || got.Authors != want.Authors {
			t.Errorf("history row %d: %+v, want %+v", i, got, want)
		}
	}
	for i, want := range []revRow{
		{What: "Création", Status: "Brouillon", Authors: amina.Name},
		{What: "Soumise à l'examen", Status: "En examen", Authors: amina.Name},
		{What: "Modifications demandées", Status: "Modifications demandées", Authors: reviewer.Name},
	} {
		if got := revs[len(revs)-1-i]; got.What != want.What || got.Status != want.Status || got.Authors != want.Authors {
			t.Errorf("history row %d from the end: %+v, want %+v", i, got, want)
		}
	}
	// In between, the edits are Amina's (the co-editor's and the form's).
	for _, rv := range revs[2 : len(revs)-3] {
		if rv.Authors != amina.Name || rv.Status != "Modifications demandées" {
			t.Errorf("edit revision %+v: want Amina's, while changes were requested", rv)
		}
	}
	a.Snapshot("history")

	// The diff between the first and the last revision, side by side...
	first := Eval[string](a, `[...document.querySelectorAll(".revisions tbody tr")].at(-1).dataset.revision`)
	a.Click(fmt.Sprintf(`.revisions input[name="from"][value="%s"]`, first))
	a.ClickAndWait(`.history-form button[value="side"]`)
	a.WaitVisible(`table[data-diff="side"]`)
	if got := Eval[string](a, `[...document.querySelectorAll(".diff-side td.new ins")].map(e => e.textContent).join("|")`); !strings.Contains(got, "300 millions") {
		t.Errorf("the side-by-side diff does not mark the new paragraph as inserted: %q", got)
	}
	if got := a.Text(".diff-fields del"); got != "Accélérer la numérisation des PME" {
		t.Errorf("the old title is not marked deleted: %q", got)
	}
	if got := a.Text(".diff-fields ins"); got != "Accélérer la numérisation des PME et des TPE" {
		t.Errorf("the new title is not marked inserted: %q", got)
	}
	a.Snapshot("diff-side")
	// ... and inline.
	a.Select("#d-mode", "inline")
	a.ClickAndWait(`.diff-form button[type=submit]`)
	a.WaitVisible(`pre[data-diff="inline"]`)
	if got := Eval[string](a, `[...document.querySelectorAll("pre.diff-inline ins")].map(e => e.textContent).join("|")`); !strings.Contains(got, "300 millions") {
		t.Errorf("the inline diff's insertions: %q", got)
	}
	if got := Eval[string](a, `[...document.querySelectorAll("pre.diff-inline del")].map(e => e.textContent).join("|")`); !strings.Contains(got, "TPE") {
		t.Errorf("the inline diff's deletions: %q", got)
	}
	a.Snapshot("diff-inline")

	assertCleanConsoleEditing(a)
	y.AssertCleanConsole()
	r.AssertCleanConsole()
}

// TestMeasures_ListAndArabic: the measures list counts a member's measures
// by status and filters them, with the form and with the status tabs; the
// list and a measure page in Arabic read right to left.
func TestMeasures_ListAndArabic(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	reviewer := person(t, app, models.RoleReviewer, "ministry", "Karim Tazi")
	ctx := context.Background()
	// Four measures of APEBI: a draft, one in review, one sent back for
	// changes, one approved.
	var ids []int64
	for i, title := range []string{"Former 50 000 jeunes aux métiers du numérique", "Un cloud souverain pour l'administration",
		"Couvrir les zones rurales en 5G", "Accélérer la numérisation des PME"} {
		m, err := app.Store.CreateMeasure(ctx, amina, models.NewMeasure{Title: title, Summary: "Ce que la mesure change, et pour qui.",
			Body: measureBody, Pillar: "digital_economy", Axis: "sme_digitalisation"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
		if i == 0 {
			continue
		}
		if m, err = app.Store.TransitionMeasure(ctx, amina, m.ID, models.TransSubmit, m.Revision); err != nil {
			t.Fatal(err)
		}
		decision := map[int]string{2: models.DecisionChangesRequested, 3: models.DecisionApproved}[i]
		if decision == "" {
			continue
		}
		if _, _, err := app.Store.ReviewMeasure(ctx, reviewer, m.ID, models.ReviewInput{Decision: decision, Note: "Précisez le budget.", Revision: m.Revision}); err != nil {
			t.Fatal(err)
		}
	}
	approved := ids[3]

	a := newBrowser(t, app)
	a.Name = "amina"
	login(a, amina)
	a.ClickAndWait(`.main-nav a[href="/measures"]`)
	// --- The list: counts by status, and the status filter.
	a.ClickAndWait(`.main-nav a[href="/measures"]`)
	counts := Eval[map[string]string](a, `Object.fromEntries([...document.querySelectorAll("[data-count-status]")].map(e => [e.dataset.countStatus, e.textContent.trim()]))`)
	for st, want := range map[string]string{"all": "4", "draft": "1", "in_review": "1", "changes_requested": "1", "approved": "1", "rejected": "0", "withdrawn": "0"} {
		if counts[st] != want {
			t.Errorf("count %s = %q, want %s (all counts %v)", st, counts[st], want, counts)
		}
	}
	if n := Eval[int](a, `document.querySelectorAll(".measure-list [data-measure-row]").length`); n != 4 {
		t.Errorf("the list shows %d measures, want 4", n)
	}
	a.Snapshot("measures-list")

	// The filter form.
	a.Select("#f-status", models.StatusApproved)
	a.ClickAndWait(`form.filters button[type=submit]`)
	if p := a.Path(); !strings.Contains(p, "status=approved") {
		t.Errorf("filtering leads to %s", p)
	}
	rows := `[...document.querySelectorAll(".measure-list [data-measure-row]")].map(e => Number(e.dataset.measureRow))`
	if got := Eval[[]int64](a, rows); len(got) != 1 || got[0] != approved {
		t.Errorf("approved measures listed: %v, want [%d]", got, approved)
	}
	if got := a.Attr(`.status-tabs a[aria-current]`, "href"); !strings.Contains(got, "status=approved") {
		t.Errorf("the current status tab links to %q", got)
	}
	if got := a.Text(".measure-list .measure-card .status"); got != "Approuvée" {
		t.Errorf("the card's badge reads %q", got)
	}
	a.Snapshot("measures-list-approved")

	// The status tabs.
	a.ClickAndWait(`.status-tabs a[href^="/measures?status=changes_requested"]`)
	if got := Eval[[]int64](a, rows); len(got) != 1 || got[0] != ids[2] {
		t.Errorf("measures with changes requested: %v, want [%d]", got, ids[2])
	}
	if got := a.Value("#f-status"); got != models.StatusChangesRequested {
		t.Errorf("the filter form shows status %q after choosing the tab", got)
	}
	a.ClickAndWait(`.status-tabs a[href^="/measures?status=withdrawn"]`)
	if !a.Has(".measure-list .empty") {
		t.Error("an empty status shows no 'no measure' line")
	}

	// In Arabic: the list and a measure, right to left.
	chooseLanguage(a, "ar")
	if dir := a.Attr("html", "dir"); dir != "rtl" {
		t.Fatalf("html dir=%q in Arabic", dir)
	}
	a.Go("/measures")
	if got := a.Text(`.status-tabs a[href^="/measures?status=approved"]`); strings.Contains(got, "Approuvée") {
		t.Errorf("the status tab is not translated into Arabic: %q", got)
	}
	a.Snapshot("measures-list-ar")
	a.Go(fmt.Sprintf("/measures/%d", ids[2]))
	if got := a.Text(".measure-status [data-status]"); got == "Modifications demandées" || got == "" {
		t.Errorf("the status badge is not translated into Arabic: %q", got)
	}
	if !Eval[bool](a, `document.querySelector(".measure-side").getBoundingClientRect().left < document.querySelector(".measure-main").getBoundingClientRect().left`) {
		t.Error("in Arabic the side panel is not on the left of the text")
	}
	// French text inside the Arabic page keeps its own direction.
	if got := Eval[string](a, `getComputedStyle(document.querySelector("#measure-title")).direction`); got != "ltr" {
		t.Errorf("a French title in the Arabic page runs %s", got)
	}
	a.Snapshot("measure-ar")
	a.AssertCleanConsole()
}
