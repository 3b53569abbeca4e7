package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
	"pacte/pact"
	"pacte/search"
)

// The public Pact (docs/API.md "Publication, the public Pact and exports"):
// pages anyone may read, without an account or a cookie. Every response is
// made from one snapshot of the published measures (public_pact.go) and
// cached until the public Pact changes.

// publicPage is what the public templates receive.
type publicPage struct {
	srv         *Server
	Locale, Dir string
	Name        string
	Path        string     // the page's path, without its query
	Query       url.Values // the page's query, language included
	Title       string
	Description string
	Canonical   string // absolute address of this page in this language
	Doc         *pact.Document
	Data        any
	Status      int
}

// T translates into the page's language.
func (p *publicPage) T(key string, args ...any) string { return p.srv.i18n.T(p.Locale, key, args...) }

// N translates with a plural.
func (p *publicPage) N(key string, n any, args ...any) string {
	return p.srv.i18n.N(p.Locale, key, toInt(n), args...)
}

// Date writes a date in the page's language, in Morocco's time.
func (p *publicPage) Date(t time.Time) string {
	return pact.FormatDate(t, moroccoTime(), p.Locale)
}

// OrgNames lists organisations' names, or none when there are none.
func (p *publicPage) OrgNames(orgs []pact.Organization, none string) string {
	if len(orgs) == 0 {
		return none
	}
	names := make([]string, len(orgs))
	for i, o := range orgs {
		names[i] = o.Name
	}
	return strings.Join(names, p.T("portal.list_separator"))
}

// Locales are the languages offered.
func (p *publicPage) Locales() []string { return models.Locales }

// LangURL is this page in another language (the other filters kept).
func (p *publicPage) LangURL(lang string) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Del("lang")
	if lang != models.Locales[0] {
		q.Set("lang", lang)
	}
	return withQuery(p.Path, q)
}

// AbsLangURL is LangURL as an absolute address (hreflang alternates).
func (p *publicPage) AbsLangURL(lang string) string { return p.srv.cfg.BaseURL + p.LangURL(lang) }

