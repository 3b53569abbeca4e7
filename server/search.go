package server

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
	"pacte/search"
)

// Search: GET /api/v1/search and the /search page (signed in), over the
// index that search_index.go keeps. What a person finds is decided by
// their MeasureScope (the policy), which the index applies to hits and
// facet counts alike; hits are checked once more against the database,
// because the index may be a moment behind.

const searchPageSize = 20

// apiLocale is the language of the API's messages.
const apiLocale = "en"

// searchForm is a search as asked for, kept to fill the form again.
type searchForm struct {
	Q, Type, Pillar, Axis, Status, Org, From, To, Cursor string
}

// searchProblem is a field the person must correct, as an i18n key with
// its arguments: pages say it in the reader's language, the API in
// English.
type searchProblem struct {
	field, key string
	args       []any
}

func readSearchForm(c echo.Context) searchForm {
	q := c.QueryParams()
	return searchForm{Q: q.Get("q"), Type: q.Get("type"), Pillar: q.Get("pillar"), Axis: q.Get("axis"), Status: q.Get("status"),
		Org: q.Get("organization_id"), From: q.Get("from"), To: q.Get("to"), Cursor: q.Get("cursor")}
}

// query checks the form and turns it into an index query; problems name
// each field that is wrong (the rest still applies).
func (f searchForm) query(refs *measureRefs, zone *time.Location) (search.Query, []searchProblem) {
	var q search.Query
	var bad []searchProblem
	if len(f.Q) > search.MaxTextBytes {
		bad = append(bad, searchProblem{field: "q", key: "search.error.too_long", args: []any{search.MaxTextBytes}})
	} else {
		q.Text = f.Q
	}
	switch f.Type {
	case "":
	case search.TypeMeasure, search.TypeComment:
		q.Types = []string{f.Type}
	default:
		bad = append(bad, searchProblem{field: "type", key: "search.error.type"})
	}
	if f.Pillar != "" {
		if _, ok := refs.pillarByKey[f.Pillar]; ok {
			q.Pillar = f.Pillar
		} else {
			bad = append(bad, searchProblem{field: "pillar", key: "search.error.pillar"})
		}
	}
	if f.Axis != "" {
		if a, ok := refs.axisByKey[f.Axis]; ok && (q.Pillar == "" || a.PillarKey == q.Pillar) {
			q.Axis = f.Axis
		} else {
			bad = append(bad, searchProblem{field: "axis", key: "search.error.axis"})
		}
	}
	if f.Status != "" {
		if models.ValidMeasureStatus(f.Status) {
			q.Status = f.Status
		} else {
			bad = append(bad, searchProblem{field: "status", key: "search.error.status"})
		}
	}
	if f.Org != "" {
		id, err := strconv.ParseInt(f.Org, 10, 64)
		if _, ok := refs.OrgByID[id]; err == nil && ok {
			q.OrgID = id
		} else {
			bad = append(bad, searchProblem{field: "organization_id", key: "search.error.organization"})
		}
	}
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, zone)
		if err != nil {
			bad = append(bad, searchProblem{field: field, key: "search.error.date"})
		}
		return t
	}
	q.From, q.To = day("from", f.From), day("to", f.To)
	if !q.To.IsZero() {
		q.To = q.To.AddDate(0, 0, 1) // the whole last day
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		bad = append(bad, searchProblem{field: "to", key: "search.error.range"})
	}
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > search.MaxDepth {
			bad = append(bad, searchProblem{field: "cursor", key: "search.error.cursor"})
		} else {
			q.Offset = n
		}
	}
	q.Size = searchPageSize
	q.Facets = true
	return q, bad
}

func searchCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

// searchHit is one result as the API gives it.
type searchHit struct {
	Type        string  `json:"type"`
	ID          int64   `json:"id"`
	MeasureID   int64   `json:"measure_id"`
	Title       string  `json:"title"`
	SnippetHTML string  `json:"snippet_html"`
	Score       float64 `json:"score"`
	At          string  `json:"at"`
	URL         string  `json:"url"`
}

