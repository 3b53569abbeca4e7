package server

import (
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

func init() {
	extraRoutes = append(extraRoutes, func(s *Server, e *echo.Echo, api *echo.Group) {
		e.GET("/audit", s.pageAudit)
	})
}

// auditRow is one line of the audit page.
type auditRow struct {
	models.AuditEntry
	Label       string // the event, in the reader's language
	ObjectHref  string
	ObjectLabel string
	Details     string // the payload, as indented JSON
}

// pageAudit shows the event log with filters by person, measure and dates,
// newest first, in pages; the same query string works on /api/v1/audit.
func (s *Server) pageAudit(c echo.Context) error {
	u, err := requireUser(c)
	if err != nil {
		return err
	}
	if !models.Can(u, models.ActViewAudit, nil) {
		return models.Errorf(models.EForbidden, "Only reviewers, moderators and admins read the audit trail.")
	}
	ctx := c.Request().Context()
	p := s.newPage(c, "audit", "audit.title")
	for _, k := range []string{"actor", "measure", "from", "to", "object"} {
		p.Form[k] = c.QueryParam(k)
	}
	data := map[string]any{"Rows": []auditRow{}, "Object": "", "Partial": !models.Can(u, models.ActViewAuditAll, nil)}
	p.Data = data
	if people, err := s.store.AuditPeople(ctx); err == nil {
		data["People"] = people
	} else {
		return err
	}
	if ms, err := s.store.AuditMeasures(ctx, u); err == nil {
		data["Measures"] = ms
	} else {
		return err
	}
	f, err := auditFilter(c)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	if f.Object.Kind != "" && f.Object.Kind != "measure" {
		data["Object"] = f.Object.String()
	}
	page, err := s.store.Audit(ctx, u, f)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	rows := make([]auditRow, 0, len(page.Items))
	for _, e := range page.Items {
		r := auditRow{AuditEntry: e, Label: e.Type}
		if key := "event." + e.Type; s.i18n.Has(p.Locale, key) {
			r.Label = p.T(key)
		}
		cid, isComment := dataID(e.Data, "comment_id")
		switch {
		case isComment && e.MeasureID != nil:
			r.ObjectHref = "/measures/" + strconv.FormatInt(*e.MeasureID, 10) + "#comment-" + strconv.FormatInt(cid, 10)
			r.ObjectLabel = p.T("audit.comment_object", cid)
		case e.MeasureID != nil:
			r.ObjectHref = "/measures/" + strconv.FormatInt(*e.MeasureID, 10)
			r.ObjectLabel = p.T("audit.measure_object", *e.MeasureID)
		case e.SubjectUserID != nil:
			if models.Can(u, models.ActListUsers, nil) {
				r.ObjectHref = "/admin/users/" + strconv.FormatInt(*e.SubjectUserID, 10)
			}
			r.ObjectLabel = p.T("audit.user_object", *e.SubjectUserID)
		}
		if len(e.Data) > 0 {
			if b, err := json.MarshalIndent(e.Data, "", "  "); err == nil {
				r.Details = string(b)
			}
		}
		rows = append(rows, r)
	}
	data["Rows"] = rows
	if page.NextCursor != "" {
		q := url.Values{}
		for _, k := range []string{"actor", "measure", "from", "to", "object"} {
			if v := c.QueryParam(k); v != "" {
				q.Set(k, v)
			}
		}
		q.Set("cursor", page.NextCursor)
		data["NextURL"] = "/audit?" + q.Encode()
	}
	return s.render(c, p)
}

// dataID reads an id from an event payload.
func dataID(d map[string]any, key string) (int64, bool) {
	f, ok := d[key].(float64)
	if !ok || f <= 0 {
		return 0, false
	}
	return int64(f), true
}
