package e2e

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pacte/models"
	"pacte/pact"
	"pacte/server/servertest"
)

// The public Pact (/pacte) read by an anonymous visitor with the keyboard
// only: no account, no click, and no cookie.

// publicSpec is a measure the test publishes, and what the public pages
// must show of it.
type publicSpec struct {
	org, cosponsor        string // federations' slugs ("" for no co-sponsor)
	title, summary, body  string
	pillar, axis          string // axis "" for none
	id                    int64
	leadName, fingerprint string
}

// publicPortalMeasures are four measures of four federations, over the three
// pillars; APEBI's is co-sponsored by MNC, MSEC's has an Arabic title and
// summary.
func publicPortalMeasures() []*publicSpec {
	return []*publicSpec{
		{org: "apebi", cosponsor: "mnc", pillar: "enablers", axis: "cloud_computing",
			title:   "Cloud souverain pour les administrations publiques",
			summary: "Héberger au Maroc les données des administrations, sur des offres qualifiées par la DGSSI.",
			body: "## Objectif\n\nLes administrations migrent leurs applications vers un cloud qualifié, hébergé au Maroc, " +
				"conformément à la loi 05-20 sur la cybersécurité.\n\n## Calendrier\n\n- 2026 : référentiel de qualification\n- 2027 : migration des premiers ministères\n"},
		{org: "mnc", pillar: "digital_economy", axis: "sme_digitalisation",
			title:   "Chèque numérique pour la digitalisation des PME",
			summary: "Un chèque de 20 000 dirhams pour équiper les PME en outils de gestion et de vente en ligne.",
			body:    "## Principe\n\nChaque PME éligible reçoit un chèque utilisable auprès de prestataires labellisés.\n\nLes régions hors de l'axe Casablanca-Rabat sont prioritaires.\n"},
		{org: "ausim", pillar: "public_services",
			title:   "Guichet unique des démarches administratives en ligne",
			summary: "Toutes les démarches des citoyens sur un seul portail, avec un suivi de dossier et des délais publiés.",
			body:    "## Le guichet\n\nUn identifiant unique pour toutes les démarches, et un suivi de chaque dossier.\n\nLes délais de traitement sont publiés chaque trimestre.\n"},
		{org: "msec", pillar: "digital_economy", axis: "startups",
			title:   "صندوق وطني لتمويل المقاولات الناشئة",
			summary: "صندوق عمومي خاص يمول المقاولات الناشئة المغربية في مراحلها الأولى.",
			body: "## Le fonds\n\nUn fonds de 500 millions de dirhams, géré avec des investisseurs privés, finance l'amorçage des start-up.\n\n" +
				"يستهدف الصندوق المقاولات الناشئة في جميع جهات المملكة.\n"},
	}
}

// publishForPortal takes each measure through the API as the platform's
// people do (write, co-sponsor, submit, approve, publish) and fills in its
// id, lead federation's name and fingerprint.
func publishForPortal(t *testing.T, app *servertest.App, specs []*publicSpec) {
	t.Helper()
	reviewer := app.Login(person(t, app, models.RoleReviewer, "ministry", "Rachid Relecteur"))
	clients := map[string]*servertest.Client{}
	member := func(org string) *servertest.Client {
		if c, ok := clients[org]; ok {
			return c
		}
		c := app.Login(person(t, app, models.RoleMember, org, "Membre "+strings.ToUpper(org)))
		clients[org] = c
		return c
	}
	for _, s := range specs {
		in := map[string]any{"title": s.title, "summary": s.summary, "body": s.body, "pillar": s.pillar}
		if s.axis != "" {
			in["axis"] = s.axis
		}
		var m struct {
			ID       int64 `json:"id"`
			Revision int   `json:"revision"`
		}
		author := member(s.org)
		if st := author.Do("POST", "/api/v1/measures", in, &m); st != 201 {
			t.Fatalf("create %q: %d", s.title, st)
		}
		path := fmt.Sprintf("/api/v1/measures/%d", m.ID)
		if st := author.Do("POST", path+"/submit", nil, &m); st != 200 {
			t.Fatalf("submit %q: %d", s.title, st)
		}
		if s.cosponsor != "" {
			if st := member(s.cosponsor).Do("POST", path+"/cosponsor", nil, &m); st != 201 {
				t.Fatalf("co-sponsor %q: %d", s.title, st)
			}
		}
		if st := reviewer.Do("POST", path+"/reviews", map[string]any{"decision": "approved", "revision": m.Revision}, nil); st != 201 {
			t.Fatalf("approve %q: %d", s.title, st)
		}
		if st := reviewer.Do("POST", path+"/publish", map[string]any{"note": "Conforme à la feuille de route."}, nil); st != 200 {
			t.Fatalf("publish %q: %d", s.title, st)
		}
		s.id, s.leadName, s.fingerprint = m.ID, app.Org(s.org).NameFr, pact.TextHash(s.title, s.summary, s.body)
	}
}

