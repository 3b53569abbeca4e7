package server

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"pacte/i18n"
	"pacte/models"
)

// The dashboard as people read it: for each figure a heading, what it
// counts, one sentence that says what it shows, a chart (dashboard_svg.go),
// the same numbers as a table, and a link to them as CSV. Built from the
// computed figures for one language; the page caches the result.

// dashboardView is the figures part of the dashboard page.
type dashboardView struct {
	Patterns template.HTML
	KPIs     []dashKPI
	Figures  []dashFigure
	// EventID is the event the figures are current as of; the page's
	// script compares it with the events it hears.
	EventID int64
	Updated time.Time
}

// dashKPI is one headline number.
type dashKPI struct {
	Label, Value string
}

// dashFigure is one figure of the dashboard.
type dashFigure struct {
	ID      string // anchor, CSV name, id prefix
	Title   string
	Note    string // what is counted
	Summary string // what it shows, in one sentence
	Chart   charts
	Legend  []dashLegend
	Table   dashTable
	CSV     string // link to the figure's CSV
	Wide    bool   // takes the whole width (charts over weeks)
}

type dashLegend struct {
	Swatch template.HTML
	Label  string
}

// dashTable is a figure's table: a header row, then rows whose first cell
// names the row.
type dashTable struct {
	Head []string
	Rows [][]dashCell
}

type dashCell struct {
	Text, Href string
	Num        bool // aligned as a number
}

// statusSeries gives each status its fill (dashboard.css).
var statusSeries = map[string]string{
	models.StatusDraft:            "dash-fill-draft",
	models.StatusInReview:         "dash-fill-in_review",
	models.StatusChangesRequested: "dash-fill-changes_requested",
	models.StatusApproved:         "dash-fill-approved",
	models.StatusRejected:         "dash-fill-rejected",
	models.StatusWithdrawn:        "dash-fill-withdrawn",
}

// dashFormat writes numbers and durations for one language.
type dashFormat struct {
	p *Page
}

// count writes an integer with the language's grouping: 12 345 (a narrow
// no-break space), 12,345, and 12.345 as Moroccan Arabic writes it with
// Western digits.
func (f dashFormat) count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := map[string]string{"fr": "\u202f", "en": ",", "ar": "."}[f.p.Locale]
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func (f dashFormat) countF(v float64) string { return f.count(int64(math.Round(v))) }

// decimal writes a number with one decimal, with the language's comma.
func (f dashFormat) decimal(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	if f.p.Locale != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// duration writes hours as people say them: hours up to two days, then
// days (with one decimal when needed).
func (f dashFormat) duration(hours *float64) string {
	if hours == nil {
		return "—"
	}
	h := *hours
	switch {
	case h < 1:
		return f.p.N("dashboard.n.minutes", max(1, int(math.Round(h*60))))
	case h < 48:
		return f.p.N("dashboard.n.hours", int(math.Round(h)))
	}
	days := math.Round(h/24*10) / 10
	if days == math.Trunc(days) {
		return f.p.N("dashboard.n.days", int(days))
	}
	return f.p.T("dashboard.days_decimal", f.decimal(days))
}

// week writes a week's Monday briefly: "30 nov.", "30 Nov", "30 نونبر".
func (f dashFormat) week(day string) string {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	return strings.TrimSuffix(i18n.FormatDate(t, time.UTC, f.p.Locale), " "+strconv.Itoa(t.Year()))
}

// weekLong writes a week's Monday with its year.
func (f dashFormat) weekLong(day string) string {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return day
	}
	return i18n.FormatDate(t, time.UTC, f.p.Locale)
}

// isolate marks a name inserted in a sentence (a measure's title, a
// federation's acronym) as a text of its own direction: a French title in
// an Arabic sentence, or the reverse, keeps its words and its quotation
// marks in order (Unicode first-strong isolate).
func isolate(s string) string { return "\u2068" + s + "\u2069" }