// Link is a path of the public side in the page's language.
func (p *publicPage) Link(path string) string {
	if p.Locale == models.Locales[0] {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "lang=" + p.Locale
}

// Markdown renders a published body (sanitised HTML).
func (p *publicPage) Markdown(src string) template.HTML {
	return template.HTML(p.srv.renderBody(src))
}

// FilterURL is /pacte with one filter changed ("" removes it).
func (p *publicPage) FilterURL(key, value string) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	if key == "pillar" {
		q.Del("axis") // an axis belongs to one pillar
	}
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	return withQuery("/pacte", q)
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func moroccoTime() *time.Location {
	loc, ok := models.LoadTimeZone(models.DefaultTimeZone)
	if !ok {
		return time.UTC
	}
	return loc
}

func (s *Server) newPublicPage(c echo.Context, name, lang string) *publicPage {
	p := &publicPage{srv: s, Locale: lang, Dir: "ltr", Name: name, Path: c.Request().URL.Path,
		Query: c.Request().URL.Query(), Status: http.StatusOK}
	if lang == "ar" {
		p.Dir = "rtl"
	}
	p.Canonical = p.AbsLangURL(lang)
	return p
}

// renderPublic executes a public page into bytes.
func (s *Server) renderPublic(p *publicPage) ([]byte, error) {
	t, ok := s.views.public[p.Name]
	if !ok {
		return nil, fmt.Errorf("no public template %q", p.Name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return nil, fmt.Errorf("render public %s: %w", p.Name, err)
	}
	return buf.Bytes(), nil
}

const htmlType = "text/html; charset=utf-8"

// portalFilter is what /pacte is narrowed to.
type portalFilter struct {
	Pillar, Axis, Org, Query string
}

func (f portalFilter) Active() bool {
	return f.Pillar != "" || f.Axis != "" || f.Org != "" || f.Query != ""
}

// portalData is what /pacte shows.
type portalData struct {
	Filter    portalFilter
	Shown     *pact.Document // the measures the filter keeps, arranged
	Total     int
	Count     int
	Pillars   []facet
	Axes      []facet // of the chosen pillar
	Orgs      []facet
	Changed   time.Time
	FilterBad bool // a filter named nothing known: said, not an error page
}

type facet struct {
	Key, Name string
	Count     int
	Selected  bool
}

// pagePact is /pacte: the Pact by pillar and axis, with its filters.
func (s *Server) pagePact(c echo.Context) error {
	lang := publicLang(c)
	q := c.Request().URL.Query()
	f := portalFilter{Pillar: q.Get("pillar"), Axis: q.Get("axis"), Org: q.Get("org"),
		Query: strings.TrimSpace(q.Get("q"))}
	if len([]rune(f.Query)) > 200 {
		f.Query = string([]rune(f.Query)[:200])
	}
	key := publicKey{route: "pact", lang: lang, query: f.Pillar + "\x00" + f.Axis + "\x00" + f.Org + "\x00" + f.Query}
	return s.servePublic(c, key, func(ctx context.Context) (*built, error) {
		snap, err := s.pactSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		doc := s.doc(snap, lang)
		var matches map[int64]bool
		if f.Query != "" {
			if matches, err = s.publicMatches(ctx, f.Query); err != nil {
				return nil, err
			}
		}
		p := s.newPublicPage(c, "pact", lang)
		p.Title, p.Description, p.Doc = doc.Labels.Title, doc.Labels.Subtitle, doc
		p.Data = portal(doc, snap, f, lang, matches)
		body, err := s.renderPublic(p)
		if err != nil {
			return nil, err
		}
		return &built{body: body, contentType: htmlType, lastModified: snap.changed}, nil
	})
}

// portal filters the document and counts what each filter would keep.
func portal(doc *pact.Document, snap *pactSnapshot, f portalFilter, lang string, matches map[int64]bool) *portalData {
	all := doc.Measures()
	d := &portalData{Filter: f, Total: len(all), Changed: snap.changed}
	keep := func(m pact.Measure, ignore string) bool {
		if ignore != "pillar" && f.Pillar != "" && m.Pillar != f.Pillar {
			return false
		}
		if ignore != "axis" && f.Axis != "" && m.Axis != f.Axis {
			return false
		}
		if ignore != "org" && f.Org != "" && m.Lead.Slug != f.Org &&
			!slices.ContainsFunc(m.Cosponsors, func(o pact.Organization) bool { return o.Slug == f.Org }) {
			return false
		}
		if f.Query != "" && !matches[m.ID] {
			return false
		}
		return true
	}
	shown := *doc
	shown.Pillars = nil
	for _, p := range doc.Pillars {
		pp := p
		pp.Axes = nil
		for _, a := range p.Axes {
			aa := a
			aa.Measures = nil
			for _, m := range a.Measures {
				if keep(m, "") {
					aa.Measures = append(aa.Measures, m)
					d.Count++
				}
			}
			if len(aa.Measures) > 0 {
				pp.Axes = append(pp.Axes, aa)
			}
		}
		if len(pp.Axes) > 0 {
			shown.Pillars = append(shown.Pillars, pp)
		}
	}
	d.Shown = &shown
	count := func(ignore string, match func(pact.Measure) bool) int {
		n := 0
		for _, m := range all {
			if keep(m, ignore) && match(m) {
				n++
			}
		}
		return n
	}
	knownPillar, knownAxis := f.Pillar == "", f.Axis == ""
	for _, p := range snap.refs.Pillars {
		d.Pillars = append(d.Pillars, facet{Key: p.Key, Name: p.Name(lang), Selected: p.Key == f.Pillar,
			Count: count("pillar", func(m pact.Measure) bool { return m.Pillar == p.Key })})
		knownPillar = knownPillar || p.Key == f.Pillar
		if p.Key == f.Pillar {
			for _, a := range p.Axes {
				d.Axes = append(d.Axes, facet{Key: a.Key, Name: a.Name(lang), Selected: a.Key == f.Axis,
					Count: count("axis", func(m pact.Measure) bool { return m.Axis == a.Key })})
				knownAxis = knownAxis || a.Key == f.Axis
			}
		}
	}
	knownOrg := f.Org == ""
	for _, o := range snap.refs.Federations {
		d.Orgs = append(d.Orgs, facet{Key: o.Slug, Name: o.Name(lang), Selected: o.Slug == f.Org,
			Count: count("org", func(m pact.Measure) bool {
				return m.Lead.Slug == o.Slug || slices.ContainsFunc(m.Cosponsors, func(c pact.Organization) bool { return c.Slug == o.Slug })
			})})
		knownOrg = knownOrg || o.Slug == f.Org
	}
	d.FilterBad = !knownPillar || !knownAxis || !knownOrg
	return d
}

// publicMatches are the published measures the words find, through the
// search index's published texts (the same analysis as the signed-in
// search: accents, elisions, stems, Arabic forms). The page made from
// them is cached for this state of the Pact, so the index is given a
// moment to apply the latest events first.
func (s *Server) publicMatches(ctx context.Context, words string) (map[int64]bool, error) {
	if last, err := s.store.MaxEventID(ctx); err == nil {
		wait, cancel := context.WithTimeout(ctx, 2*time.Second)
		_ = s.search.caughtUp(wait, last) // late: the index answers as it is
		cancel()
	}
	out := map[int64]bool{}
	q := search.Query{Text: words, Types: []string{search.TypePublic}, Size: search.MaxSize}
	for ; q.Offset < search.MaxDepth; q.Offset += q.Size {
		res, err := s.search.ix.Search(ctx, search.Scope{Public: true}, q)
		if err != nil {
			return nil, err // not too long: the filter keeps 200 characters
		}
		for _, h := range res.Hits {
			out[h.MeasureID] = true
		}
		if len(res.Hits) < q.Size {
			break
		}
	}
	return out, nil
}

// pageMeasureRedirect sends /pacte/:id (or a stale slug) to the measure's
// address; pagePublicMeasure answers it.
func (s *Server) pagePublicMeasure(c echo.Context) error {
	raw := c.Param("ref")
	digits := raw
	if i := strings.IndexByte(raw, '-'); i >= 0 {
		digits = raw[:i]
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || id <= 0 {
		return s.publicNotFound(c)
	}
	lang := publicLang(c)
	// The page cached for this very address and the present state of the
	// Pact is served without asking the database; otherwise one query says
	// whether the measure is public and where its page is.
	key := publicKey{route: "measure", lang: lang, query: c.Request().URL.Path}
	if !s.public.fresh(key) {
		ms, err := s.store.PublicMeasures(c.Request().Context(), id)
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			// Unpublished, private, or never there: the same answer, after
			// the same one query.
			return s.publicNotFound(c)
		}
		want := publicPath(id, ms[0].Title)
		if c.Request().URL.Path != want {
			u := want
			if q := c.Request().URL.RawQuery; q != "" {
				u += "?" + q
			}
			return c.Redirect(http.StatusMovedPermanently, u)
		}
	}
	err = s.servePublic(c, key, func(ctx context.Context) (*built, error) {
		snap, err := s.pactSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		doc := s.doc(snap, lang)
		var m *pact.Measure
		for _, x := range doc.Measures() {
			if x.ID == id {
				m = &x
				break
			}
		}
		if m == nil {
			return nil, errNoLongerPublic
		}
		p := s.newPublicPage(c, "measure", lang)
		p.Title, p.Description, p.Doc, p.Data = m.Title, excerptLine(m.Summary, 200), doc, m
		body, err := s.renderPublic(p)
		if err != nil {
			return nil, err
		}
		changed := m.PublishedAt
		for _, pm := range snap.measures {
			if pm.ID == id {
				changed = pm.ChangedAt
			}
		}
		return &built{body: body, contentType: htmlType, lastModified: changed}, nil
	})
	if errors.Is(err, errNoLongerPublic) {
		return s.publicNotFound(c)
	}
	return err
}

// errNoLongerPublic: the measure was unpublished between the check and the
// making of its page.
var errNoLongerPublic = errors.New("no longer public")

// publicNotFound is the public side's 404: the same page for an id that
// never existed and one that is not public.
func (s *Server) publicNotFound(c echo.Context) error {
	p := s.newPublicPage(c, "notfound", publicLang(c))
	// Its links lead to the portal, not back to the address asked for: the
	// page says nothing of what was asked.
	p.Path, p.Query = "/pacte", url.Values{}
	p.Canonical = p.AbsLangURL(p.Locale)
	p.Title, p.Status = p.T("portal.not_found.title"), http.StatusNotFound
	body, err := s.renderPublic(p)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=60")
	return c.Blob(http.StatusNotFound, htmlType, body)
}

// pagePactPrint is the whole Pact on one page, for the browser's print.
func (s *Server) pagePactPrint(c echo.Context) error {
	lang := publicLang(c)
	return s.servePublic(c, publicKey{route: "print", lang: lang}, func(ctx context.Context) (*built, error) {
		snap, err := s.pactSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		doc := s.doc(snap, lang)
		p := s.newPublicPage(c, "print", lang)
		p.Title, p.Description, p.Doc = doc.Labels.Title, doc.Labels.Subtitle, doc
		p.Data = s.cfg.BaseURL + "/.well-known/pacte-signing-key"
		body, err := s.renderPublic(p)
		if err != nil {
			return nil, err
		}
		return &built{body: body, contentType: htmlType, lastModified: snap.changed}, nil
	})
}

func excerptLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
