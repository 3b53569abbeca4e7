package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server/servertest"
)

// Layout of the pages at a desktop and a phone's width (issue 8, point 19)
// and the measures list's filters (point 20).

const (
	desktopWidth = 1440
	phoneWidth   = 390
)

// resize sets the tab's window; the page lays itself out again.
func (tab *Tab) resize(w, h int64) {
	tab.T.Helper()
	tab.step(fmt.Sprintf("viewport %dx%d", w, h), chromedp.EmulateViewport(w, h))
	tab.WaitUntil(fmt.Sprintf("document.documentElement.clientWidth <= %d", w))
}

// look is Snapshot (screenshot, no raw keys, no horizontal overflow), with
// the window only on a desktop: Chromium's full-page capture of a
// right-to-left page shifts it sideways once the window was resized.
func (tab *Tab) look(name string) {
	tab.T.Helper()
	if Eval[int](tab, "innerWidth") > phoneWidth {
		saveScreenshot(tab.T, name, run(tab, "screenshot "+name, chromedp.CaptureScreenshot()))
	} else {
		tab.Screenshot(name)
	}
	tab.AssertTranslated(name)
	tab.AssertNoOverflow(name)
}

// headerHeight is the rendered height of the site header.
func (tab *Tab) headerHeight() float64 {
	return Eval[float64](tab, `document.querySelector(".site-header").getBoundingClientRect().height`)
}

// newMeasureAPI creates a measure through the API as c and returns its id.
func newMeasureAPI(t *testing.T, c *servertest.Client, title, body string) int64 {
	t.Helper()
	var m struct {
		ID int64 `json:"id"`
	}
	if st := c.Do("POST", "/api/v1/measures", map[string]any{"title": title, "summary": "Résumé : " + title, "body": body,
		"pillar": "enablers", "axis": "cloud_computing"}, &m); st != 201 {
		t.Fatalf("create measure: %d", st)
	}
	return m.ID
}