// bucketLabel names a duration bucket.
func (f dashFormat) bucketLabel(i int) string { return f.p.T(fmt.Sprintf("dashboard.bucket.%d", i)) }

func countCell(f dashFormat, n int64) dashCell { return dashCell{Text: f.count(n), Num: true} }

func textCell(s string) dashCell { return dashCell{Text: s} }

// buildDashboardView lays out every figure of d for the page's language.
// query is the filter as a URL query ("?from=…"), for the CSV links.
func buildDashboardView(p *Page, refs *measureRefs, d *models.Dashboard, query string) *dashboardView {
	f := dashFormat{p: p}
	v := &dashboardView{Patterns: chartPatterns, EventID: d.EventID, Updated: d.GeneratedAt}
	var approved, comments int64
	for _, c := range d.ByPillarStatus {
		if c.Status == models.StatusApproved {
			approved += c.Count
		}
	}
	for _, w := range d.Weekly {
		comments += w.Comments
	}
	v.KPIs = []dashKPI{
		{Label: p.T("dashboard.kpi.measures"), Value: f.count(d.Measures)},
		{Label: p.T("dashboard.kpi.approved"), Value: f.count(approved)},
		{Label: p.T("dashboard.kpi.pending"), Value: f.count(d.PendingReviews.Count)},
		{Label: p.T("dashboard.kpi.review_median"), Value: f.duration(d.TimeInReview.MedianHours)},
		{Label: p.T("dashboard.kpi.comments"), Value: f.count(comments)},
	}
	csv := func(id string) string { return "/dashboard/" + id + ".csv" + query }
	rtl := p.Dir == "rtl"
	v.Figures = []dashFigure{
		pillarStatusFigure(f, refs, d, rtl, csv("pillar-status")),
		federationsFigure(f, refs, d, rtl, csv("federations")),
		cosponsorshipsFigure(f, refs, d, rtl, csv("co-sponsorships")),
		durationsFigure(f, d, rtl, csv("durations")),
		weeklyFigure(f, d, rtl, csv("weekly")),
		commentsFigure(f, d, rtl, csv("weekly")),
		pendingFigure(f, d, rtl, csv("pending-reviews")),
		discussedFigure(f, d, rtl, csv("most-discussed")),
	}
	return v
}

// labelled names the heading and summary that label a figure's chart.
func labelled(id string) string { return "dash-" + id + "-title dash-" + id + "-summary" }

func pillarStatusFigure(f dashFormat, refs *measureRefs, d *models.Dashboard, rtl bool, csv string) dashFigure {
	p := f.p
	fig := dashFigure{ID: "pillar-status", Title: p.T("dashboard.pillar_status.title"), Note: p.T("dashboard.pillar_status.note"), CSV: csv}
	fig.Table.Head = []string{p.T("dashboard.pillar_status.pillar")}
	for _, st := range models.MeasureStatuses {
		fig.Table.Head = append(fig.Table.Head, p.T("measures.status."+st))
		fig.Legend = append(fig.Legend, dashLegend{Swatch: swatch(statusSeries[st], ""), Label: p.T("measures.status." + st)})
	}
	fig.Table.Head = append(fig.Table.Head, p.T("dashboard.total"))
	var rows []hbarRow
	var approved, best int64
	bestPillar := ""
	for _, pl := range refs.Pillars {
		row := []dashCell{textCell(pl.Name(p.Locale))}
		bar := hbar{}
		var total int64
		for _, c := range d.ByPillarStatus {
			if c.Pillar != pl.Key {
				continue
			}
			row = append(row, countCell(f, c.Count))
			bar.Segments = append(bar.Segments, hbarSegment{Value: float64(c.Count), Class: statusSeries[c.Status], Text: f.count(c.Count)})
			total += c.Count
			if c.Status == models.StatusApproved {
				approved += c.Count
			}
		}
		if total > best {
			best, bestPillar = total, pl.Name(p.Locale)
		}
		bar.Value = f.count(total)
		fig.Table.Rows = append(fig.Table.Rows, append(row, countCell(f, total)))
		rows = append(rows, hbarRow{Label: pl.Name(p.Locale), Bars: []hbar{bar}})
	}
	fig.Chart = drawBoth(normalWidth, func(w float64) template.HTML { return hbarChart(rows, rtl, w, labelled(fig.ID)) })
	if d.Measures == 0 {
		fig.Summary = p.T("dashboard.pillar_status.empty")
	} else {
		fig.Summary = p.T("dashboard.pillar_status.summary", p.N("dashboard.n.measures_created", d.Measures),
			p.N("dashboard.n.approved", approved), bestPillar, f.count(best))
	}
	return fig
}

