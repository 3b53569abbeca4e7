package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server/servertest"
)

// TestSearch_FromTheHeader: a member types words in the header's box, gets
// ranked results with the words marked, narrows them with a facet, and the
// address keeps the search (back and forward work); a date the server
// cannot read comes back beside its field, the rest of the form kept. In
// French and Arabic, on a desktop and a phone.
func TestSearch_FromTheHeader(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleMember, "apebi")
	c := app.Login(u)
	newMeasureAPI(t, c, "Souveraineté numérique de l'État", "Héberger les données de l'État sur un cloud souverain.")
	newMeasureAPI(t, c, "Formation des jeunes au numérique", "Dix mille jeunes formés aux métiers du numérique chaque année.")
	id := newMeasureAPI(t, c, "الإدارة الرقمية للخدمات العمومية", "رقمنة الخدمات العمومية في جميع الإدارات.")
	if st := c.Do("POST", "/api/v1/measures/"+strconv.FormatInt(id, 10)+"/comments", map[string]any{"body": "Il faut associer les administrations régionales au numérique."}, nil); st != 201 {
		t.Fatalf("comment: %d", st)
	}

	tab := newBrowser(t, app)
	login(tab, u)
	tab.Fill(".nav-search input[name=q]", "numeriques")
	tab.ClickAndWait(".nav-search button")
	if p := tab.Path(); !strings.HasPrefix(p, "/search?q=numeriques") {
		t.Fatalf("the header's box went to %s", p)
	}
	tab.WaitVisible(".search-hit mark")
	if n := Eval[int](tab, `document.querySelectorAll(".search-hit").length`); n != 3 {
		t.Errorf("%d results for « numeriques », want the two measures and the comment", n)
	}
	if first := tab.Text(".search-hit a"); !strings.Contains(first, "numérique") {
		t.Errorf("first result %q", first)
	}
	tab.look("search-fr")

	// A facet narrows; the address says so; back widens again.
	tab.ClickAndWait(`.search-facets a[href*="type=comment"]`)
	if n := Eval[int](tab, `document.querySelectorAll(".search-hit").length`); n != 1 || !strings.Contains(tab.Path(), "type=comment") {
		t.Errorf("comment facet: %d results at %s", n, tab.Path())
	}
	tab.navigating("back", chromedp.NavigateBack())
	if n := Eval[int](tab, `document.querySelectorAll(".search-hit").length`); n != 3 {
		t.Errorf("after going back: %d results", n)
	}

	// A date the server cannot read: the message beside the field, the
	// words kept, the field focused.
	tab.Go("/search?q=numeriques&from=2026-02-31")
	tab.WaitVisible("#s-from-error")
	if v := tab.Value("#s-q"); v != "numeriques" {
		t.Errorf("the words were not kept: %q", v)
	}
	if focused := tab.Focused("s-from"); focused != "s-from" {
		t.Errorf("focus on %q, want the date", focused)
	}
	tab.look("search-bad-date-fr")

	// Arabic: the forms of alef and the article are folded.
	chooseLanguage(tab, "ar")
	tab.Go("/search?q=" + "%D8%A7%D9%84%D8%A7%D8%AF%D8%A7%D8%B1%D9%87") // الاداره
	tab.WaitVisible(".search-hit mark")
	if first := tab.Text(".search-hit a"); !strings.Contains(first, "الإدارة") {
		t.Errorf("« الاداره » found %q first", first)
	}
	tab.look("search-ar")
	tab.resize(phoneWidth, 844)
	tab.Reload()
	tab.look("search-ar-phone")
	// The window as the person sees it (a full-page capture of a
	// right-to-left page is shifted once the window was resized).
	saveScreenshot(t, "search-ar-phone-window", run(tab, "screenshot", chromedp.CaptureScreenshot()))
	chooseLanguage(tab, "fr")
	tab.Go("/search?q=numerique")
	tab.look("search-fr-phone")
	tab.AssertCleanConsole()
}
