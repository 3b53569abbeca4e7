package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Store.Dashboard reads the figures of docs/API.md "Dashboard". What the
// viewer may see is always visibleTo, the one SQL rule of who sees which
// measure (through filteredMeasures, which adds the federation). Counting
// stays in the database; pairing submissions with decisions, percentiles
// and the ministry's weeks are done here, from hourly counts or a few rows
// per decision.
//
// The big tables (comments, revisions) are read in their own order, each
// row checked against the set of visible measures ("+measure_id IN (…)":
// the unary plus keeps SQLite from walking the measure index, which would
// read the rows in random order); for someone who sees every measure with
// no federation chosen, there is no set to check. The work is bounded by
// the period (at most DashboardMaxDays); the server caches the result
// (server/dashboard_cache.go).

// Dashboard computes the figures for the viewer.
func (s *Store) Dashboard(ctx context.Context, viewer *User, f DashboardFilter) (*Dashboard, error) {
	if err := Check(viewer, ActViewDashboard, nil); err != nil {
		return nil, err
	}
	event, err := s.MeasureEventStamp(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	start, end := f.Window()
	d := &Dashboard{From: f.From, To: f.To, TimeZone: DefaultTimeZone, EventID: event, GeneratedAt: now}
	if f.OrganizationID != 0 {
		id := f.OrganizationID
		d.OrganizationID = &id
	}
	q := dashboardQuery{s: s, ctx: ctx, viewer: viewer, f: f, start: start, end: end,
		everything: ScopeOf(viewer).All && f.OrganizationID == 0, weeks: map[string]int{}}
	for i, w := range f.Weeks() {
		d.Weekly = append(d.Weekly, WeekActivity{Week: w})
		q.weeks[w] = i
	}
	for _, step := range []func(*Dashboard) error{q.measures, q.steps, q.reviews, q.comments} {
		if err := step(d); err != nil {
			return nil, dbError(err)
		}
	}
	if err := q.pending(d, now); err != nil {
		return nil, dbError(err)
	}
	return d, nil
}

// MeasureEventStamp is the id of the newest event about a measure (its
// creation, changes, workflow, editors, co-sponsors, reviews, comments),
// 0 for none: every change the dashboard counts writes one, and the
// notifications that follow each change (events without a measure) do not
// move it. The log is read backwards from its end ("+measure_id" keeps
// SQLite from scanning the measure index instead), so this costs a few
// rows.
func (s *Store) MeasureEventStamp(ctx context.Context) (int64, error) {
	var ids []int64
	if err := s.Read(ctx).Raw("SELECT id FROM events WHERE +measure_id IS NOT NULL ORDER BY id DESC LIMIT 1").Scan(&ids).Error; err != nil {
		return 0, dbError(err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return ids[0], nil
}

// dashboardLookups is how many measures' revisions are looked up one by
// one (by primary key) before reading the whole table is cheaper.
const dashboardLookups = 2000

// dashboardQuery is one computation's parameters.
type dashboardQuery struct {
	s          *Store
	ctx        context.Context
	viewer     *User
	f          DashboardFilter
	start, end time.Time
	// everything: the viewer sees every measure and no federation is
	// chosen, so rows need no check against the visible measures.
	everything bool
	weeks      map[string]int // Monday → index in Dashboard.Weekly
}

// visible gives the measures the viewer may see, narrowed to the
// federation.
func (q dashboardQuery) visible() *gorm.DB {
	return q.s.filteredMeasures(q.ctx, q.viewer, MeasureFilter{OrganizationID: q.f.OrganizationID})
}

// ofVisible narrows a query on a table with a measure_id column (under
// alias) to the visible measures' rows.
func (q dashboardQuery) ofVisible(db *gorm.DB, alias string) *gorm.DB {
	if q.everything {
		return db
	}
	return db.Where("+"+alias+".measure_id IN (?)", q.visible().Select("measures.id"))
}

// inPeriod narrows to rows whose column col falls in the period.
func (q dashboardQuery) inPeriod(db *gorm.DB, col string) *gorm.DB {
	return db.Where(col+" >= ? AND "+col+" < ?", q.start, q.end)
}

// hourOf is the SQL of a timestamp's hour in UTC, "YYYY-MM-DD HH": counts
// are grouped by hour in the database and the hours put in the ministry's
// weeks here (Morocco's offset moves during Ramadan; a whole hour always
// falls in one local day). Rows are written in UTC (Store.stamp), so on
// SQLite the hour is the text's first 13 characters.
func (q dashboardQuery) hourOf(col string) string {
	if q.s.Dialect == Postgres {
		return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"
	}
	return "substr(" + col + ", 1, 13)"
}

// hourCount is one hour's count, as hourOf writes the hour.
type hourCount struct {
	H string `gorm:"column:h"`
	N int64  `gorm:"column:n"`
}

// weekAt gives the week of the period an instant falls in (nil: outside).
func (q dashboardQuery) weekAt(d *Dashboard, t time.Time) *WeekActivity {
	if i, ok := q.weeks[weekOf(t)]; ok {
		return &d.Weekly[i]
	}
	return nil
}

// weekOfHour is weekAt for an hour as hourOf writes it.
func (q dashboardQuery) weekOfHour(d *Dashboard, h string) (*WeekActivity, error) {
	t, err := time.ParseInLocation("2006-01-02 15", h, time.UTC)
	if err != nil {
		return nil, fmt.Errorf("dashboard: unreadable hour %q: %w", h, err)
	}
	return q.weekAt(d, t), nil
}

// measures: the measures created in the period, read once, give the
// pillar × status grid, each federation's measures, the co-sponsorships
// and the measures created each week.
func (q dashboardQuery) measures(d *Dashboard) error {
	pillars, err := q.s.Taxonomy(q.ctx)
	if err != nil {
		return err
	}
	orgs, err := q.s.Organizations(q.ctx)
	if err != nil {
		return err
	}
	var rows []struct {
		ID      int64     `gorm:"column:id"`
		Pillar  string    `gorm:"column:pillar"`
		Status  string    `gorm:"column:status"`
		Lead    int64     `gorm:"column:lead_organization_id"`
		Created time.Time `gorm:"column:created_at"`
	}
	if err := q.inPeriod(q.visible(), "measures.created_at").
		Select("measures.id, measures.pillar, measures.status, measures.lead_organization_id, measures.created_at").
		Scan(&rows).Error; err != nil {
		return err
	}
	cells := map[[2]string]int64{}
	feds := map[int64]*FederationCount{}
	for _, o := range orgs {
		if o.Kind == KindFederation {
			feds[o.ID] = &FederationCount{OrganizationID: o.ID, Slug: o.Slug, LedByStatus: map[string]int64{}}
		}
	}
	lead := make(map[int64]int64, len(rows))
	for _, r := range rows {
		lead[r.ID] = r.Lead
		d.Measures++
		cells[[2]string{r.Pillar, r.Status}]++
		fc := feds[r.Lead]
		if fc == nil {
			fc = &FederationCount{OrganizationID: r.Lead, LedByStatus: map[string]int64{}}
			feds[r.Lead] = fc
		}
		fc.Led++
		fc.LedByStatus[r.Status]++
		if w := q.weekAt(d, r.Created); w != nil {
			w.Created++
		}
	}
	d.ByPillarStatus = []PillarStatusCount{}
	for _, p := range pillars {
		for _, st := range MeasureStatuses {
			d.ByPillarStatus = append(d.ByPillarStatus, PillarStatusCount{Pillar: p.Key, Status: st, Count: cells[[2]string{p.Key, st}]})
		}
	}

	// Co-sponsorships: few rows, read whole and kept for the measures
	// above.
	var cos []struct {
		MeasureID int64 `gorm:"column:measure_id"`
		OrgID     int64 `gorm:"column:organization_id"`
	}
	if err := q.s.Read(q.ctx).Table("measure_cosponsors").Select("measure_id, organization_id").Scan(&cos).Error; err != nil {
		return err
	}
	pairs := map[[2]int64]int64{}
	for _, c := range cos {
		l, ok := lead[c.MeasureID]
		if !ok {
			continue
		}
		pairs[[2]int64{l, c.OrgID}]++
		if fc := feds[c.OrgID]; fc != nil {
			fc.Cosponsored++
		}
	}
	d.CoSponsorships = []CoSponsorship{}
	d.ByFederation = []FederationCount{}
	for _, o := range orgs { // federations in the organisations' order
		fc := feds[o.ID]
		if fc == nil {
			continue
		}
		for _, st := range MeasureStatuses { // every status, zeros included
			if _, ok := fc.LedByStatus[st]; !ok {
				fc.LedByStatus[st] = 0
			}
		}
		d.ByFederation = append(d.ByFederation, *fc)
		for _, co := range orgs {
			if n := pairs[[2]int64{o.ID, co.ID}]; n > 0 {
				d.CoSponsorships = append(d.CoSponsorships, CoSponsorship{LeadOrganizationID: o.ID, CosponsorOrganizationID: co.ID, Count: n})
			}
		}
	}
	return nil
}

// steps: the submissions and approvals of each week, from the revisions
// that record them.
func (q dashboardQuery) steps(d *Dashboard) error {
	var rows []struct {
		H      string `gorm:"column:h"`
		Reason string `gorm:"column:reason"`
		N      int64  `gorm:"column:n"`
	}
	db := q.inPeriod(q.s.Read(q.ctx).Table("revisions r"), "r.created_at").Where("r.reason IN ?", []string{string(TransSubmit), string(TransApprove)})
	if err := q.ofVisible(db, "r").Select(q.hourOf("r.created_at") + " AS h, r.reason AS reason, COUNT(*) AS n").
		Group("h, r.reason").Scan(&rows).Error; err != nil {
		return err
	}
	for _, r := range rows {
		w, err := q.weekOfHour(d, r.H)
		if err != nil {
			return err
		}
		switch {
		case w == nil:
		case r.Reason == string(TransApprove):
			w.Approved += r.N
		default:
			w.Submitted += r.N
		}
	}
	return nil
}

// reviews: time in review and time to approval of the decisions taken in
// the period.
func (q dashboardQuery) reviews(d *Dashboard) error {
	decided := func() *gorm.DB {
		return q.ofVisible(q.inPeriod(q.s.Read(q.ctx).Table("reviews rv"), "rv.created_at"), "rv")
	}
	var decisions []decision
	if err := decided().Select("rv.measure_id AS measure_id, rv.decision AS decision, rv.revision AS revision, rv.created_at AS at").
		Order("rv.id").Scan(&decisions).Error; err != nil {
		return err
	}
	// The submissions and approvals of the measures decided: looked up by
	// measure when they are few, else read in one pass over the revisions.
	measures := map[int64]bool{}
	for _, d := range decisions {
		measures[d.MeasureID] = true
	}
	var ids []int64
	for id := range measures {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	steps := map[int64][]workflowStep{}
	read := func(where string, arg any) error {
		var rows []workflowStep
		if err := q.s.Read(q.ctx).Table("revisions r").
			Select("r.measure_id AS measure_id, r.number AS number, r.reason AS reason, r.created_at AS at").
			Where("r.reason IN ?", []string{string(TransSubmit), string(TransApprove)}).Where(where, arg).
			Order("r.measure_id, r.number").Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			steps[r.MeasureID] = append(steps[r.MeasureID], r)
		}
		return nil
	}
	switch {
	case len(ids) == 0:
	case len(ids) <= dashboardLookups:
		for chunk := range slices.Chunk(ids, 500) {
			if err := read("r.measure_id IN ?", chunk); err != nil {
				return err
			}
		}
	default:
		if err := read("+r.measure_id IN (?)", decided().Select("rv.measure_id")); err != nil {
			return err
		}
	}
	inReview, toApproval := reviewDurations(decisions, steps)
	d.TimeInReview, d.TimeToApproval = durationStats(inReview), durationStats(toApproval)
	return nil
}

// comments: the visible comments written each week, and the measures with
// the most of them.
func (q dashboardQuery) comments(d *Dashboard) error {
	written := func() *gorm.DB {
		db := q.inPeriod(q.s.Read(q.ctx).Table("comments cm"), "cm.created_at").Where("cm.status = ?", CommentVisible)
		return q.ofVisible(db, "cm")
	}
	var hours []hourCount
	if err := written().Select(q.hourOf("cm.created_at") + " AS h, COUNT(*) AS n").Group("h").Scan(&hours).Error; err != nil {
		return err
	}
	for _, h := range hours {
		w, err := q.weekOfHour(d, h.H)
		if err != nil {
			return err
		}
		if w != nil {
			w.Comments += h.N
		}
	}
	var top []DiscussedMeasure
	if err := written().Select("cm.measure_id + 0 AS measure_id, COUNT(*) AS comments").Group("cm.measure_id + 0").
		Order("comments DESC, measure_id").Limit(dashboardTop).Scan(&top).Error; err != nil {
		return err
	}
	d.MostDiscussed = []DiscussedMeasure{}
	if len(top) == 0 {
		return nil
	}
	ids := make([]int64, len(top))
	for i, m := range top {
		ids[i] = m.MeasureID
	}
	var titles []struct {
		ID    int64  `gorm:"column:id"`
		Title string `gorm:"column:title"`
	}
	if err := q.s.Read(q.ctx).Table("measures").Select("id, title").Where("id IN ?", ids).Scan(&titles).Error; err != nil {
		return err
	}
	byID := map[int64]string{}
	for _, t := range titles {
		byID[t.ID] = t.Title
	}
	for _, m := range top {
		m.Title = byID[m.MeasureID]
		d.MostDiscussed = append(d.MostDiscussed, m)
	}
	return nil
}

// pending: the measures in review now, waiting since their latest
// submission (or, for one without a recorded submission, since its last
// change).
func (q dashboardQuery) pending(d *Dashboard, now time.Time) error {
	var rows []struct {
		ID        int64      `gorm:"column:id"`
		Title     string     `gorm:"column:title"`
		Submitted *time.Time `gorm:"column:submitted"`
		UpdatedAt time.Time  `gorm:"column:updated_at"`
	}
	if err := q.visible().Where("measures.status = ?", StatusInReview).
		Joins(`LEFT JOIN revisions r ON r.measure_id = measures.id AND r.number =
			(SELECT MAX(r2.number) FROM revisions r2 WHERE r2.measure_id = measures.id AND r2.reason = ?)`, string(TransSubmit)).
		Select("measures.id AS id, measures.title AS title, r.created_at AS submitted, measures.updated_at AS updated_at").
		Scan(&rows).Error; err != nil {
		return err
	}
	items := make([]PendingReview, len(rows))
	for i, r := range rows {
		since := r.UpdatedAt
		if r.Submitted != nil {
			since = *r.Submitted
		}
		items[i] = PendingReview{MeasureID: r.ID, Title: r.Title, Since: since.UTC()}
	}
	d.PendingReviews = pendingReviews(items, now)
	return nil
}
