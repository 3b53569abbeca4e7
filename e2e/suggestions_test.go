package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pacte/models"
	"pacte/server/servertest"
)

// TestSuggestions_SuggestAcceptReject is issue 13 in two browsers: a member
// of another federation, in Arabic, suggests in the text itself (a French
// word replaced, an Arabic sentence added); the measure's editor sees both
// live, in the text and in the margin, accepts one and rejects the other;
// both end with the same text. The editor then suggests a deletion herself
// from her own editor's switch. Then the suggester's page at phone width.
func TestSuggestions_SuggestAcceptReject(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	app.Server.SetCollabIdle(300 * time.Millisecond)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	youssef := person(t, app, models.RoleMember, "ausim", "Youssef El Idrissi")
	const body = "Généraliser la signature électronique d'ici 2027.\n\nتعميم التوقيع الإلكتروني في الإدارات."
	id := app.Measure(t, amina, servertest.MeasureSpec{Title: "Signature électronique", Body: body, Visibility: models.VisibilityPlatform})

	a := newBrowser(t, app)
	a.Name = "amina"
	login(a, amina)
	a.resize(desktopWidth, 1000)
	a.Go(fmt.Sprintf("/measures/%d/edit", id))
	editorReady(a)

	y := a.NewWindow("youssef")
	login(y, youssef)
	y.resize(desktopWidth, 1000)
	y.Go(fmt.Sprintf("/measures/%d", id))
	chooseLanguage(y, "ar")
	y.ClickAndWait(fmt.Sprintf(`a[href="/measures/%d/suggest"]`, id))
	editorReady(y)
	if got := Eval[string](y, "window.pacteEditor.mode()"); got != "suggest" {
		t.Fatalf("the suggester's editor is in mode %q", got)
	}

	// 1. Youssef selects "2027" and types "2026": his view shows it as
	// being suggested, the measure's text does not change.
	at := strings.Index(body, "2027")
	y.step("select 2027", chromedp.Focus(chromedp.CSS(".cm-content"), chromedp.NodeVisible))
	Eval[bool](y, fmt.Sprintf(`(window.pacteEditor.view.dispatch({selection: {anchor: %d, head: %d}}), true)`, utf16(body[:at]), utf16(body[:at+4])))
	y.step("type 2026", insertWords("2026", 0))
	y.WaitUntil(`document.querySelector(".cm-sg-pending") !== null`)
	y.WaitUntil(`document.querySelector("[data-save-state]").dataset.state === "suggesting"`)
	y.look("suggestions-youssef-typing-ar")
	// After the pause it is a suggestion: his view is the shared text again,
	// with the suggestion drawn in it.
	y.WaitUntil(fmt.Sprintf(`window.pacteEditor.text() === %q && window.pacteEditor.suggestions().length === 1`, body))
	if got := waitAPI(t, app, amina, id); got != body {
		t.Fatalf("suggesting changed the measure's text: %q", got)
	}

	// 2. An Arabic sentence at the end, with an emoji.
	const arabic = " ودعم المقاولات الناشئة 🚀"
	y.step("go to the end", chromedp.Focus(chromedp.CSS(".cm-content")), chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	y.step("type in Arabic", insertWords(arabic, 40*time.Millisecond))
	y.WaitUntil(`window.pacteEditor.suggestions().length === 2`)

	// 3. Amina sees both live: struck and underlined in the text, and as
	// cards with Accept and Reject in the margin.
	a.WaitUntil(`window.pacteEditor.suggestions().length === 2 && document.querySelectorAll("[data-suggestion-cards] li").length === 2`)
	a.WaitUntil(`[...document.querySelectorAll(".cm-sg-del")].some(e => e.textContent === "2027")`)
	a.WaitUntil(`[...document.querySelectorAll(".cm-sg-ins")].some(e => e.textContent === "2026")`)
	a.WaitUntil(fmt.Sprintf(`[...document.querySelectorAll(".cm-sg-ins")].some(e => e.textContent === %q)`, arabic))
	if got := a.Text("[data-suggestion-cards] li:first-child strong"); got != youssef.Name {
		t.Errorf("the card names %q", got)
	}
	// Two to decide: the panel offers to accept or reject them all.
	a.WaitVisible("[data-suggestion-bulk] button")
	if y.Has("[data-suggestion-bulk]:not([hidden]) button") {
		t.Error("the suggester is offered to decide them all")
	}
	a.look("suggestions-amina-sees-fr")
	y.look("suggestions-youssef-suggested-ar")

	// 4. She accepts the first and rejects the second.
	a.Click(`[data-suggestion-cards] li:first-child .suggestion-actions button:not(.secondary)`)
	want := strings.Replace(body, "2027", "2026", 1)
	for _, tab := range []*Tab{a, y} {
		tab.WaitUntil(fmt.Sprintf(`window.pacteEditor.text() === %q`, want))
		tab.WaitUntil(`window.pacteEditor.suggestions().length === 1`)
	}
	a.Click(`[data-suggestion-cards] li:first-child .suggestion-actions button.secondary`)
	for _, tab := range []*Tab{a, y} {
		tab.WaitUntil(`window.pacteEditor.suggestions().length === 0 && document.querySelectorAll("[data-suggestion-cards] li").length === 0`)
		if got := Eval[string](tab, "window.pacteEditor.text()"); got != want {
			t.Errorf("[%s] the text after the decisions: %q", tab.Name, got)
		}
	}
	if got := waitAPI(t, app, amina, id); got != want {
		t.Fatalf("the measure's text: %q, want %q", got, want)
	}
	a.look("suggestions-amina-decided-fr")

	// 5. Amina switches her editor to suggesting and deletes a word with
	// the keyboard: a deletion suggestion, her text unchanged, then back
	// to editing.
	a.Click(`[data-editor-mode] input[value="suggest"]`)
	a.WaitUntil(`window.pacteEditor.mode() === "suggest"`)
	word := strings.Index(want, "électronique")
	a.step("focus", chromedp.Focus(chromedp.CSS(".cm-content"), chromedp.NodeVisible))
	Eval[bool](a, fmt.Sprintf(`(window.pacteEditor.view.dispatch({selection: {anchor: %d, head: %d}}), true)`, utf16(want[:word]), utf16(want[:word])+utf16("électronique")))
	a.Press(kb.Backspace)
	a.WaitUntil(fmt.Sprintf(`window.pacteEditor.text() === %q && window.pacteEditor.suggestions().length === 1`, want))
	y.WaitUntil(`[...document.querySelectorAll(".cm-sg-del")].some(e => e.textContent === "électronique")`)
	a.Click(`[data-editor-mode] input[value="edit"]`)
	a.WaitUntil(`window.pacteEditor.mode() === "edit" && window.pacteEditor.saveState() === "saved"`)
	a.Click(`[data-suggestion-cards] li:first-child .suggestion-actions button.secondary`)
	a.WaitUntil(`window.pacteEditor.suggestions().length === 0`)

	// 6. The measure page lists the decisions, without script.
	y.Go(fmt.Sprintf("/measures/%d#suggestions", id))
	y.WaitVisible("#suggestions details.suggestions-decided")
	y.Click("#suggestions details.suggestions-decided summary")
	y.WaitVisible("#suggestions details.suggestions-decided[open] .suggestion-accepted")
	if n := Eval[int](y, `document.querySelectorAll("#suggestions .suggestion-accepted, #suggestions .suggestion-rejected").length`); n != 3 {
		t.Errorf("the measure page lists %d decided suggestions, want 3", n)
	}
	Eval[bool](y, `(document.getElementById("suggestions").scrollIntoView(), true)`)
	y.look("suggestions-measure-page-ar")

	// 7. The suggester's page at phone width.
	y.resize(phoneWidth, 844)
	y.Go(fmt.Sprintf("/measures/%d/suggest", id))
	editorReady(y)
	y.look("suggestions-youssef-phone-ar")
	y.resize(desktopWidth, 1000)

	// The editor's page, mode switch and panel included, at phone width.
	a.resize(phoneWidth, 844)
	a.Reload()
	editorReady(a)
	a.look("suggestions-amina-edit-phone-fr")
	a.resize(desktopWidth, 1000)

	a.AssertCleanConsole()
	y.AssertCleanConsole()
}

// waitAPI reads the measure's body through the API.
func waitAPI(t *testing.T, app *servertest.App, u *models.User, id int64) string {
	t.Helper()
	var m apiMeasure
	if st := app.Login(u).Do("GET", fmt.Sprintf("/api/v1/measures/%d", id), nil, &m); st != 200 {
		t.Fatalf("GET measure: %d", st)
	}
	return m.Body
}

// utf16 is a string's length in UTF-16 units, CodeMirror's positions.
func utf16(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
