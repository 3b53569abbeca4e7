package server

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/i18n"
	"pacte/models"
	"pacte/pact"
)

// Exports for signed-in people: a measure they can see, with its history
// (Markdown; PDF in exports_pdf.go), and the reviewers' queue as CSV. They
// hold what the person may read inside the platform (drafts, review notes),
// so they are never cached and never public.

// measureExport is one measure with everything its history says.
type measureExport struct {
	detail    *models.MeasureDetail
	revisions []models.Revision
	refs      *measureRefs
	locale    string
	zone      *time.Location
	viewer    *models.User
	at        time.Time
}

func (s *Server) loadMeasureExport(c echo.Context) (*measureExport, error) {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	d, err := s.store.MeasureDetail(ctx, u, id)
	if err != nil {
		return nil, err
	}
	revs, err := s.store.ListRevisions(ctx, u, id, "", 200)
	if err != nil {
		return nil, err
	}
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "", "")
	return &measureExport{detail: d, revisions: revs.Items, refs: refs, locale: p.Locale, zone: p.zone(),
		viewer: u, at: s.store.Now()}, nil
}

// pageMeasurePDF is GET /measures/:id/export.pdf: the same export laid
// out by the Pact's PDF renderer, the measure's current text with its facts,
// reviews and history as its body. It says on its cover that it is a
// working document, not the published Pact.
func (s *Server) pageMeasurePDF(c echo.Context) error {
	e, err := s.loadMeasureExport(c)
	if err != nil {
		return err
	}
	m := e.detail
	t := func(k string, args ...any) string { return s.i18n.T(e.locale, k, args...) }
	labels := pact.LabelsFor(s.i18n, e.locale, 1)
	labels.Title, labels.Subtitle = oneLine(m.Title), t("export.pdf_subtitle")
	org := func(id int64) pact.Organization {
		return pact.Organization{Slug: e.refs.OrgSlug(&id), Name: e.refs.OrgName(id, e.locale)}
	}
	pm := pact.Measure{ID: m.ID, Title: m.Title, Summary: m.Summary, Body: s.exportMarkdownBody(e),
		Pillar: m.Pillar, Axis: m.AxisKey(), PillarName: e.refs.PillarName(m.Pillar, e.locale),
		AxisName: e.refs.AxisName(m.AxisKey(), e.locale), Lead: org(m.LeadOrganizationID), Revision: m.Revision,
		URL: s.cfg.BaseURL + idPath(m.ID)}
	if m.ApprovedAt != nil {
		pm.ApprovedAt = *m.ApprovedAt
	}
	if m.PublishedAt != nil {
		pm.PublishedAt = *m.PublishedAt
	}
	for _, id := range m.CosponsorIDs {
		pm.Cosponsors = append(pm.Cosponsors, org(id))
	}
	pm.SHA256 = pact.TextHash(pm.Title, pm.Summary, pm.Body)
	axisName := pm.AxisName
	if axisName == "" {
		axisName = labels.NoAxis
	}
	doc := &pact.Document{Lang: e.locale, Issuer: s.cfg.BaseURL, GeneratedAt: e.at, Labels: labels,
		Pillars: []pact.Pillar{{Key: pm.Pillar, Name: pm.PillarName, Axes: []pact.Axis{{Key: pm.Axis, Name: axisName,
			Measures: []pact.Measure{pm}}}}}}
	out, err := s.pdf.Render(doc)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="mesure-%d.pdf"`, m.ID))
	return c.Blob(http.StatusOK, "application/pdf", out)
}

// markdown writes the export: the facts, the text (and the approved text
// in force while an amendment is under way), the reviews and the history.
func (s *Server) exportMarkdown(e *measureExport) []byte {
	m := e.detail
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", oneLine(m.Title))
	for _, line := range strings.Split(m.Summary, "\n") {
		fmt.Fprintf(&b, "> %s\n", line)
	}
	b.WriteString("\n")
	b.WriteString(s.exportMarkdownBody(e))
	return b.Bytes()
}

// exportMarkdownBody is the export after its title and summary: the facts,
// the text, the reviews, the history.
func (s *Server) exportMarkdownBody(e *measureExport) string {
	t := func(k string, args ...any) string { return s.i18n.T(e.locale, k, args...) }
	when := func(at time.Time) string { return i18n.FormatTime(at, e.zone, e.locale) }
	m := e.detail
	var b bytes.Buffer
	fmt.Fprintf(&b, "## %s\n\n", t("export.facts"))
	fact := func(k, v string) { fmt.Fprintf(&b, "- **%s** : %s\n", t(k), v) }
	if e.locale != "fr" {
		fact = func(k, v string) { fmt.Fprintf(&b, "- **%s**: %s\n", t(k), v) }
	}
	fact("export.status", t("measures.status."+m.Status))
	fact("export.revision", strconv.Itoa(m.Revision))
	fact("export.pillar", e.refs.PillarName(m.Pillar, e.locale))
	if m.AxisKey() != "" {
		fact("export.axis", e.refs.AxisName(m.AxisKey(), e.locale))
	}
	fact("export.lead", e.refs.OrgName(m.LeadOrganizationID, e.locale))
	var co []string
	for _, id := range m.CosponsorIDs {
		co = append(co, e.refs.OrgName(id, e.locale))
	}
	fact("export.cosponsors", joinOr(co, t("export.none")))
	var eds []string
	for _, ed := range m.Editors {
		eds = append(eds, ed.Name)
	}
	fact("export.editors", joinOr(eds, t("export.none")))
	if m.PublishedAt != nil {
		fact("export.published", when(*m.PublishedAt))
	} else {
		fact("export.published", t("export.not_published"))
	}
	fmt.Fprintf(&b, "\n## %s\n\n%s\n", t("export.text"), strings.TrimRight(m.Body, "\n"))
	if m.Published != nil {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", t("export.published_text", m.Published.Number), strings.TrimRight(m.Published.Body, "\n"))
	}
	fmt.Fprintf(&b, "\n## %s\n\n", t("export.reviews"))
	if len(m.Reviews) == 0 {
		fmt.Fprintf(&b, "%s\n", t("export.no_reviews"))
	}
	for _, r := range m.Reviews {
		name := ""
		if r.Reviewer != nil {
			name = r.Reviewer.Name
		}
		fmt.Fprintf(&b, "- %s — %s — **%s** (%s %d)", when(r.CreatedAt), name, t("measures.status."+r.Decision), t("export.revision"), r.Revision)
		if r.Note != "" {
			fmt.Fprintf(&b, "\n\n  > %s", strings.ReplaceAll(r.Note, "\n", "\n  > "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n## %s\n\n| %s |\n|---|---|---|---|\n", t("export.history"), t("export.history_head"))
	for _, r := range e.revisions {
		fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", r.Number, when(r.CreatedAt), t("measures.reason."+r.Reason), t("measures.status."+r.Status))
	}
	fmt.Fprintf(&b, "\n---\n\n%s\n", t("export.generated", when(e.at), e.viewer.Name))
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func joinOr(xs []string, none string) string {
	if len(xs) == 0 {
		return none
	}
	return strings.Join(xs, ", ")
}

// pageMeasureMarkdown is GET /measures/:id/export.md.
func (s *Server) pageMeasureMarkdown(c echo.Context) error {
	e, err := s.loadMeasureExport(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="mesure-%d.md"`, e.detail.ID))
	return c.Blob(http.StatusOK, "text/markdown; charset=utf-8", s.exportMarkdown(e))
}