func federationsFigure(f dashFormat, refs *measureRefs, d *models.Dashboard, rtl bool, csv string) dashFigure {
	p := f.p
	fig := dashFigure{ID: "federations", Title: p.T("dashboard.federations.title"), Note: p.T("dashboard.federations.note"), CSV: csv,
		Legend: []dashLegend{
			{Swatch: swatch("dash-fill-led", ""), Label: p.T("dashboard.federations.led")},
			{Swatch: swatch("dash-fill-cosponsored", ""), Label: p.T("dashboard.federations.cosponsored")}}}
	fig.Table.Head = []string{p.T("dashboard.federations.federation"), p.T("dashboard.federations.led"),
		p.T("dashboard.federations.approved"), p.T("dashboard.federations.in_review"), p.T("dashboard.federations.cosponsored")}
	var rows []hbarRow
	var lead, co *models.FederationCount
	for i := range d.ByFederation {
		fc := &d.ByFederation[i]
		name := orgLabel(refs, fc.OrganizationID)
		fig.Table.Rows = append(fig.Table.Rows, []dashCell{textCell(refs.OrgName(fc.OrganizationID, p.Locale)), countCell(f, fc.Led),
			countCell(f, fc.LedByStatus[models.StatusApproved]), countCell(f, fc.LedByStatus[models.StatusInReview]), countCell(f, fc.Cosponsored)})
		rows = append(rows, hbarRow{Label: name, Bars: []hbar{
			{Segments: []hbarSegment{{Value: float64(fc.Led), Class: "dash-fill-led"}}, Value: f.count(fc.Led)},
			{Segments: []hbarSegment{{Value: float64(fc.Cosponsored), Class: "dash-fill-cosponsored"}}, Value: f.count(fc.Cosponsored)}}})
		if lead == nil || fc.Led > lead.Led {
			lead = fc
		}
		if fc.Cosponsored > 0 && (co == nil || fc.Cosponsored > co.Cosponsored) {
			co = fc
		}
	}
	fig.Chart = drawBoth(normalWidth, func(w float64) template.HTML { return hbarChart(rows, rtl, w, labelled(fig.ID)) })
	switch {
	case lead == nil || lead.Led == 0:
		fig.Summary = p.T("dashboard.federations.empty")
	case co == nil:
		fig.Summary = p.T("dashboard.federations.summary_lead_only", isolate(orgLabel(refs, lead.OrganizationID)), f.count(lead.Led))
	default:
		fig.Summary = p.T("dashboard.federations.summary", isolate(orgLabel(refs, lead.OrganizationID)), f.count(lead.Led),
			isolate(orgLabel(refs, co.OrganizationID)), f.count(co.Cosponsored))
	}
	return fig
}

// orgLabel is an organisation's short name (its acronym) for charts and
// sentences; tables give the full name.
func orgLabel(refs *measureRefs, id int64) string {
	if o, ok := refs.OrgByID[id]; ok {
		return strings.ToUpper(o.Slug)
	}
	return "#" + strconv.FormatInt(id, 10)
}