func TestLayout_HeaderOneRowAndPhoneMenu(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	admin := person(t, app, models.RoleAdmin, "ministry", "Nadia Administratrice")
	mod := person(t, app, models.RoleModerator, "ministry", "Youssef Modérateur")
	a := newBrowser(t, app)
	for _, who := range []struct {
		name string
		u    *models.User
	}{{"admin", admin}, {"moderator", mod}} {
		tab := a.NewWindow(who.name)
		login(tab, who.u)
		for _, loc := range []string{"fr", "ar"} {
			if loc == "ar" {
				tab.resize(desktopWidth, 900)
				chooseLanguage(tab, "ar")
			}
			tab.resize(desktopWidth, 900)
			tab.Go("/measures")
			// One row: every navigation link and the tools share a line, and
			// the header is as high as one row.
			if h := tab.headerHeight(); h > 70 {
				t.Errorf("[%s %s] the header is %.0fpx high at %dpx (two rows?)", who.name, loc, h, desktopWidth)
			}
			spread := Eval[float64](tab, `(() => { const c = [...document.querySelectorAll(".brand, .main-nav a, .lang-switch, .tools .me, .tools button.link")]
			  .map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; }); return Math.max(...c) - Math.min(...c); })()`)
			if spread > 16 {
				t.Errorf("[%s %s] the header's links are not on one row (their middles are %.0fpx apart)", who.name, loc, spread)
			}
			if tab.Has(".menu-button:not([hidden])") && Eval[bool](tab, `getComputedStyle(document.querySelector(".menu-button")).display !== "none"`) {
				t.Errorf("[%s %s] the menu button shows on a desktop", who.name, loc)
			}
			// Their dashboard link is an icon, named for screen readers and
			// by its tooltip.
			if !Eval[bool](tab, `(() => { const a = document.querySelector('.main-nav a[href="/dashboard"]'); const r = a && a.getBoundingClientRect();
			  return !!a && r.width > 0 && r.width < 48 && a.title !== "" && a.textContent.trim() === a.title; })()`) {
				t.Errorf("[%s %s] no dashboard icon link in the navigation row", who.name, loc)
			}
			tab.look(fmt.Sprintf("layout-header-%s-%s-desktop", who.name, loc))
			// Narrower desktops: still one row (the name folds into the
			// avatar), then the menu button; never a page wider than the window.
			for _, w := range []int64{1280, 1100} {
				tab.resize(w, 900)
				if h := tab.headerHeight(); h > 70 {
					t.Errorf("[%s %s] the header is %.0fpx high at %dpx", who.name, loc, h, w)
				}
				tab.AssertNoOverflow(fmt.Sprintf("measures at %dpx", w))
			}
			tab.look(fmt.Sprintf("layout-header-%s-%s-1100", who.name, loc))

			// A phone: the brand and a menu button; the menu opens on a tap.
			tab.resize(phoneWidth, 844)
			tab.Go("/measures")
			if h := tab.headerHeight(); h > 64 {
				t.Errorf("[%s %s] the header is %.0fpx high on a phone", who.name, loc, h)
			}
			if Eval[bool](tab, `document.querySelector(".main-nav").getClientRects().length > 0`) {
				t.Errorf("[%s %s] the navigation shows before the menu is opened", who.name, loc)
			}
			tab.look(fmt.Sprintf("layout-header-%s-%s-phone", who.name, loc))
			tab.Click(".menu-button")
			tab.WaitVisible(`.main-nav a[href="/admin/users"]`)
			if !Eval[bool](tab, `document.querySelector('.main-nav a[href="/dashboard"] .nav-label').getBoundingClientRect().width > 40`) {
				t.Errorf("[%s %s] the phone menu does not write out the dashboard link", who.name, loc)
			}
			if !Eval[bool](tab, `document.querySelector("#menu-toggle").checked`) {
				t.Errorf("[%s %s] the menu's state is not exposed", who.name, loc)
			}
			tab.look(fmt.Sprintf("layout-header-%s-%s-phone-menu", who.name, loc))
			// The keyboard opens and closes it too (a checkbox: Space).
			tab.Click(".menu-button")
			tab.WaitUntil(`document.querySelector(".main-nav").getClientRects().length === 0`)
			tab.resize(desktopWidth, 900)
		}
		tab.AssertCleanConsole()
	}
}

