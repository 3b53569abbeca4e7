package server

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// The dashboard page: the filter form, then the figures (dashboard_view.go)
// in a region its script (web/src/dashboard.js) fetches again, as
// /dashboard?…&fragment=1, when an event says measures changed (at most
// every few seconds) and every half minute while the tab is shown; the
// figures come from the server's cache (dashboard_cache.go), rendered once
// per figures, language and time zone.

// dashboardPage is what the page shows.
type dashboardPage struct {
	Refs   *measureRefs
	Filter models.DashboardFilter
	// Figures is the rendered figures ("" when the filter is wrong).
	Figures template.HTML
	// EventID is the event the figures are current as of; Stale says newer
	// ones are being computed.
	EventID int64
	Stale   bool
	Updated template.HTML
	// Fragment is the address the script fetches the figures from.
	Fragment string
	// Focus is the first wrong field, which the page focuses.
	Focus string
}

// dashboardViewKey is one rendering of figures.
type dashboardViewKey struct {
	figures      *models.Dashboard
	locale, zone string
}

// dashboardFilter reads the filter from the query: a 422 naming the wrong
// fields otherwise.
func (s *Server) dashboardFilter(c echo.Context, refs *measureRefs) (models.DashboardFilter, error) {
	return models.ParseDashboardFilter(c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("organization_id"), s.store.Now(), refs.Orgs)
}

// dashboardQuery writes the filter as a query string, "?from=…".
func dashboardQuery(f models.DashboardFilter) string {
	q := url.Values{"from": {f.From}, "to": {f.To}}
	if f.OrganizationID != 0 {
		q.Set("organization_id", strconv.FormatInt(f.OrganizationID, 10))
	}
	return "?" + q.Encode()
}

func (s *Server) pageDashboard(c echo.Context) error {
	ctx := c.Request().Context()
	fragment := c.QueryParam("fragment") == "1"
	p := s.newPage(c, "dashboard", "dashboard.title")
	p.Topics = models.TopicMeasures + " " + p.Topics
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return err
	}
	data := &dashboardPage{Refs: refs}
	p.Data = data
	f, err := s.dashboardFilter(c, refs)
	if err != nil {
		// The form comes back as it was typed, each message beside its
		// field (the first one focused), and no figures.
		p.Form["from"], p.Form["to"], p.Form["organization_id"] = c.QueryParam("from"), c.QueryParam("to"), c.QueryParam("organization_id")
		if fragment {
			return err
		}
		var me *models.Error
		if errors.As(err, &me) {
			for _, field := range []string{"from", "to", "organization_id"} {
				if _, wrong := me.Fields[field]; wrong && data.Focus == "" {
					data.Focus = field
				}
			}
		}
		return s.failForm(c, p, err, "")
	}
	data.Filter = f
	p.Form["from"], p.Form["to"] = f.From, f.To
	if f.OrganizationID != 0 {
		p.Form["organization_id"] = strconv.FormatInt(f.OrganizationID, 10)
	}
	event, err := s.store.MeasureEventStamp(ctx)
	if err != nil {
		return err
	}
	figures, stale, err := s.dashboards.figures(ctx, p.User, f, event, dashboardWait)
	if err != nil {
		return err
	}
	query := dashboardQuery(f)
	data.EventID, data.Stale, data.Updated = figures.EventID, stale, p.When(figures.GeneratedAt)
	data.Fragment = "/dashboard" + query + "&fragment=1"
	if data.Figures, err = s.dashboardFigures(p, refs, figures, query); err != nil {
		return err
	}
	if !fragment {
		return s.render(c, p)
	}
	// The script asks with the tag of what it shows: unchanged figures
	// cost a 304. Older figures served while newer ones are computed carry
	// a tag of their own, so the script asks again.
	tag := fmt.Sprintf(`"dash-%d-%d-%s"`, figures.EventID, figures.GeneratedAt.UnixNano(), p.Locale)
	if stale {
		tag = tag[:len(tag)-1] + `-stale"`
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("ETag", tag)
	h.Set("Content-Language", p.Locale)
	if c.Request().Header.Get("If-None-Match") == tag {
		return c.NoContent(http.StatusNotModified)
	}
	var buf bytes.Buffer
	if err := s.views.pages["dashboard"].ExecuteTemplate(&buf, "dashboard-region", p); err != nil {
		return fmt.Errorf("render dashboard-region: %w", err)
	}
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// dashboardFigures renders the figures for the page's language and time
// zone, once per computed figures (s.dashboards.views).
func (s *Server) dashboardFigures(p *Page, refs *measureRefs, figures *models.Dashboard, query string) (template.HTML, error) {
	key := dashboardViewKey{figures: figures, locale: p.Locale, zone: p.TimeZoneName()}
	if html, ok := s.dashboards.views.get(key); ok {
		return template.HTML(html), nil
	}
	view := *p
	view.Data = buildDashboardView(p, refs, figures, query)
	var buf bytes.Buffer
	if err := s.views.pages["dashboard"].ExecuteTemplate(&buf, "dashboard-figures", &view); err != nil {
		return "", fmt.Errorf("render dashboard-figures: %w", err)
	}
	html := buf.String()
	s.dashboards.views.put(key, html)
	return template.HTML(html), nil
}