func cosponsorshipsFigure(f dashFormat, refs *measureRefs, d *models.Dashboard, rtl bool, csv string) dashFigure {
	p := f.p
	fig := dashFigure{ID: "co-sponsorships", Title: p.T("dashboard.cosponsorships.title"), Note: p.T("dashboard.cosponsorships.note"), CSV: csv}
	fig.Table.Head = []string{p.T("dashboard.cosponsorships.lead"), p.T("dashboard.cosponsorships.cosponsor"), p.T("dashboard.cosponsorships.count")}
	var ids []int64
	var labels []string
	at := map[int64]int{}
	for _, fc := range d.ByFederation {
		at[fc.OrganizationID] = len(ids)
		ids = append(ids, fc.OrganizationID)
		labels = append(labels, orgLabel(refs, fc.OrganizationID))
	}
	cells := make([][]int64, len(ids))
	for i := range cells {
		cells[i] = make([]int64, len(ids))
	}
	var total int64
	var top *models.CoSponsorship
	for i, c := range d.CoSponsorships {
		total += c.Count
		if top == nil || c.Count > top.Count {
			top = &d.CoSponsorships[i]
		}
		fig.Table.Rows = append(fig.Table.Rows, []dashCell{textCell(refs.OrgName(c.LeadOrganizationID, p.Locale)),
			textCell(refs.OrgName(c.CosponsorOrganizationID, p.Locale)), countCell(f, c.Count)})
		li, lok := at[c.LeadOrganizationID]
		ci, cok := at[c.CosponsorOrganizationID]
		if lok && cok {
			cells[li][ci] += c.Count
		}
	}
	fig.Chart = drawBoth(normalWidth, func(w float64) template.HTML {
		return matrixChart(p.T("dashboard.cosponsorships.lead"), p.T("dashboard.cosponsorships.cosponsor"), labels, cells, rtl, w, f.countF, labelled(fig.ID))
	})
	if top == nil {
		fig.Summary = p.T("dashboard.cosponsorships.empty")
	} else {
		fig.Summary = p.T("dashboard.cosponsorships.summary", p.N("dashboard.n.cosponsorships", total),
			isolate(orgLabel(refs, top.CosponsorOrganizationID)), p.N("dashboard.n.measures", top.Count), isolate(orgLabel(refs, top.LeadOrganizationID)))
	}
	return fig
}

func durationsFigure(f dashFormat, d *models.Dashboard, rtl bool, csv string) dashFigure {
	p := f.p
	fig := dashFigure{ID: "durations", Title: p.T("dashboard.durations.title"), Note: p.T("dashboard.durations.note"), CSV: csv,
		Legend: []dashLegend{
			{Swatch: swatch("dash-fill-review", ""), Label: p.T("dashboard.durations.review")},
			{Swatch: swatch("dash-fill-approval", ""), Label: p.T("dashboard.durations.approval")}}}
	r, a := d.TimeInReview, d.TimeToApproval
	fig.Table.Head = []string{"", p.T("dashboard.durations.review"), p.T("dashboard.durations.approval")}
	fig.Table.Rows = [][]dashCell{
		{textCell(p.T("dashboard.durations.count")), countCell(f, int64(r.Count)), countCell(f, int64(a.Count))},
		{textCell(p.T("dashboard.durations.median")), {Text: f.duration(r.MedianHours), Num: true}, {Text: f.duration(a.MedianHours), Num: true}},
		{textCell(p.T("dashboard.durations.p90")), {Text: f.duration(r.P90Hours), Num: true}, {Text: f.duration(a.P90Hours), Num: true}},
	}
	var rows []hbarRow
	for i := range r.Buckets {
		rc, ac := r.Buckets[i].Count, a.Buckets[i].Count
		fig.Table.Rows = append(fig.Table.Rows, []dashCell{textCell(f.bucketLabel(i)), countCell(f, rc), countCell(f, ac)})
		rows = append(rows, hbarRow{Label: f.bucketLabel(i), Bars: []hbar{
			{Segments: []hbarSegment{{Value: float64(rc), Class: "dash-fill-review"}}, Value: f.count(rc)},
			{Segments: []hbarSegment{{Value: float64(ac), Class: "dash-fill-approval"}}, Value: f.count(ac)}}})
	}
	fig.Chart = drawBoth(normalWidth, func(w float64) template.HTML { return hbarChart(rows, rtl, w, labelled(fig.ID)) })
	switch {
	case r.Count == 0:
		fig.Summary = p.T("dashboard.durations.empty")
	case a.Count == 0:
		fig.Summary = p.T("dashboard.durations.summary_no_approval", p.N("dashboard.n.decisions", r.Count),
			f.duration(r.MedianHours), f.duration(r.P90Hours))
	default:
		fig.Summary = p.T("dashboard.durations.summary", p.N("dashboard.n.decisions", r.Count),
			f.duration(r.MedianHours), f.duration(r.P90Hours), f.duration(a.MedianHours))
	}
	return fig
}