func TestLayout_PhoneTablesAndDiff(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := person(t, app, models.RoleMember, "apebi", "Amina Rédactrice")
	reviewer := person(t, app, models.RoleReviewer, "ministry", "Karim Examinateur")
	ac := app.Login(author)
	long := "Plateforme nationale d'interopérabilité des données administratives entre ministères et collectivités"
	body := "## Objectif\n\nRelier les registres des administrations pour que le citoyen ne fournisse qu'une fois chaque pièce.\n\n- Étape un : inventaire des registres\n- Étape deux : API communes\n"
	id := newMeasureAPI(t, ac, long, body)
	var cur struct {
		Revision int `json:"revision"`
	}
	ac.Do("GET", fmt.Sprintf("/api/v1/measures/%d", id), nil, &cur)
	if st := ac.Do("PATCH", fmt.Sprintf("/api/v1/measures/%d", id), map[string]any{"revision": cur.Revision,
		"body": strings.Replace(body, "une fois", "une seule fois", 1) + "- Étape trois : un guichet unique en ligne, ouvert à toutes les régions du Royaume\n"}, nil); st != 200 {
		t.Fatalf("edit: %d", st)
	}
	if st := ac.Do("POST", fmt.Sprintf("/api/v1/measures/%d/submit", id), nil, nil); st != 200 {
		t.Fatalf("submit: %d", st)
	}
	newMeasureAPI(t, ac, "Cloud souverain", "Texte.")

	r := newBrowser(t, app)
	r.Name = "reviewer"
	login(r, reviewer)
	a := r.NewWindow("author")
	login(a, author)
	for _, loc := range []string{"fr", "ar"} {
		if loc == "ar" {
			r.resize(desktopWidth, 900)
			chooseLanguage(r, "ar")
			a.resize(desktopWidth, 900)
			chooseLanguage(a, "ar")
		}
		r.resize(phoneWidth, 844)
		r.Go("/review")
		if !r.Has(fmt.Sprintf(`.review-queue [data-measure-row="%d"]`, id)) {
			t.Fatalf("[%s] the review queue does not list the measure", loc)
		}
		r.look("layout-review-queue-phone-" + loc) // fails on horizontal overflow
		r.resize(desktopWidth, 900)
		r.Go("/review")
		r.look("layout-review-queue-desktop-" + loc)

		a.resize(phoneWidth, 844)
		a.Go(fmt.Sprintf("/measures/%d/history", id))
		// The table may be wider than the phone, but only inside its own
		// scrolling box.
		if !Eval[bool](a, `getComputedStyle(document.querySelector("table.revisions").parentElement).overflowX === "auto"`) {
			t.Errorf("[%s] the history table is not in a scrolling box", loc)
		}
		a.look("layout-history-phone-" + loc)

		// The side-by-side comparison gives way to the inline one on a phone.
		a.Go(fmt.Sprintf("/measures/%d/diff?from=1&to=2&mode=side", id))
		shown := func(sel string) bool {
			return Eval[bool](a, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, sel))
		}
		if shown(`[data-diff="side"]`) || !shown(`[data-diff="inline-fallback"]`) {
			t.Errorf("[%s] on a phone the diff shows side=%v inline=%v, want the inline one only", loc, shown(`[data-diff="side"]`), shown(`[data-diff="inline-fallback"]`))
		}
		if !Eval[bool](a, `document.querySelector('[data-diff="inline-fallback"] ins') !== null`) {
			t.Errorf("[%s] the inline comparison marks no insertion", loc)
		}
		a.look("layout-diff-phone-" + loc)
		a.resize(desktopWidth, 900)
		a.Go(fmt.Sprintf("/measures/%d/diff?from=1&to=2&mode=side", id))
		if !shown(`[data-diff="side"]`) || shown(`[data-diff="inline-fallback"]`) {
			t.Errorf("[%s] on a desktop the side-by-side diff is not the one shown", loc)
		}
		a.look("layout-diff-desktop-" + loc)
		a.Go(fmt.Sprintf("/measures/%d/history", id))
		a.look("layout-history-desktop-" + loc)
	}
	r.AssertCleanConsole()
	a.AssertCleanConsole()
}

// tabbables lists, in keyboard order, a description of every element the
// Tab key reaches (no positive tabindex is used on the site, so keyboard
// order is document order).
const tabbables = `[...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, [tabindex]")]
  .filter(e => e.tabIndex >= 0 && !e.disabled && e.getClientRects().length > 0)`

