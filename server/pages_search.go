package server

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
	"pacte/search"
)

// searchPageData is the /search page.
type searchPageData struct {
	Form      searchForm
	Refs      *measureRefs
	Statuses  []string
	Types     []string
	Asked     bool // a query or a filter was given
	Total     int
	Truncated bool
	First     int // 1-based rank of the first hit shown
	Last      int
	Hits      []searchResult
	Facets    []searchFacet
	Prev      string
	Next      string
}

// searchResult is one hit as the page shows it.
type searchResult struct {
	Type, TypeLabel, TitleHTML, URL, SnippetHTML string
	At                                           time.Time
}

// searchFacet is one group of narrowing links, each with its count.
type searchFacet struct {
	Label  string
	Values []facetLink
}

type facetLink struct {
	Label, Href string
	Count       int
	Current     bool
}

func (s *Server) pageSearch(c echo.Context) error {
	u := ctxUser(c)
	ctx := c.Request().Context()
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return err
	}
	p := s.newPage(c, "search", "search.title")
	f := readSearchForm(c)
	d := &searchPageData{Form: f, Refs: refs, Statuses: models.MeasureStatuses,
		Types: []string{search.TypeMeasure, search.TypeComment}}
	p.Data = d
	for k, v := range map[string]string{"q": f.Q, "type": f.Type, "pillar": f.Pillar, "axis": f.Axis, "status": f.Status,
		"organization_id": f.Org, "from": f.From, "to": f.To} {
		p.Form[k] = v
	}
	d.Asked = f != searchForm{}
	q, bad := f.query(refs, p.Zone)
	for _, b := range bad {
		p.Errors[b.field] = p.T(b.key, b.args...)
	}
	if len(bad) > 0 {
		p.Status = 422
		return s.render(c, p)
	}
	if !d.Asked {
		return s.render(c, p)
	}
	res, err := s.runSearch(ctx, u, q)
	if err != nil {
		return err
	}
	d.Total, d.Truncated = int(res.Total), res.Truncated
	for _, h := range res.Hits {
		d.Hits = append(d.Hits, searchResult{Type: h.Type, TypeLabel: p.T("search.type." + h.Type), TitleHTML: h.TitleHTML, URL: hitURL(h),
			SnippetHTML: h.SnippetHTML, At: h.At})
	}
	if len(d.Hits) > 0 {
		d.First, d.Last = q.Offset+1, q.Offset+len(d.Hits)
	}
	if q.Offset > 0 {
		d.Prev = searchLink(f, func(f *searchForm) {
			f.Cursor = ""
			if prev := q.Offset - q.Size; prev > 0 {
				f.Cursor = searchCursor(prev)
			}
		})
	}
	if next := q.Offset + q.Size; uint64(next) < res.Total && next < search.MaxDepth {
		d.Next = searchLink(f, func(f *searchForm) { f.Cursor = searchCursor(next) })
	}
	d.Facets = searchFacets(p, f, refs, res.Facets)
	return s.render(c, p)
}

// searchFacets turns the index's counts into links that narrow the search
// (or, on the value already chosen, widen it again).
func searchFacets(p *Page, f searchForm, refs *measureRefs, counts map[string]map[string]int) []searchFacet {
	group := func(label, field string, current string, set func(*searchForm, string), name func(string) string) searchFacet {
		g := searchFacet{Label: label}
		for v, n := range counts[field] {
			if n == 0 && v != current {
				continue
			}
			value := v
			g.Values = append(g.Values, facetLink{Label: name(v), Count: n, Current: v == current,
				Href: searchLink(f, func(f *searchForm) {
					f.Cursor = ""
					if value == current {
						set(f, "")
					} else {
						set(f, value)
					}
				})})
		}
		sort.Slice(g.Values, func(i, j int) bool {
			if g.Values[i].Count != g.Values[j].Count {
				return g.Values[i].Count > g.Values[j].Count
			}
			return g.Values[i].Label < g.Values[j].Label
		})
		return g
	}
	out := []searchFacet{
		group(p.T("search.facet.type"), "type", f.Type, func(f *searchForm, v string) { f.Type = v },
			func(v string) string { return p.T("search.type." + v) }),
		group(p.T("measures.field.pillar"), "pillar", f.Pillar, func(f *searchForm, v string) { f.Pillar, f.Axis = v, "" },
			func(v string) string { return refs.PillarName(v, p.Locale) }),
		group(p.T("measures.field.status"), "status", f.Status, func(f *searchForm, v string) { f.Status = v },
			func(v string) string { return p.T("measures.status." + v) }),
		group(p.T("measures.field.federation"), "organization", f.Org, func(f *searchForm, v string) { f.Org = v },
			func(v string) string {
				id, _ := strconv.ParseInt(v, 10, 64)
				if o, ok := refs.OrgByID[id]; ok {
					// "APEBI — Fédération des …": the acronym is enough
					// beside a count.
					name, _, _ := strings.Cut(o.Name(p.Locale), " — ")
					return name
				}
				return v
			}),
	}
	kept := out[:0]
	for _, g := range out {
		if len(g.Values) > 0 {
			kept = append(kept, g)
		}
	}
	return kept
}