func weeklyFigure(f dashFormat, d *models.Dashboard, rtl bool, csv string) dashFigure {
	p := f.p
	fig := dashFigure{ID: "weekly", Title: p.T("dashboard.weekly.title"), Note: p.T("dashboard.weekly.note"), CSV: csv, Wide: true,
		Legend: []dashLegend{
			{Swatch: swatch("dash-line-created", "circle"), Label: p.T("dashboard.weekly.created")},
			{Swatch: swatch("dash-line-submitted", "square"), Label: p.T("dashboard.weekly.submitted")},
			{Swatch: swatch("dash-line-approved", "triangle"), Label: p.T("dashboard.weekly.approved")}}}
	fig.Table.Head = []string{p.T("dashboard.weekly.week"), p.T("dashboard.weekly.created"), p.T("dashboard.weekly.submitted"),
		p.T("dashboard.weekly.approved"), p.T("dashboard.weekly.comments")}
	labels := make([]string, len(d.Weekly))
	created, submitted, approved := make([]float64, len(d.Weekly)), make([]float64, len(d.Weekly)), make([]float64, len(d.Weekly))
	var tc, ts, ta int64
	for i, w := range d.Weekly {
		labels[i] = f.week(w.Week)
		created[i], submitted[i], approved[i] = float64(w.Created), float64(w.Submitted), float64(w.Approved)
		tc, ts, ta = tc+w.Created, ts+w.Submitted, ta+w.Approved
		fig.Table.Rows = append(fig.Table.Rows, []dashCell{textCell(f.weekLong(w.Week)), countCell(f, w.Created), countCell(f, w.Submitted),
			countCell(f, w.Approved), countCell(f, w.Comments)})
	}
	series := []lineSeries{
		{Class: "dash-line-created", Marker: "circle", Values: created},
		{Class: "dash-line-submitted", Marker: "square", Values: submitted},
		{Class: "dash-line-approved", Marker: "triangle", Values: approved}}
	fig.Chart = drawBoth(wideWidth, func(w float64) template.HTML { return lineChart(labels, series, rtl, w, f.countF, labelled(fig.ID)) })
	fig.Summary = p.T("dashboard.weekly.summary", p.N("dashboard.n.weeks", len(d.Weekly)), p.N("dashboard.n.measures_created", tc),
		p.N("dashboard.n.submissions", ts), p.N("dashboard.n.approvals", ta))
	return fig
}

