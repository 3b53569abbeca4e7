package server

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// The measures list and the home page's personal counts.
//
// The list region (status tabs, fifty cards, the next-page link) is the
// costly part of the page: two queries over the measures and fifty cards
// of template. It is rendered once and kept, per viewer and filter, in a
// small LRU held by the server. The key holds everything the region
// depends on: who looks (their id, role and federation decide what they
// see and what "mine" and "todo" mean), the filter, the language, the
// reference data, the newest event (every change of status, editors,
// co-sponsors, visibility or person writes one) and the newest update time
// of the measures (co-editing writes bodies without an event). An entry
// also expires after listTTL, which bounds what a clock skew between
// instances could leave stale.

const (
	listEntries = 256 // about 45 kB each (fifty cards)
	listTTL     = 30 * time.Second
)

type listKey struct {
	user, org    int64
	role, locale string
	filter       models.MeasureFilter
	axis, scope  string // as asked for: a refused one shows its message
	refs         *measureRefs
	event        int64
	stamp        string
}

type listEntry struct {
	html string
	at   time.Time
}

func newListCache() *cache[listKey, listEntry] {
	return newCache[listKey, listEntry](listEntries, 0, nil)
}

// measuresData is the measures page: its list, rendered once for everyone
// who sees the same (s.lists).
type measuresData struct{ BodyHTML string }

// measuresListData is what the list ("measures-body") shows.
type measuresListData struct {
	Filter   models.MeasureFilter
	Scope    string
	Scopes   []scopeTab
	Statuses []string
	Tabs     []statusTab
	Refs     *measureRefs
	Measures []measureCard
	Next     string // the next page's link
}

// statusTab is one tab above the list, with its link made in Go.
type statusTab struct {
	Status, Label, Href string
	Count               int64
	Current             bool
}