type searchAnswer struct {
	Items      []searchHit               `json:"items"`
	Facets     map[string]map[string]int `json:"facets"`
	Total      uint64                    `json:"total"`
	NextCursor string                    `json:"next_cursor"`
	Truncated  bool                      `json:"truncated,omitempty"`
}

// runSearch asks the index and drops hits the viewer may no longer see (the
// index can be a moment behind a change of access).
func (s *Server) runSearch(ctx context.Context, u *models.User, q search.Query) (*search.Result, error) {
	scope := models.ScopeOf(u)
	res, err := s.search.ix.Search(ctx, search.Scope{None: scope.None, All: scope.All, UserID: scope.UserID, OrgID: scope.OrgID,
		HiddenComments: scope.HiddenComments}, q)
	if err != nil {
		return nil, err
	}
	if len(res.Hits) == 0 {
		return res, nil
	}
	ids := make([]int64, 0, len(res.Hits))
	var commentIDs []int64
	for _, h := range res.Hits {
		ids = append(ids, h.MeasureID)
		if h.Type == search.TypeComment {
			commentIDs = append(commentIDs, h.ID)
		}
	}
	seen, err := s.store.MeasureTitlesFor(ctx, u, ids)
	if err != nil {
		return nil, err
	}
	readable := map[int64]bool{}
	if len(commentIDs) > 0 {
		cs, err := s.store.IndexComments(ctx, models.IndexCommentFilter{IDs: commentIDs})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			readable[c.ID] = !c.Hidden || scope.HiddenComments
		}
	}
	kept := res.Hits[:0]
	for _, h := range res.Hits {
		if _, ok := seen[h.MeasureID]; !ok || h.Type == search.TypeComment && !readable[h.ID] {
			continue
		}
		kept = append(kept, h)
	}
	res.Hits = kept
	return res, nil
}

func hitURL(h search.Hit) string {
	if h.Type == search.TypeComment {
		return "/measures/" + strconv.FormatInt(h.MeasureID, 10) + "#comment-" + strconv.FormatInt(h.ID, 10)
	}
	return "/measures/" + strconv.FormatInt(h.MeasureID, 10)
}

func (s *Server) apiSearch(c echo.Context) error {
	u := ctxUser(c)
	ctx := c.Request().Context()
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return err
	}
	q, bad := readSearchForm(c).query(refs, u.Location())
	if len(bad) > 0 {
		fe := models.FieldErrors{}
		for _, p := range bad {
			fe.Add(p.field, s.i18n.T(apiLocale, p.key, p.args...))
		}
		return fe.Err()
	}
	res, err := s.runSearch(ctx, u, q)
	if err != nil {
		return err
	}
	out := searchAnswer{Items: make([]searchHit, 0, len(res.Hits)), Facets: res.Facets, Total: res.Total, Truncated: res.Truncated}
	for _, h := range res.Hits {
		out.Items = append(out.Items, searchHit{Type: h.Type, ID: h.ID, MeasureID: h.MeasureID, Title: h.Title,
			SnippetHTML: h.SnippetHTML, Score: h.Score, At: jsonTime(h.At), URL: hitURL(h)})
	}
	if next := q.Offset + q.Size; uint64(next) < res.Total && next < search.MaxDepth {
		out.NextCursor = searchCursor(next)
	}
	return c.JSON(http.StatusOK, out)
}

// searchLink is the /search address of a form, with some fields changed.
func searchLink(f searchForm, change func(*searchForm)) string {
	if change != nil {
		change(&f)
	}
	v := url.Values{}
	for k, x := range map[string]string{"q": f.Q, "type": f.Type, "pillar": f.Pillar, "axis": f.Axis, "status": f.Status,
		"organization_id": f.Org, "from": f.From, "to": f.To, "cursor": f.Cursor} {
		if strings.TrimSpace(x) != "" {
			v.Set(k, x)
		}
	}
	if len(v) == 0 {
		return "/search"
	}
	return "/search?" + v.Encode()
}