func commentsFigure(f dashFormat, d *models.Dashboard, rtl bool, csv string) dashFigure {
	p := f.p
	fig := dashFigure{ID: "comments", Title: p.T("dashboard.comments.title"), Note: p.T("dashboard.comments.note"), CSV: csv, Wide: true}
	fig.Table.Head = []string{p.T("dashboard.weekly.week"), p.T("dashboard.weekly.comments")}
	labels := make([]string, len(d.Weekly))
	values := make([]float64, len(d.Weekly))
	var total int64
	busiest := -1
	for i, w := range d.Weekly {
		labels[i], values[i] = f.week(w.Week), float64(w.Comments)
		total += w.Comments
		if w.Comments > 0 && (busiest < 0 || w.Comments > d.Weekly[busiest].Comments) {
			busiest = i
		}
		fig.Table.Rows = append(fig.Table.Rows, []dashCell{textCell(f.weekLong(w.Week)), countCell(f, w.Comments)})
	}
	fig.Chart = drawBoth(wideWidth, func(w float64) template.HTML {
		return columnChart(labels, values, "dash-fill-comments", rtl, w, f.countF, labelled(fig.ID))
	})
	if busiest < 0 {
		fig.Summary = p.T("dashboard.comments.empty")
	} else {
		fig.Summary = p.T("dashboard.comments.summary", p.N("dashboard.n.comments", total), f.weekLong(d.Weekly[busiest].Week),
			p.N("dashboard.n.comments", d.Weekly[busiest].Comments))
	}
	return fig
}

func pendingFigure(f dashFormat, d *models.Dashboard, rtl bool, csv string) dashFigure {
	p := f.p
	pr := d.PendingReviews
	fig := dashFigure{ID: "pending-reviews", Title: p.T("dashboard.pending.title"), Note: p.T("dashboard.pending.note"), CSV: csv}
	fig.Table.Head = []string{p.T("dashboard.pending.measure"), p.T("dashboard.pending.since"), p.T("dashboard.pending.waiting")}
	for _, it := range pr.Items {
		h := it.WaitingHours
		fig.Table.Rows = append(fig.Table.Rows, []dashCell{{Text: it.Title, Href: idPath(it.MeasureID)},
			textCell(p.Time(it.Since)), {Text: f.duration(&h), Num: true}})
	}
	var rows []hbarRow
	for i, b := range pr.Buckets {
		rows = append(rows, hbarRow{Label: f.bucketLabel(i), Bars: []hbar{
			{Segments: []hbarSegment{{Value: float64(b.Count), Class: "dash-fill-waiting"}}, Value: f.count(b.Count)}}})
	}
	fig.Chart = drawBoth(normalWidth, func(w float64) template.HTML { return hbarChart(rows, rtl, w, labelled(fig.ID)) })
	if pr.Count == 0 {
		fig.Summary = p.T("dashboard.pending.empty")
	} else {
		fig.Summary = p.T("dashboard.pending.summary", p.N("dashboard.n.pending", pr.Count), f.duration(pr.OldestHours))
	}
	return fig
}

func discussedFigure(f dashFormat, d *models.Dashboard, rtl bool, csv string) dashFigure {
	p := f.p
	fig := dashFigure{ID: "most-discussed", Title: p.T("dashboard.discussed.title"), Note: p.T("dashboard.discussed.note"), CSV: csv}
	fig.Table.Head = []string{p.T("dashboard.pending.measure"), p.T("dashboard.weekly.comments")}
	var rows []hbarRow
	for _, m := range d.MostDiscussed {
		fig.Table.Rows = append(fig.Table.Rows, []dashCell{{Text: m.Title, Href: idPath(m.MeasureID)}, countCell(f, m.Comments)})
		rows = append(rows, hbarRow{Label: m.Title, Bars: []hbar{
			{Segments: []hbarSegment{{Value: float64(m.Comments), Class: "dash-fill-discussed"}}, Value: f.count(m.Comments)}}})
	}
	if len(rows) > 0 {
		fig.Chart = drawBoth(normalWidth, func(w float64) template.HTML { return hbarChart(rows, rtl, w, labelled(fig.ID)) })
		fig.Summary = p.T("dashboard.discussed.summary", isolate(d.MostDiscussed[0].Title), p.N("dashboard.n.comments", d.MostDiscussed[0].Comments))
	} else {
		fig.Summary = p.T("dashboard.discussed.empty")
	}
	return fig
}