// listQuery writes the list's link for a filter, scope, status and cursor,
// the status first.
func listQuery(f models.MeasureFilter, scope, status, cursor string) string {
	var b strings.Builder
	add := func(k, v string) {
		if v == "" {
			return
		}
		if b.Len() == 0 {
			b.WriteString("/measures?")
		} else {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	add("status", status)
	add("scope", scope)
	add("q", f.Query)
	add("pillar", f.Pillar)
	add("axis", f.Axis)
	if f.OrganizationID != 0 {
		add("organization_id", strconv.FormatInt(f.OrganizationID, 10))
	}
	add("cursor", cursor)
	if b.Len() == 0 {
		return "/measures"
	}
	return b.String()
}

// scopeTab is one of "all", "mine", "todo" above the filters.
type scopeTab struct {
	Scope, Label, Href string
	Current            bool
}

func (s *Server) pageMeasures(c echo.Context) error {
	u := ctxUser(c)
	ctx := c.Request().Context()
	f, err := measureFilter(c)
	if err != nil {
		return err
	}
	f.Limit = 50
	if err := f.Validate(); err != nil {
		return err
	}
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return err
	}
	p := s.newPage(c, "measures", "measures.title")
	p.Topics = "measures " + p.Topics

	// The axis must belong to the chosen pillar; the select only offers
	// those with JavaScript, so without it the server says why it left the
	// axis out rather than showing an empty list.
	axis := c.QueryParam("axis")
	p.Form["axis"] = axis
	if axis != "" {
		a, ok := refs.axisByKey[axis]
		switch {
		case !ok:
			p.Errors["axis"] = p.T("measures.filter.axis_unknown")
		case f.Pillar != "" && a.PillarKey != f.Pillar:
			p.Errors["axis"] = p.T("measures.filter.axis_not_in_pillar", refs.AxisName(axis, p.Locale), refs.PillarName(f.Pillar, p.Locale))
		default:
			f.Axis = axis
		}
	}
	scope := c.QueryParam("scope")
	if !f.ApplyScope(u, scope) {
		p.Errors["scope"] = p.T("measures.scope.unknown")
		scope = ""
	}
	html, err := s.listBody(c, p, u, f, scope, refs, listKey{axis: axis, scope: c.QueryParam("scope")})
	if err != nil {
		return err
	}
	p.Data = &measuresData{BodyHTML: html}
	return s.render(c, p)
}

// listBody gives the page's content, from the cache when nothing it shows
// has changed. key comes with what the person asked for (the axis and
// scope as typed); the rest is filled here.
func (s *Server) listBody(c echo.Context, p *Page, u *models.User, f models.MeasureFilter, scope string, refs *measureRefs, key listKey) (string, error) {
	ctx := c.Request().Context()
	// The stamp is read before the list, so an entry is never older than
	// its key (p.LastEventID was read by newPage, before too).
	stamp, err := s.store.ListStamp(ctx)
	if err != nil {
		return "", err
	}
	key.user, key.org, key.role, key.locale = u.ID, u.OrgID(), u.Role, p.Locale
	if p.lastEventErr != nil {
		return "", p.lastEventErr
	}
	key.filter, key.refs, key.event, key.stamp = f, refs, p.LastEventID, stamp
	if e, ok := s.lists.get(key); ok && time.Since(e.at) <= listTTL {
		html := e.html
		return html, nil
	}
	page, err := s.store.ListMeasures(ctx, u, f)
	if err != nil {
		return "", err
	}
	counts, err := s.store.MeasureCounts(ctx, u, f)
	if err != nil {
		return "", err
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	tabs := []statusTab{{Label: p.T("form.all"), Href: listQuery(f, scope, "", ""), Count: total, Current: f.Status == ""}}
	for _, st := range models.MeasureStatuses {
		tabs = append(tabs, statusTab{Status: st, Label: p.T("measures.status." + st), Href: listQuery(f, scope, st, ""),
			Count: counts[st], Current: st == f.Status})
	}
	next := ""
	if page.NextCursor != "" {
		next = listQuery(f, scope, f.Status, page.NextCursor)
	}
	scopes := []scopeTab{{Scope: "", Label: p.T("measures.scope.all"), Href: listQuery(models.MeasureFilter{}, "", "", ""), Current: scope == ""}}
	for _, sc := range models.Scopes(u) {
		scopes = append(scopes, scopeTab{Scope: sc, Label: p.T("measures.scope." + sc), Href: listQuery(models.MeasureFilter{}, sc, "", ""), Current: sc == scope})
	}
	p.Data = &measuresListData{Filter: f, Scope: scope, Scopes: scopes, Statuses: models.MeasureStatuses, Refs: refs,
		Measures: s.measureCards(p, refs, page.Items), Tabs: tabs, Next: next}
	t, ok := s.views.pages["measures"]
	if !ok {
		return "", fmt.Errorf("no template for page %q", "measures")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "measures-body", p); err != nil {
		return "", fmt.Errorf("render measures-body: %w", err)
	}
	html := buf.String()
	s.lists.put(key, listEntry{html: html, at: time.Now()})
	return html, nil
}

// homeCount is a card's link to a filtered list with how many it holds.
type homeCount struct {
	Label, Href string
	Count       int64
}

// homeCounts gives the signed-in person's links to their lists: "mine"
// and "todo" for members, "todo" for reviewers (see models.Scopes).
func (s *Server) homeCounts(c echo.Context, u *models.User, p *Page) ([]homeCount, error) {
	var out []homeCount
	for _, sc := range models.Scopes(u) {
		var f models.MeasureFilter
		f.ApplyScope(u, sc)
		counts, err := s.store.MeasureCounts(c.Request().Context(), u, f)
		if err != nil {
			return nil, err
		}
		var n int64
		for _, k := range counts {
			n += k
		}
		label := "home.count." + sc
		if sc == models.ScopeTodo {
			if models.CanCreateMeasure(u) {
				label += "_member"
			} else {
				label += "_review"
			}
		}
		out = append(out, homeCount{Label: p.T(label), Href: listQuery(models.MeasureFilter{}, sc, "", ""), Count: n})
	}
	return out, nil
}