// setCookieLog keeps every Set-Cookie header a tab received.
type setCookieLog struct {
	mu        sync.Mutex
	responses int
	cookies   []string
}

// listen runs on the tab's event loop: it must return fast.
func (l *setCookieLog) listen(ev any) {
	var h network.Headers
	switch ev := ev.(type) {
	case *network.EventResponseReceived:
		l.mu.Lock()
		l.responses++
		l.mu.Unlock()
		if ev.Response != nil {
			h = ev.Response.Headers
		}
	case *network.EventResponseReceivedExtraInfo:
		h = ev.Headers // the raw headers, Set-Cookie included
	default:
		return
	}
	for k, v := range h {
		if strings.EqualFold(k, "set-cookie") {
			l.mu.Lock()
			l.cookies = append(l.cookies, fmt.Sprint(v))
			l.mu.Unlock()
		}
	}
}

func (l *setCookieLog) seen() (int, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.responses, append([]string(nil), l.cookies...)
}

// visitorWindow is a new window whose responses' Set-Cookie headers are
// recorded.
func visitorWindow(tab *Tab, name string) (*Tab, *setCookieLog) {
	tab.T.Helper()
	cookies := &setCookieLog{}
	return tab.NewWindow(name, cookies.listen), cookies
}

// assertNoCookie fails when the page can read a cookie, when the browser
// keeps one for the app, or when any response so far tried to set one.
func assertNoCookie(tab *Tab, cookies *setCookieLog, where string) {
	tab.T.Helper()
	if c := Eval[string](tab, "document.cookie"); c != "" {
		tab.T.Errorf("[%s] %s: document.cookie is %q", tab.Name, where, c)
	}
	jar := run(tab, "cookies of the app", chromedp.Action[[]*network.Cookie](func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		r, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{tab.App.URL + "/", tab.App.URL + "/pacte"}})
		if err != nil {
			return nil, err
		}
		return r.Cookies, nil
	}))
	for _, c := range jar {
		tab.T.Errorf("[%s] %s: the browser keeps the cookie %s=%s (path %s)", tab.Name, where, c.Name, c.Value, c.Path)
	}
	if n, set := cookies.seen(); n == 0 {
		tab.T.Errorf("[%s] %s: no response seen by the Set-Cookie listener", tab.Name, where)
	} else if len(set) > 0 {
		tab.T.Errorf("[%s] %s: %d Set-Cookie headers: %q", tab.Name, where, len(set), set)
	}
}

const shift = 8

// pressToGo presses a key that leads to another page (Enter on a link,
// Enter or Space on a submit button) and waits for that page.
func pressToGo(tab *Tab, key string) int64 {
	tab.T.Helper()
	return tab.navigating(fmt.Sprintf("press %q and wait for the next page", key), keyAction(key, 0))
}