func TestLayout_MeasureActionsBeforeComments(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := person(t, app, models.RoleMember, "apebi", "Amina Rédactrice")
	reviewer := person(t, app, models.RoleReviewer, "ministry", "Karim Examinateur")
	ac := app.Login(author)
	id := newMeasureAPI(t, ac, "Identité numérique pour tous", "Un texte [avec un lien](https://www.maroc.ma/).")
	for i := 0; i < 3; i++ {
		if st := ac.Do("POST", fmt.Sprintf("/api/v1/measures/%d/comments", id), map[string]any{"body": fmt.Sprintf("Commentaire %d, voir [la note](https://www.maroc.ma/).", i)}, nil); st != 201 {
			t.Fatalf("comment: %d", st)
		}
	}
	if st := ac.Do("POST", fmt.Sprintf("/api/v1/measures/%d/submit", id), nil, nil); st != 200 {
		t.Fatalf("submit: %d", st)
	}
	r := newBrowser(t, app)
	r.Name = "reviewer"
	login(r, reviewer)
	for _, loc := range []string{"fr", "ar"} {
		if loc == "ar" {
			r.resize(desktopWidth, 900)
			chooseLanguage(r, "ar")
		}
		r.resize(desktopWidth, 900)
		r.Go(fmt.Sprintf("/measures/%d", id))
		order := Eval[struct {
			FirstAction  int `json:"firstAction"`
			FirstComment int `json:"firstComment"`
			Comments     int `json:"comments"`
		}](r, `(() => { const t = `+tabbables+`;
		  return { firstAction: t.findIndex(e => e.closest(".measure-actions")),
		           firstComment: t.findIndex(e => e.closest(".measure-comments") && e.matches("a, button")),
		           comments: t.filter(e => e.closest(".measure-comments")).length }; })()`)
		if order.FirstAction < 0 || order.Comments == 0 {
			t.Fatalf("[%s] no actions (%d) or no comment links (%d) to compare", loc, order.FirstAction, order.Comments)
		}
		if order.FirstAction > order.FirstComment {
			t.Errorf("[%s] the Tab key reaches the Actions panel (#%d) after the comments (#%d)", loc, order.FirstAction, order.FirstComment)
		}
		// The decision radios are radio-sized, beside their labels.
		w := Eval[float64](r, `Math.max(...[...document.querySelectorAll('.review-form input[type=radio]')].map(e => e.getBoundingClientRect().width))`)
		if w > 30 {
			t.Errorf("[%s] the decision radios are %.0fpx wide", loc, w)
		}
		// On a wide screen the actions still sit in the side column.
		if loc == "fr" && !Eval[bool](r, `document.querySelector(".measure-actions").getBoundingClientRect().left > document.querySelector(".measure-main").getBoundingClientRect().right`) {
			t.Errorf("[%s] the Actions panel is not in the side column", loc)
		}
		if loc == "ar" && !Eval[bool](r, `document.querySelector(".measure-actions").getBoundingClientRect().right < document.querySelector(".measure-main").getBoundingClientRect().left`) {
			t.Errorf("[%s] the Actions panel is not in the side column (left, in Arabic)", loc)
		}
		r.look("layout-measure-actions-desktop-" + loc)
		r.resize(phoneWidth, 844)
		r.Go(fmt.Sprintf("/measures/%d", id))
		r.look("layout-measure-actions-phone-" + loc)
	}
	r.AssertCleanConsole()
}

