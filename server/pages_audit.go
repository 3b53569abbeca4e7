package server

import (
	"net/url"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// auditData is what the audit page shows.
type auditData struct {
	Rows     []auditRow
	People   []models.UserRef      // the "person" filter's choices
	Measures []models.MeasureTitle // the "measure" filter's choices
	Object   string                // a filter on another object than a measure, as written
	Partial  bool                  // the reader sees only part of the trail
	NextURL  string
	Chain    auditChainView
}

// auditChainView is the hash chain's head and last verification, as the
// page shows them.
type auditChainView struct {
	models.AuditHead
	Short string // the hash's first 16 hex digits, for the eye; the full one is copyable
}

// auditRow is one line of the audit page: the event as a sentence in the
// reader's language, and its payload as labelled facts.
type auditRow struct {
	models.AuditEntry
	eventView
}

// pageAudit shows the event log with filters by person, measure and dates,
// newest first, in pages; the same query string works on /api/v1/audit.
func (s *Server) pageAudit(c echo.Context) error {
	u := ctxUser(c)
	ctx := c.Request().Context()
	p := s.newPage(c, "audit", "audit.title")
	for _, k := range []string{"actor", "measure", "from", "to", "object"} {
		p.Form[k] = c.QueryParam(k)
	}
	data := &auditData{Rows: []auditRow{}, Partial: !models.Can(u, models.ActViewAuditAll, nil)}
	p.Data = data
	var err error
	if data.People, err = s.store.AuditPeople(ctx, u); err != nil {
		return err
	}
	if data.Measures, err = s.store.AuditMeasures(ctx, u); err != nil {
		return err
	}
	if data.Chain.AuditHead, err = s.store.AuditChainHead(ctx, u); err != nil {
		return err
	}
	data.Chain.Short = data.Chain.Hash[:min(16, len(data.Chain.Hash))]
	titles := map[int64]string{}
	for _, m := range data.Measures {
		titles[m.ID] = m.Title
	}
	f, err := auditFilter(c)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	if f.Object.Kind != "" && f.Object.Kind != "measure" {
		data.Object = f.Object.String()
	}
	page, err := s.store.Audit(ctx, u, f)
	if err != nil {
		return s.formFailed(c, p, err)
	}
	subjects := make([]eventSubject, len(page.Items))
	for i, e := range page.Items {
		subjects[i] = eventSubject{Type: e.Type, Actor: e.Actor, MeasureID: e.MeasureID, SubjectUserID: e.SubjectUserID, Data: e.Data}
	}
	names, err := s.loadEventNames(ctx, u, subjects, titles)
	if err != nil {
		return err
	}
	rows := make([]auditRow, 0, len(page.Items))
	for i, e := range page.Items {
		rows = append(rows, auditRow{AuditEntry: e, eventView: p.describeEvent(subjects[i], names)})
	}
	data.Rows = rows
	if page.NextCursor != "" {
		q := url.Values{}
		for _, k := range []string{"actor", "measure", "from", "to", "object"} {
			if v := c.QueryParam(k); v != "" {
				q.Set(k, v)
			}
		}
		q.Set("cursor", page.NextCursor)
		data.NextURL = "/audit?" + q.Encode()
	}
	return s.render(c, p)
}
