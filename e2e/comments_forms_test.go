package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pacte/models"
	"pacte/server/servertest"
)

// phone switches a tab to a 390 px wide window (and back with desktop).
func phone(tab *Tab) {
	tab.T.Helper()
	tab.step("phone size", chromedp.EmulateViewport(390, 844))
	painted(tab)
}

// windowShot saves what the window shows (the full-page capture of a
// right-to-left page shrunk after loading is taken off its origin).
func windowShot(tab *Tab, name string) {
	tab.T.Helper()
	tab.T.Logf("screenshot %s: %s", name, saveScreenshot(tab.T, name, run(tab, "window screenshot", chromedp.CaptureScreenshot())))
}

// painted waits for the page to lay out and paint at its new size.
func painted(tab *Tab) {
	tab.T.Helper()
	Eval[bool](tab, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
}

func desktop(tab *Tab) {
	tab.T.Helper()
	tab.step("desktop size", chromedp.EmulateViewport(1280, 900))
	painted(tab)
}

// wordsJS finds, in the rendered measure body, where "des PME" starts and
// where "marocaines" ends (viewport coordinates, middle of the line).
const wordsJS = `(() => {
  const md = document.querySelector(".measure-body .markdown");
  document.getSelection().removeAllRanges();
  md.scrollIntoView({block: "center", behavior: "instant"});
  const walker = document.createTreeWalker(md, NodeFilter.SHOW_TEXT);
  let start, end;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const i = n.data.indexOf("des PME");
    const r = document.createRange();
    if (i >= 0 && !start) { r.setStart(n, i); r.setEnd(n, i + 1); start = r.getBoundingClientRect(); }
    if (n.data === "marocaines") { r.selectNodeContents(n); end = r.getBoundingClientRect(); }
  }
  return [start.left + 1, start.top + start.height / 2, end.right - 1, end.top + end.height / 2];
})()`

// selectWithMouse drags the mouse over "des PME marocaines" in the body,
// as a reader selects words.
func selectWithMouse(tab *Tab) {
	tab.T.Helper()
	p := Eval[[]float64](tab, wordsJS)
	tab.step("select words",
		chromedp.MouseEvent(chromedp.MousePressed, p[0], p[1], chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, (p[0]+p[2])/2, p[3], chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseMoved, p[2], p[3], chromedp.ButtonLeft),
		chromedp.MouseEvent(chromedp.MouseReleased, p[2], p[3], chromedp.ButtonLeft, chromedp.ClickCount(1)),
	)
	if got := Eval[string](tab, `document.getSelection().toString()`); got != "des PME marocaines" {
		tab.T.Fatalf("selected %q", got)
	}
}

// TestComments_SelectTextToComment: selecting words in the measure shows
// "Commenter ce passage"; the button (by mouse, or Tab then Enter) fills
// the quote and puts the cursor in the comment box; the comment posted is
// anchored to those words.
func TestComments_SelectTextToComment(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	member := app.User(models.RoleMember, "apebi")
	id := commentsMeasure(t, app, author)
	page := fmt.Sprintf("/measures/%d", id)

	a := newBrowser(t, app)
	login(a, member)
	a.Go(page)
	if a.Has(`[data-quote-selection]:not([hidden])`) {
		t.Fatal("the button shows before any selection")
	}
	selectWithMouse(a)
	a.WaitVisible(`[data-quote-selection]`)
	if got := a.Text(`[data-quote-selection]`); got != "Commenter ce passage" {
		t.Errorf("button says %q", got)
	}
	a.Screenshot("comment-selection-fr")

	// Keyboard: the button is the next stop of Tab after the selection.
	a.Press(kb.Tab)
	if got := Eval[bool](a, `document.activeElement?.hasAttribute("data-quote-selection")`); !got {
		t.Fatalf("Tab after the selection reached %s", Eval[string](a, `document.activeElement?.outerHTML.slice(0, 120)`))
	}
	a.Press(kb.Enter)
	a.WaitUntil(`document.activeElement?.id === "comment-body"`)
	if got := a.Value(`#comment-quote`); got != "des PME marocaines" {
		t.Errorf("quote field %q", got)
	}
	if !Eval[bool](a, `document.getElementById("comment-quote-field").open`) {
		t.Error("the quote part of the form stays closed")
	}
	if a.Has(`[data-quote-selection]:not([hidden])`) {
		t.Error("the button stays after use")
	}
	a.Press("Sur ce passage précis.")
	a.ClickAndWait(`#comment-form button[type="submit"]`)
	a.WaitVisible(`.comments-margin .comment-quote`)
	if got := a.Text(`.comments-margin .comment-quote`); !strings.Contains(got, "marocaines") {
		t.Errorf("the comment quotes %q", got)
	}
	if got := Eval[string](a, `document.querySelector("mark[data-anchor-for]")?.textContent || ""`); !strings.Contains("des PME marocaines", got) || got == "" {
		t.Errorf("marked words %q", got)
	}

	// Mouse: the same with a click on the button.
	selectWithMouse(a)
	a.Click(`[data-quote-selection]`)
	a.WaitUntil(`document.activeElement?.id === "comment-body"`)
	if got := a.Value(`#comment-quote`); got != "des PME marocaines" {
		t.Errorf("quote field after a click %q", got)
	}
	// Escape puts the button away.
	selectWithMouse(a)
	a.WaitVisible(`[data-quote-selection]`)
	a.Press(kb.Escape)
	a.WaitUntil(`document.querySelector("[data-quote-selection]").hidden`)

	phone(a)
	selectWithMouse(a)
	a.WaitVisible(`[data-quote-selection]`)
	if !Eval[bool](a, `(() => { const r = document.querySelector("[data-quote-selection]").getBoundingClientRect(); return r.left >= 0 && r.right <= innerWidth; })()`) {
		t.Error("the button leaves the phone's screen")
	}
	a.Screenshot("comment-selection-390")
	desktop(a)
	chooseLanguage(a, "ar")
	selectWithMouse(a)
	a.WaitVisible(`[data-quote-selection]`)
	a.Screenshot("comment-selection-ar")
	a.AssertCleanConsole()
}

// TestComments_BadCommentKeepsText: a comment whose quote is not in the
// text, or an empty one, comes back with the text kept, the error beside
// the field in error styling and the field focused.
func TestComments_BadCommentKeepsText(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	member := app.User(models.RoleMember, "apebi")
	id := commentsMeasure(t, app, author)
	page := fmt.Sprintf("/measures/%d", id)

	a := newBrowser(t, app)
	login(a, member)
	badQuote := func(tag string) {
		a.Go(page)
		typeInto(a, `#comment-body`, "Mon avis, écrit avec soin.")
		a.Click(`#comment-quote-field > summary`)
		typeInto(a, `#comment-quote`, "absent du texte")
		if st := a.ClickAndWait(`#comment-form button[type="submit"]`); st != 422 {
			t.Fatalf("status %d", st)
		}
		if got := a.Value(`#comment-body`); got != "Mon avis, écrit avec soin." {
			t.Errorf("body kept as %q", got)
		}
		if got := a.Value(`#comment-quote`); got != "absent du texte" {
			t.Errorf("quote kept as %q", got)
		}
		a.WaitUntil(`document.activeElement?.id === "comment-quote"`)
		a.WaitVisible(`#comment-quote-error`)
		if a.Has(`.flash`) {
			t.Error("the error is a flash")
		}
		if !Eval[bool](a, `(() => { const r = document.getElementById("comment-quote").getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`) {
			t.Error("the field in error is not on screen")
		}
		if c := Eval[string](a, `getComputedStyle(document.getElementById("comment-quote")).borderTopColor`); c != Eval[string](a, `getComputedStyle(document.getElementById("comment-quote-error")).color`) {
			t.Errorf("field border %s is not the error colour", c)
		}
		a.Screenshot("comment-error-" + tag)
		phone(a)
		windowShot(a, "comment-error-"+tag+"-390")
		a.AssertNoOverflow("comment-error-" + tag + "-390")
		desktop(a)
	}
	badQuote("fr")

	// White space only: the comment box is the field in error.
	a.Go(page)
	typeInto(a, `#comment-body`, "   ")
	if st := a.ClickAndWait(`#comment-form button[type="submit"]`); st != 422 {
		t.Fatalf("blank comment: status %d", st)
	}
	a.WaitUntil(`document.activeElement?.id === "comment-body"`)
	if got := a.Text(`#comment-body-error`); !strings.Contains(got, "Écrivez") {
		t.Errorf("blank comment error %q", got)
	}

	// A report with a blank reason: the report page comes back, the
	// reason field in error and focused.
	cid, err := app.Store.CreateComment(t.Context(), author, id, models.NewComment{Body: "Un avis à signaler"})
	if err != nil {
		t.Fatal(err)
	}
	badReason := func(tag string) {
		a.Go(fmt.Sprintf("/comments/%d/report", cid.ID))
		typeInto(a, `#action-reason`, "   ")
		if st := a.ClickAndWait(`#comment-action-form button[type="submit"]`); st != 422 {
			t.Fatalf("blank reason: status %d", st)
		}
		a.WaitUntil(`document.activeElement?.id === "action-reason"`)
		a.WaitVisible(`#action-reason-error`)
		a.Snapshot("comment-report-error-" + tag)
		phone(a)
		a.AssertNoOverflow("comment-report-error-" + tag + "-390")
		windowShot(a, "comment-report-error-"+tag+"-390")
		desktop(a)
	}
	badReason("fr")

	chooseLanguage(a, "ar")
	badReason("ar")
	badQuote("ar")
	a.AssertTranslated("comment-error-ar")
	a.AssertCleanConsole()
}
