package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server/servertest"
)

const commentsBody = "## Objectif\n\nLa transformation numérique des PME **marocaines** est une priorité.\n\nLes PME exportatrices d'abord."

// commentsMeasure inserts a draft of APEBI straight into the database, with
// its author as editor.
func commentsMeasure(t *testing.T, app *servertest.App, author *models.User) int64 {
	t.Helper()
	var id int64
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := app.Store.Write(context.Background(), func(tx *models.Tx) error {
		err := tx.Raw(`INSERT INTO measures (title, summary, body, pillar, axis, lead_organization_id, visibility, status, revision, created_by, created_at, updated_at)
			VALUES ('Accélérer la numérisation des PME', 'Résumé', ?, 'digital_economy', 'startups', ?, 'federation', 'draft', 1, ?, ?, ?) RETURNING id`,
			commentsBody, author.OrgID(), author.ID, now, now).Scan(&id).Error
		if err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO measure_editors (measure_id, user_id, added_by, created_at) VALUES (?, ?, ?, ?)`, id, author.ID, author.ID, now).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// typeInto types into an empty textarea (Tab.Fill clears first, which an
// empty textarea refuses).
func typeInto(tab *Tab, sel, value string) {
	tab.T.Helper()
	tab.step("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

// TestComments_LiveThread: two members of a federation discuss a draft in
// two browsers; each comment and reply, posted with the plain forms, appears
// in the other browser without a reload; a moderator hides one and its text
// leaves the member's page at once.
func TestComments_LiveThread(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	member := app.User(models.RoleMember, "apebi")
	moderator := app.User(models.RoleModerator, "msec")
	id := commentsMeasure(t, app, author)
	page := fmt.Sprintf("/measures/%d", id)
	// A comment on a passage (what the editor sends: UTF-16 offsets).
	quote := "des PME **marocaines**"
	from := len([]rune(commentsBody[:strings.Index(commentsBody, quote)]))
	if _, err := app.Store.CreateComment(context.Background(), member, id, models.NewComment{Body: "Et les autres régions ?",
		Anchor: &models.AnchorInput{Quote: quote, From: from, To: from + len([]rune(quote))}}); err != nil {
		t.Fatal(err)
	}

	a := newBrowser(t, app)
	login(a, author)
	a.Go(page)
	b := a.NewWindow("B")
	login(b, member)
	b.Go(page)
	b.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)
	a.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)

	// The quoted words are marked in the text; the margin links to them.
	if got := a.Text(`mark[data-anchor-for]`); got != "des PME" {
		t.Errorf("first mark reads %q", got)
	}
	a.Click(`.comments-margin .comment-quote a`)
	a.WaitUntil(`location.hash.startsWith("#anchor-")`)

	// A comments with the form (a full page load); B sees it arrive live.
	typeInto(a, `#comment-form textarea[name="body"]`, "Il faut **accélérer** le calendrier.")
	a.ClickAndWait(`#comment-form button[type="submit"]`)
	a.WaitVisible(`[data-comments] > [data-comment-id] strong`)
	cid := Eval[string](a, `document.querySelector("[data-comments] > [data-comment-id]").dataset.commentId`)
	sel := fmt.Sprintf(`[data-comment-id="%s"]`, cid)
	b.WaitVisible(sel + ` [data-field="body"] strong`)
	if got := b.Text(sel + ` [data-field="author"] .person-name`); got != author.Name {
		t.Errorf("B sees author %q", got)
	}
	if got := b.Text(sel + ` [data-field="author"] .person-org`); got == "" {
		t.Errorf("B sees the author without their organisation")
	}
	if got := b.Text(`[data-comment-count]`); got != "2" {
		t.Errorf("B's count %q", got)
	}
	if b.Has(`[data-comments-empty]:not([hidden])`) {
		t.Error("B still sees the empty message")
	}

	// The live comment is the server's rendering for B: the same avatar,
	// date format and actions (B may report it) as after a reload.
	if !b.Has(fmt.Sprintf(`%s a[href="/comments/%s/report"]`, sel, cid)) {
		t.Error("B's live comment has no report link")
	}
	if b.Has(fmt.Sprintf(`%s a[href="/comments/%s/edit"]`, sel, cid)) {
		t.Error("B may edit A's live comment")
	}
	if !b.Has(sel + ` .comment-avatar`) {
		t.Error("B's live comment has no avatar")
	}
	liveTime := b.Text(sel + ` time`)
	liveHTML := Eval[string](b, fmt.Sprintf(`document.querySelector('%s').outerHTML`, sel))
	b.Screenshot("comments-live-fr")

	// B replies under it with the comment's reply link (the page comes
	// back with the reply form under that comment); A sees the reply
	// inside the thread.
	b.ClickAndWait(fmt.Sprintf(`%s a[href="?reply_to=%s#reply-form"]`, sel, cid))
	if got := b.Text(sel + ` time`); got != liveTime {
		t.Errorf("live date %q, after reload %q", liveTime, got)
	}
	if got := Eval[string](b, fmt.Sprintf(`document.querySelector('%s > article').outerHTML`, sel)); !strings.Contains(liveHTML, got) {
		t.Errorf("the live comment differs from the reloaded one:\nlive:   %s\nreload: %s", liveHTML, got)
	}
	typeInto(b, `#reply-form textarea`, "D'accord, dès ce trimestre.")
	if got := b.Value(`#reply-form input[name="parent_id"]`); got != cid {
		t.Errorf("the reply form answers %q, want %s", got, cid)
	}
	b.ClickAndWait(`#reply-form button[type="submit"]`)
	a.WaitUntil(fmt.Sprintf(`document.querySelector('[data-replies-for="%s"] [data-comment-id]')?.textContent.includes("trimestre")`, cid))
	if p := b.Path(); p != page {
		t.Errorf("after replying B is on %s", p)
	}

	// A moderator hides A's comment: B's page loses the text by itself.
	m := a.NewWindow("M")
	login(m, moderator)
	m.Go(page)
	// (The comment's "Hide" link leads to a page with the reason form.)
	m.ClickAndWait(fmt.Sprintf(`%s a[href="/comments/%s/hide"]`, sel, cid))
	m.Fill(`#comment-action-form input[name="reason"]`, "Ton agressif")
	m.ClickAndWait(`#comment-action-form button[type="submit"]`)
	b.WaitUntil(fmt.Sprintf(`!document.querySelector('%s').textContent.includes("accélérer")`, sel))
	b.WaitVisible(sel + ` .comment-placeholder`)
	if !m.Has(fmt.Sprintf(`a[href="/comments/%s/restore"]`, cid)) {
		t.Error("the moderator has no restore link")
	}

	// A replies to B's reply with the page's reply link, without any
	// script: the page comes back with the one reply form under it.
	rid := Eval[string](a, fmt.Sprintf(`document.querySelector('[data-replies-for="%s"] [data-comment-id]').dataset.commentId`, cid))
	a.Go(page)
	a.ClickAndWait(fmt.Sprintf(`#comment-%s a[href="?reply_to=%s#reply-form"]`, rid, rid))
	if got := a.Value(`#reply-form input[name="parent_id"]`); got != rid {
		t.Errorf("the reply form answers %q, want %s", got, rid)
	}
	typeInto(a, `#reply-form textarea`, "Réponse sans script.")
	a.ClickAndWait(`#reply-form button[type="submit"]`)
	a.WaitUntil(fmt.Sprintf(`document.querySelector('[data-replies-for="%s"]')?.textContent.includes("sans script")`, rid))
	b.WaitUntil(fmt.Sprintf(`document.querySelector('[data-replies-for="%s"]')?.textContent.includes("sans script")`, rid))
	for _, tab := range []*Tab{a, b, m} {
		tab.AssertCleanConsole()
	}

	// The thread in Arabic, right to left, for a look.
	b.Go("/profile")
	b.Select(`select[name="locale"]`, "ar")
	b.ClickAndWait(`form[action="/profile"] button[type="submit"]`)
	b.Go(page)
	if dir := Eval[string](b, `getComputedStyle(document.querySelector("[data-comments]")).direction`); dir != "rtl" {
		t.Errorf("Arabic thread direction %q", dir)
	}
	b.Screenshot("comments-ar")
	a.Screenshot("comments-fr")
}