// pageReviewQueueCSV is GET /review/export.csv: every measure waiting for
// review, oldest first, in the reviewer's language (UTF-8 with a BOM, for
// Excel).
func (s *Server) pageReviewQueueCSV(c echo.Context) error {
	u := ctxUser(c)
	ctx := c.Request().Context()
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return err
	}
	p := s.newPage(c, "", "")
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write([]string{"id", "title", "summary", "status", "revision", "pillar", "axis", "lead_organization",
		"cosponsors", "updated_at", "url"})
	cursor := ""
	for {
		page, err := s.store.ListMeasures(ctx, u, models.MeasureFilter{Status: models.StatusInReview, OldestFirst: true,
			Cursor: cursor, Limit: 200})
		if err != nil {
			return err
		}
		for _, m := range page.Items {
			var co []string
			for _, id := range m.CosponsorIDs {
				co = append(co, refs.OrgName(id, p.Locale))
			}
			_ = w.Write([]string{strconv.FormatInt(m.ID, 10), m.Title, m.Summary, m.Status, strconv.Itoa(m.Revision),
				refs.PillarName(m.Pillar, p.Locale), refs.AxisName(m.AxisKey(), p.Locale),
				refs.OrgName(m.LeadOrganizationID, p.Locale), strings.Join(co, "; "),
				m.UpdatedAt.UTC().Format(time.RFC3339), s.cfg.BaseURL + idPath(m.ID)})
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	w.Flush()
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Content-Disposition", `attachment; filename="file-de-revue.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
