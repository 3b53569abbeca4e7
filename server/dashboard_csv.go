package server

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// Each figure of the dashboard as a CSV file, at /dashboard/<figure>.csv
// with the page's filter: UTF-8 with a byte-order mark (so that a
// spreadsheet reads Arabic as Arabic), CRLF lines, machine names in the
// header and the reader's language in the name columns. The figures are
// the same as the page's and the API's (dashboard_cache.go).

// dashboardCSVs writes each figure's rows; the key is the file's name.
var dashboardCSVs = map[string]func(w *csv.Writer, refs *measureRefs, d *models.Dashboard, locale string){
	"pillar-status":   csvPillarStatus,
	"federations":     csvFederations,
	"co-sponsorships": csvCosponsorships,
	"durations":       csvDurations,
	"weekly":          csvWeekly,
	"pending-reviews": csvPending,
	"most-discussed":  csvDiscussed,
}

func (s *Server) dashboardCSV(c echo.Context) error {
	name, ok := strings.CutSuffix(c.Param("file"), ".csv")
	write, known := dashboardCSVs[name]
	if !ok || !known {
		return echo.ErrNotFound
	}
	figures, f, refs, err := s.currentDashboard(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	write(w, refs, figures, s.locale(c))
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="pacte-dashboard-`+name+"-"+f.From+"-"+f.To+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// csvText keeps a spreadsheet from running a cell as a formula (a title
// that starts with = + - @): such a cell gets a leading apostrophe, as the
// Pact's own CSV does (pact/export).
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r'", rune(s[0])) {
		return "'" + s
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func hoursText(h *float64) string {
	if h == nil {
		return ""
	}
	return strconv.FormatFloat(*h, 'f', 1, 64)
}

func csvPillarStatus(w *csv.Writer, refs *measureRefs, d *models.Dashboard, locale string) {
	_ = w.Write([]string{"pillar", "pillar_name", "status", "count"})
	for _, c := range d.ByPillarStatus {
		_ = w.Write([]string{c.Pillar, csvText(refs.PillarName(c.Pillar, locale)), c.Status, itoa(c.Count)})
	}
}

func csvFederations(w *csv.Writer, refs *measureRefs, d *models.Dashboard, locale string) {
	head := []string{"organization_id", "federation", "name", "led"}
	for _, st := range models.MeasureStatuses {
		head = append(head, "led_"+st)
	}
	_ = w.Write(append(head, "cosponsored"))
	for _, fc := range d.ByFederation {
		row := []string{itoa(fc.OrganizationID), fc.Slug, csvText(refs.OrgName(fc.OrganizationID, locale)), itoa(fc.Led)}
		for _, st := range models.MeasureStatuses {
			row = append(row, itoa(fc.LedByStatus[st]))
		}
		_ = w.Write(append(row, itoa(fc.Cosponsored)))
	}
}

func csvCosponsorships(w *csv.Writer, refs *measureRefs, d *models.Dashboard, locale string) {
	_ = w.Write([]string{"lead_organization_id", "lead", "cosponsor_organization_id", "cosponsor", "measures"})
	for _, c := range d.CoSponsorships {
		_ = w.Write([]string{itoa(c.LeadOrganizationID), csvText(refs.OrgName(c.LeadOrganizationID, locale)),
			itoa(c.CosponsorOrganizationID), csvText(refs.OrgName(c.CosponsorOrganizationID, locale)), itoa(c.Count)})
	}
}

// durationColumns name the buckets of models.DurationBucketBounds.
var durationColumns = []string{"under_1_day", "1_to_3_days", "3_to_7_days", "1_to_2_weeks", "2_to_4_weeks", "over_4_weeks"}

func csvDurations(w *csv.Writer, _ *measureRefs, d *models.Dashboard, _ string) {
	_ = w.Write(append([]string{"figure", "count", "median_hours", "p90_hours"}, durationColumns...))
	for _, s := range []struct {
		name  string
		stats models.DurationStats
	}{{"time_in_review", d.TimeInReview}, {"time_to_approval", d.TimeToApproval}} {
		row := []string{s.name, strconv.Itoa(s.stats.Count), hoursText(s.stats.MedianHours), hoursText(s.stats.P90Hours)}
		for _, b := range s.stats.Buckets {
			row = append(row, itoa(b.Count))
		}
		_ = w.Write(row)
	}
}

func csvWeekly(w *csv.Writer, _ *measureRefs, d *models.Dashboard, _ string) {
	_ = w.Write([]string{"week", "created", "submitted", "approved", "comments"})
	for _, wk := range d.Weekly {
		_ = w.Write([]string{wk.Week, itoa(wk.Created), itoa(wk.Submitted), itoa(wk.Approved), itoa(wk.Comments)})
	}
}

func csvPending(w *csv.Writer, _ *measureRefs, d *models.Dashboard, _ string) {
	_ = w.Write([]string{"measure_id", "title", "submitted_at", "waiting_hours"})
	for _, it := range d.PendingReviews.Items {
		h := it.WaitingHours
		_ = w.Write([]string{itoa(it.MeasureID), csvText(it.Title), it.Since.UTC().Format(time.RFC3339), hoursText(&h)})
	}
}

func csvDiscussed(w *csv.Writer, _ *measureRefs, d *models.Dashboard, _ string) {
	_ = w.Write([]string{"measure_id", "title", "comments"})
	for _, m := range d.MostDiscussed {
		_ = w.Write([]string{itoa(m.MeasureID), csvText(m.Title), itoa(m.Comments)})
	}
}