func TestLayout_EditPageMarkdownHelpAndStyleNonce(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := person(t, app, models.RoleMember, "apebi", "Amina Rédactrice")
	id := newMeasureAPI(t, app.Login(author), "Cloud souverain", "## Objectif\n\nHéberger au Maroc.\n")
	a := newBrowser(t, app)
	login(a, author)
	for _, loc := range []string{"fr", "ar"} {
		if loc == "ar" {
			a.resize(desktopWidth, 900)
			chooseLanguage(a, "ar")
		}
		for _, w := range []int64{desktopWidth, phoneWidth} {
			a.resize(w, 900)
			a.Go(fmt.Sprintf("/measures/%d/edit", id))
			a.WaitVisible(".editor-cm .cm-content")
			// CodeMirror's own <style> element carries the page's nonce and
			// is applied (no CSP refusal).
			st := Eval[struct {
				Meta    string `json:"meta"`
				Nonce   string `json:"nonce"`
				Applied bool   `json:"applied"`
			}](a, `(() => { const s = [...document.head.querySelectorAll("style")].find(s => s.textContent.includes("\u037c"));
			  return { meta: document.querySelector('meta[name="csp-nonce"]')?.content || "", nonce: s?.nonce || "", applied: !!s?.sheet }; })()`)
			if st.Meta == "" || st.Nonce != st.Meta || !st.Applied {
				t.Errorf("[%s] CodeMirror's style: meta nonce %q, style nonce %q, applied %v", loc, st.Meta, st.Nonce, st.Applied)
			}
			// The Markdown samples read left to right, brackets first.
			link := Eval[struct {
				Text string `json:"text"`
				Dir  string `json:"dir"`
			}](a, `(() => { const c = [...document.querySelectorAll("#m-body-help code")].pop(); return { text: c.textContent, dir: getComputedStyle(c).direction }; })()`)
			if !strings.HasPrefix(link.Text, "[") || !strings.HasSuffix(link.Text, "(https://…)") || link.Dir != "ltr" {
				t.Errorf("[%s] the link sample is %q, direction %s", loc, link.Text, link.Dir)
			}
			if loc == "ar" && !strings.Contains(link.Text, "نص") {
				t.Errorf("[ar] the link sample is not in Arabic: %q", link.Text)
			}
			// The axis select offers the chosen pillar's axes only.
			a.Select("#m-pillar", "digital_economy")
			hidden := Eval[[]string](a, `[...document.querySelectorAll("#m-axis optgroup")].filter(g => g.disabled).map(g => g.dataset.pillar)`)
			if strings.Join(hidden, ",") != "enablers" && !(len(hidden) >= 1 && !strings.Contains(strings.Join(hidden, ","), "digital_economy")) {
				t.Errorf("[%s] axis groups disabled for digital_economy: %v", loc, hidden)
			}
			if got := a.Value("#m-axis"); got != "" {
				t.Errorf("[%s] the axis of the old pillar stays chosen: %q", loc, got)
			}
			a.look(fmt.Sprintf("layout-edit-%s-%d", loc, w))
		}
	}
	a.AssertCleanConsole()
}

func TestMeasuresList_FiltersInTheBrowser(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	author := person(t, app, models.RoleMember, "apebi", "Amina Rédactrice")
	ac := app.Login(author)
	newMeasureAPI(t, ac, "Cloud souverain", "Texte.")
	a := newBrowser(t, app)
	login(a, author)
	for _, loc := range []string{"fr", "ar"} {
		if loc == "ar" {
			a.resize(desktopWidth, 900)
			chooseLanguage(a, "ar")
		}
		for _, w := range []int64{desktopWidth, phoneWidth} {
			a.resize(w, 900)
			a.Go("/")
			if !a.Has(`.home-counts a[href="/measures?scope=mine"]`) {
				t.Fatalf("[%s] no 'my measures' link on the home page", loc)
			}
			a.look(fmt.Sprintf("lists-home-%s-%d", loc, w))
			a.ClickAndWait(`.home-counts a[href="/measures?scope=mine"]`)
			if got := a.Attr(`.scope-tabs a[aria-current]`, "data-scope"); got != "mine" {
				t.Errorf("[%s] the list's current scope is %q", loc, got)
			}
			// Choosing a pillar narrows the axes; the form keeps the scope.
			a.Select("#f-pillar", "public_services")
			if n := Eval[int](a, `[...document.querySelectorAll("#f-axis optgroup")].filter(g => !g.disabled).length`); n > 1 {
				t.Errorf("[%s] %d axis groups stay offered for one pillar", loc, n)
			}
			a.Select("#f-pillar", "enablers")
			a.Select("#f-axis", "cloud_computing")
			a.ClickAndWait(`form.filters button[type=submit]`)
			if p := a.Path(); !strings.Contains(p, "scope=mine") || !strings.Contains(p, "axis=cloud_computing") {
				t.Errorf("[%s] filtering leads to %s", loc, p)
			}
			if n := Eval[int](a, `document.querySelectorAll(".measure-list [data-measure-row]").length`); n != 1 {
				t.Errorf("[%s] %d measures listed, want 1", loc, n)
			}
			a.look(fmt.Sprintf("lists-measures-%s-%d", loc, w))
		}
	}
	a.AssertCleanConsole()
}