// focusStop is where the focus is, and whether a person can see it.
type focusStop struct {
	Desc     string `json:"desc"`
	Match    bool   `json:"match"`
	Shown    bool   `json:"shown"`    // the control (or, for the menu's checkbox, its label) is on screen
	Ring     bool   `json:"ring"`     // it has a focus outline, not cut off by a parent
	Obscured bool   `json:"obscured"` // something else (the sticky header) is drawn over it
}

// focusProbe describes document.activeElement; %s is the wanted selector.
const focusProbe = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {desc: "body"};
  const desc = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.getAttribute("class") ? "." + el.getAttribute("class").trim().split(/\s+/).join(".") : "") +
    (el.getAttribute("href") ? "[href=" + el.getAttribute("href") + "]" : "") + " " + (el.textContent || "").trim().slice(0, 40);
  const shown = el.id === "menu-toggle" ? document.querySelector('label[for="menu-toggle"]') : el;
  const r = shown.getBoundingClientRect(), cs = getComputedStyle(shown);
  const onScreen = r.width > 1 && r.height > 1 && cs.visibility !== "hidden" && parseFloat(cs.opacity) > 0 &&
    r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth;
  const ring = [el, shown].some((e) => { const s = getComputedStyle(e); return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0; });
  // An outline cut off by an ancestor that clips its content.
  const s = getComputedStyle(el), o = parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
  let clipped = false;
  if (shown === el && o > 0) {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const as = getComputedStyle(a);
      if (as.overflowX === "visible" && as.overflowY === "visible") continue;
      const ar = a.getBoundingClientRect();
      if (r.left - o < ar.left - .5 || r.right + o > ar.right + .5 || r.top - o < ar.top - .5 || r.bottom + o > ar.bottom + .5) clipped = true;
    }
  }
  let obscured = false;
  if (onScreen) {
    const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1), y = Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    obscured = !!hit && hit !== shown && !shown.contains(hit) && !hit.contains(shown);
  }
  return {desc, match: el.matches(%q), shown: onScreen, ring: ring && !clipped, obscured};
})()`

// tabTo presses Tab (Shift+Tab when back) until the focus is on sel, and
// fails if it takes more than max presses or passes a focus stop a person
// cannot see (hidden, without an outline, or under something else).
func tabTo(tab *Tab, sel string, back bool, max int) {
	tab.T.Helper()
	mods := int64(0)
	if back {
		mods = shift
	}
	var path []string
	for i := 0; i < max; i++ {
		tab.step("press Tab", keyAction(kb.Tab, mods))
		f := Eval[focusStop](tab, fmt.Sprintf(focusProbe, sel))
		path = append(path, f.Desc)
		if f.Desc != "body" && (!f.Shown || !f.Ring || f.Obscured) {
			tab.T.Errorf("[%s] the focus stops on %s, which a person cannot see (on screen %v, whole outline %v, covered %v)",
				tab.Name, f.Desc, f.Shown, f.Ring, f.Obscured)
		}
		if f.Match {
			return
		}
	}
	tab.T.Fatalf("[%s] %d presses of Tab never reached %s; the focus went:\n  %s", tab.Name, max, sel, strings.Join(path, "\n  "))
}

// chooseByArrows moves the focused <select> down its options with the
// arrow key until it shows want.
func chooseByArrows(tab *Tab, sel, want string) {
	tab.T.Helper()
	if got := Eval[string](tab, "document.activeElement.id"); "#"+got != sel {
		tab.T.Fatalf("[%s] the focus is on #%s, not %s", tab.Name, got, sel)
	}
	for i := 0; i < 12; i++ {
		if tab.Value(sel) == want {
			return
		}
		tab.Press(kb.ArrowDown)
	}
	tab.T.Fatalf("[%s] the arrow key never chose %q in %s (it shows %q)", tab.Name, want, sel, tab.Value(sel))
}

// listedTitles are the titles the portal lists, sorted.
func listedTitles(tab *Tab) []string {
	tab.T.Helper()
	titles := Eval[[]string](tab, `[...document.querySelectorAll(".public-measure h4 a")].map((a) => a.textContent.trim())`)
	sort.Strings(titles)
	return titles
}

func titlesOf(specs ...*publicSpec) []string {
	var out []string
	for _, s := range specs {
		out = append(out, s.title)
	}
	sort.Strings(out)
	return out
}

// assertListDirections fails when a listed measure's title and summary,
// written in one language, read in two directions (an Arabic title aligned
// like the French page around it, its summary the other way).
func assertListDirections(tab *Tab, where string) {
	tab.T.Helper()
	bad := Eval[[]string](tab, `[...document.querySelectorAll(".public-measure")].filter((li) =>
	  getComputedStyle(li.querySelector("h4")).direction !== getComputedStyle(li.querySelector(".summary")).direction)
	  .map((li) => li.querySelector("h4").textContent.trim())`)
	for _, title := range bad {
		tab.T.Errorf("[%s] %s: the title %q and its summary go in two directions", tab.Name, where, title)
	}
}

// queryOf gives the current page's query.
func queryOf(tab *Tab) url.Values {
	tab.T.Helper()
	q, err := url.ParseQuery(Eval[string](tab, "location.search.slice(1)"))
	if err != nil {
		tab.T.Fatal(err)
	}
	return q
}

// linkTo selects a measure's link on the portal, whatever its slug and
// language.
func linkTo(s *publicSpec) string {
	return fmt.Sprintf(`a[href="/pacte/%d"], a[href^="/pacte/%d-"], a[href^="/pacte/%d?"]`, s.id, s.id, s.id)
}

// assertMeasurePage checks a measure's public page against what was
// published.
func assertMeasurePage(tab *Tab, s *publicSpec, lead string) {
	tab.T.Helper()
	if p := Eval[string](tab, "location.pathname"); p != fmt.Sprintf("/pacte/%d", s.id) && !strings.HasPrefix(p, fmt.Sprintf("/pacte/%d-", s.id)) {
		tab.T.Fatalf("[%s] Enter on the measure's link led to %s", tab.Name, p)
	}
	if got := tab.Text("h1#measure-title"); got != s.title {
		tab.T.Errorf("[%s] the measure page's title is %q, want %q", tab.Name, got, s.title)
	}
	if got := tab.Text(".facts div:first-child dd"); got != lead {
		tab.T.Errorf("[%s] the lead federation reads %q, want %q", tab.Name, got, lead)
	}
	if got := tab.Text(".facts code.hash"); got != s.fingerprint {
		tab.T.Errorf("[%s] the SHA-256 reads %q, want %q", tab.Name, got, s.fingerprint)
	}
	body := tab.Text(".measure-text")
	for _, line := range strings.Split(s.body, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(line, "#-"))
		if line != "" && !strings.Contains(body, line) {
			tab.T.Errorf("[%s] the body lacks %q:\n%s", tab.Name, line, body)
		}
	}
}

// TestPublicPact_KeyboardVisitor: an anonymous visitor reads the public
// Pact with the keyboard only, in French on a desktop and in Arabic on a
// phone: skip link, filters (a select moved with the arrow keys), a
// measure's page, the language switch, the phone menu, the printable
// document; no page sets a cookie.
func TestPublicPact_KeyboardVisitor(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	specs := publicPortalMeasures()
	publishForPortal(t, app, specs)
	cloud, pme, fonds := specs[0], specs[1], specs[3]

	first := newBrowser(t, app)
	v, cookies := visitorWindow(first, "visitor")

	// French, desktop: the skip link is the first stop and leads into main.
	if st := v.Go("/pacte"); st != 200 {
		t.Fatalf("GET /pacte: %d", st)
	}
	if got := listedTitles(v); !slices.Equal(got, titlesOf(specs...)) {
		t.Fatalf("/pacte lists %q", got)
	}
	tabTo(v, ".skip-link", false, 1)
	if top := Eval[float64](v, `document.activeElement.getBoundingClientRect().top`); top < 0 {
		t.Errorf("the focused skip link is off screen (top %.0f px)", top)
	}
	v.Press(kb.Enter)
	v.WaitUntil(`location.hash === "#main" && document.activeElement.id === "main"`)
	// The page scrolled to main, whose heading shows below the sticky header.
	if gap := Eval[float64](v, `document.querySelector("main h1").getBoundingClientRect().top - document.querySelector(".site-header").getBoundingClientRect().bottom`); gap < 0 {
		t.Errorf("after the skip link the page's heading is %.0f px under the header", -gap)
	}
	v.Press(keyTab)
	if !Eval[bool](v, `!!document.activeElement.closest("main")`) {
		t.Errorf("Tab after the skip link went to %s, outside main", Eval[string](v, `document.activeElement.outerHTML.slice(0, 120)`))
	}
	assertListDirections(v, "/pacte")
	v.Snapshot("portal-fr-desktop")
	assertNoCookie(v, cookies, "/pacte")

	// A federation, chosen with the arrow keys; Shift+Tab comes back from
	// the button to the select.
	tabTo(v, "#filter-org", false, 30)
	chooseByArrows(v, "#filter-org", "mnc")
	tabTo(v, `form[role=search] button[type=submit]`, false, 3)
	tabTo(v, "#filter-org", true, 3)
	tabTo(v, `form[role=search] button[type=submit]`, false, 3)
	pressToGo(v, kb.Enter)
	if q := queryOf(v); q.Get("org") != "mnc" || v.Value("#filter-org") != "mnc" {
		t.Fatalf("filtering by MNC leads to %s (select shows %q)", v.Path(), v.Value("#filter-org"))
	}
	// MNC leads one measure and co-sponsors another.
	if got, want := listedTitles(v), titlesOf(cloud, pme); !slices.Equal(got, want) {
		t.Errorf("MNC's measures: %q, want %q", got, want)
	}
	if got := v.Text(`.portal-results p[role=status]`); got != "2 mesures sur 4 correspondent." {
		t.Errorf("the count says %q", got)
	}
	v.Snapshot("portal-fr-filtered")
	assertNoCookie(v, cookies, "/pacte?org=mnc")

	// Clear the filters, then open a measure with Enter.
	tabTo(v, ".filter-actions a", false, 30)
	pressToGo(v, kb.Enter)
	if p := v.Path(); p != "/pacte" {
		t.Errorf("clearing the filters leads to %s", p)
	}
	if got := listedTitles(v); len(got) != len(specs) || v.Has(`.portal-results p[role=status]`) {
		t.Errorf("after clearing, %d measures are listed (count sentence shown: %v)", len(got), v.Has(`.portal-results p[role=status]`))
	}
	tabTo(v, linkTo(cloud), false, 40)
	pressToGo(v, kb.Enter)
	assertMeasurePage(v, cloud, cloud.leadName)
	if got := v.Text(".facts div:nth-child(2) dd"); !strings.Contains(got, "Maroc Numeric Cluster") {
		t.Errorf("the co-sponsors read %q", got)
	}
	v.Snapshot("portal-measure-fr")
	assertNoCookie(v, cookies, "measure page")

	// Arabic, from the language switch of the portal.
	v.Go("/pacte")
	tabTo(v, `nav.lang-switch a[hreflang="ar"]`, false, 15)
	pressToGo(v, kb.Enter)
	if lang, dir := v.Attr("html", "lang"), v.Attr("html", "dir"); lang != "ar" || dir != "rtl" {
		t.Fatalf("after the switch, <html lang=%q dir=%q>", lang, dir)
	}
	if q := queryOf(v); q.Get("lang") != "ar" {
		t.Errorf("the Arabic portal is at %s", v.Path())
	}
	assertListDirections(v, "/pacte?lang=ar")
	v.Snapshot("portal-ar")
	// The words box, in Arabic, submitted with Enter.
	tabTo(v, "#filter-q", false, 30)
	v.step("type Arabic words", insertWords("المقاولات الناشئة", 0))
	pressToGo(v, kb.Enter)
	if q := queryOf(v); q.Get("lang") != "ar" || q.Get("q") != "المقاولات الناشئة" {
		t.Errorf("the Arabic search leads to %s", v.Path())
	}
	if got := listedTitles(v); !slices.Equal(got, titlesOf(fonds)) {
		t.Errorf("the Arabic search lists %q", got)
	}
	if got := v.Text(`.portal-results p[role=status]`); got != "تدبير واحد من أصل 4 يطابق." {
		t.Errorf("the Arabic count says %q", got)
	}
	if v.Attr("html", "dir") != "rtl" {
		t.Error("the filtered Arabic page is not right to left")
	}
	assertNoCookie(v, cookies, "/pacte?lang=ar")

	// A phone, in Arabic: the menu opens with Space on its checkbox.
	phone(v)
	v.Go("/pacte?lang=ar")
	if Eval[bool](v, `document.querySelector("#site-menu").offsetParent !== null`) {
		t.Error("at 390 px the menu is open before it is asked for")
	}
	tabTo(v, "#menu-toggle", false, 5)
	v.Press(" ")
	v.WaitUntil(`document.querySelector("#menu-toggle").checked && document.querySelector("#site-menu").offsetParent !== null`)
	tabTo(v, `nav.lang-switch a[hreflang="fr"]`, false, 8) // the menu's links are reachable
	phoneSnapshot(v, "portal-ar-390-menu")
	if w := Eval[[]int](v, `[document.documentElement.scrollWidth, window.innerWidth]`); w[0] > w[1] {
		t.Errorf("at 390 px the Arabic portal is %d px wide in a %d px window", w[0], w[1])
	}
	// The filter form: a pillar, then the button with Space.
	tabTo(v, "#filter-pillar", false, 20)
	chooseByArrows(v, "#filter-pillar", "digital_economy")
	tabTo(v, `form[role=search] button[type=submit]`, false, 3)
	pressToGo(v, " ")
	if q := queryOf(v); q.Get("pillar") != "digital_economy" || q.Get("lang") != "ar" {
		t.Errorf("the phone's filter leads to %s", v.Path())
	}
	if got, want := listedTitles(v), titlesOf(pme, fonds); !slices.Equal(got, want) {
		t.Errorf("the digital economy lists %q, want %q", got, want)
	}
	if !v.Has("#filter-axis") {
		t.Error("no axis select once a pillar is chosen")
	}
	phoneSnapshot(v, "portal-ar-390-filtered")
	tabTo(v, linkTo(fonds), false, 30)
	pressToGo(v, kb.Enter)
	assertMeasurePage(v, fonds, app.Org("msec").NameAr)
	if v.Attr("html", "dir") != "rtl" {
		t.Error("the Arabic measure page is not right to left")
	}
	phoneSnapshot(v, "portal-measure-ar-390")
	assertNoCookie(v, cookies, "Arabic measure page")

	// The whole document, for the browser's print.
	desktop(v)
	v.Go("/pacte")
	tabTo(v, `.main-nav a[href="/pacte/print"]`, false, 10)
	pressToGo(v, kb.Enter)
	if got := v.Text(".doc-cover h1"); got == "" {
		t.Error("the document has no title on its cover")
	}
	for _, s := range specs {
		if !v.Has(fmt.Sprintf(`.doc-toc a[href="#measure-%d"]`, s.id)) || !v.Has(fmt.Sprintf("article#measure-%d", s.id)) {
			t.Errorf("the document lacks %q in its contents or its text", s.title)
		}
	}
	var want []string
	for _, s := range specs {
		want = append(want, s.fingerprint)
	}
	sort.Strings(want)
	got := Eval[[]string](v, `[...document.querySelectorAll("#annex td code.hash")].map((c) => c.textContent.trim())`)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("the annex's SHA-256s are %q, want %q", got, want)
	}
	v.Snapshot("portal-print")
	assertNoCookie(v, cookies, "/pacte/print")
	v.AssertCleanConsole()
}
