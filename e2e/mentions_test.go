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

// TestMentions_AutocompleteAndBells: Amina writes a comment and mentions
// Youssef with the keyboard only (@, the start of his name, arrows,
// Enter); Youssef, on the home page, sees his bell light without a reload.
// He answers her comment; her bell lights on the measure page she still
// has open. The same list works in Arabic on a phone, and in the
// co-editor (CodeMirror), where Enter writes the mention into the text.
func TestMentions_AutocompleteAndBells(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	youssef := person(t, app, models.RoleMember, "mnc", "Youssef El Idrissi")
	person(t, app, models.RoleMember, "mnc", "Yasmine Alaoui")
	id := app.Measure(t, amina, servertest.MeasureSpec{Title: "Cloud souverain pour les administrations", Body: measureBody, Visibility: "platform"})
	measure := fmt.Sprintf("/measures/%d", id)

	y := newBrowser(t, app)
	y.Name = "youssef"
	login(y, youssef)
	y.Go("/")
	y.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)
	notReloaded(y)

	a := y.NewWindow("amina")
	login(a, amina)
	a.Go(measure)
	a.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)
	notReloaded(a)

	// Keyboard only: type, wait for the list, move, choose.
	a.step("type a comment with @y", chromedp.Focus(chromedp.CSS("#comment-body"), chromedp.NodeVisible), typeKeys("Merci @y", 0))
	a.WaitVisible(`#comment-body-people [role=option]`)
	if got := a.Attr("#comment-body", "aria-controls"); got != "comment-body-people" {
		t.Errorf("the comment box controls %q, want the list", got)
	}
	names := Eval[[]string](a, `[...document.querySelectorAll("#comment-body-people [role=option] .mention-name")].map(e => e.textContent)`)
	if strings.Join(names, ",") != "Yasmine Alaoui,Youssef El Idrissi" {
		t.Fatalf("@y lists %q", names)
	}
	a.WaitUntil(`document.querySelector(".mention-status")?.textContent.startsWith("2 personnes")`)
	a.Snapshot("mention-list-fr")
	a.Press(kb.ArrowDown)
	active := a.Attr("#comment-body", "aria-activedescendant")
	if active == "" || a.Attr("#"+active, "aria-selected") != "true" || !strings.Contains(a.Text("#"+active), "Youssef") {
		t.Fatalf("after ArrowDown the active option is %q (%q)", active, a.Text("#comment-body-people"))
	}
	if a.Focused("comment-body") != "comment-body" {
		t.Error("the focus left the comment box")
	}
	a.Press(kb.Enter)
	a.WaitGone("#comment-body-people")
	a.step("finish the sentence", typeKeys("pour la relecture.", 0))
	want := fmt.Sprintf("Merci @[Youssef El Idrissi](user:%d) pour la relecture.", youssef.ID)
	if got := a.Value("#comment-body"); got != want {
		t.Fatalf("the comment box holds %q, want %q", got, want)
	}

	// Escape closes the list, and it stays closed for that @.
	a.step("type another @", typeKeys(" @Ya", 0))
	a.WaitVisible(`#comment-body-people [role=option]`)
	a.Press(kb.Escape)
	a.WaitGone("#comment-body-people")
	a.step("type on", typeKeys("s", 0))
	a.step("erase the second @", chromedp.SetValue(chromedp.CSS("#comment-body"), want))
	a.ClickAndWait(`#comment-form button[type=submit]`)
	if link := a.Attr(`.comment-body a[href^="/people/"]`, "href"); link != fmt.Sprintf("/people/%d", youssef.ID) {
		t.Errorf("the mention renders as a link to %q: %q", link, a.Text(".comment-list"))
	}

	y.WaitUntil(`document.querySelector("[data-notification-count]:not([hidden])")?.textContent === "1"`)
	assertNotReloaded(y, "a mention")
	y.Snapshot("mention-bell-fr")
	y.ClickAndWait("[data-notifications]")
	if got := y.Text(".notification.unread .notification-text"); !strings.Contains(got, "Amina Benali") || !strings.Contains(got, "mentionné") {
		t.Errorf("the notification says %q", got)
	}

	// Youssef answers; Amina's bell lights on the page she has open.
	a.Go(measure)
	a.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)
	notReloaded(a)
	y.Go(measure)
	y.ClickAndWait(`.comment-list a.comment-action[href^="?reply_to="]`)
	y.step("write the reply", chromedp.Focus(chromedp.CSS(`#reply-form textarea[name=body]`), chromedp.NodeVisible), typeKeys("Avec plaisir, je relis ce soir.", 0))
	y.ClickAndWait(`#reply-form button[type=submit]`)
	a.WaitUntil(`document.querySelector("[data-notification-count]:not([hidden])")?.textContent === "1"`)
	assertNotReloaded(a, "a reply")
	if !strings.Contains(a.Text(".comment-replies"), "je relis ce soir") {
		t.Errorf("the reply is not on Amina's page: %q", a.Text(".comment-list"))
	}
	a.Snapshot("reply-bell-fr")

	// Arabic, at a phone's width: the list fits and reads right to left.
	chooseLanguage(a, "ar")
	a.step("phone width", chromedp.EmulateViewport(390, 844))
	a.Go(measure)
	a.step("type @يو", chromedp.Focus(chromedp.CSS("#comment-body"), chromedp.NodeVisible), insertWords("شكرا @Yo", 0))
	a.WaitVisible(`#comment-body-people [role=option]`)
	if got := a.Attr("#comment-body-people", "aria-label"); got != "أشخاص للإشارة إليهم" {
		t.Errorf("the list is named %q", got)
	}
	phoneSnapshot(a, "mention-list-ar-390")
	a.Press(kb.Enter)
	if got := a.Value("#comment-body"); !strings.Contains(got, fmt.Sprintf("@[Youssef El Idrissi](user:%d) ", youssef.ID)) {
		t.Errorf("Enter wrote %q", got)
	}

	// Nobody by that name: the list says so.
	a.step("type @zz", typeKeys(" @zz", 0))
	a.WaitUntil(`document.querySelector(".mention-status:not(.visually-hidden)")?.textContent === "لا أحد بهذا الاسم يمكنه رؤية هذا التدبير."`)

	// The co-editor: the same people, through CodeMirror's list.
	chooseLanguage(a, "fr")
	a.step("desktop width", chromedp.EmulateViewport(1280, 900))
	a.Go(measure + "/edit")
	a.WaitUntil(`window.pacteEditor?.saveState() === "saved"`)
	a.step("go to the end", chromedp.Focus(chromedp.CSS(".cm-content"), chromedp.NodeVisible), chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	a.step("type @You in the editor", typeKeys(" Voir @You", 0))
	a.WaitVisible(`.cm-tooltip-autocomplete [role=option]`)
	if got := a.Text(`.cm-tooltip-autocomplete [role=option][aria-selected]`); !strings.Contains(got, "Youssef El Idrissi") {
		t.Fatalf("the editor proposes %q", got)
	}
	if Eval[string](a, `document.querySelector(".cm-content").getAttribute("aria-activedescendant") || ""`) == "" {
		t.Error("the editor does not point at the proposed person")
	}
	a.Snapshot("mention-editor-fr")
	a.Press(kb.Enter)
	a.WaitUntil(fmt.Sprintf(`window.pacteEditor.text().includes("Voir @[Youssef El Idrissi](user:%d) ")`, youssef.ID))
	a.WaitUntil(`window.pacteEditor.saveState() === "saved"`)
	a.AssertCleanConsole()
	y.AssertCleanConsole()
}
