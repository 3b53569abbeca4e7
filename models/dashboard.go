package models

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// The dashboard (docs/API.md "Dashboard"): figures on the measures a
// person may see, over a period of days and optionally one federation.
//
// Days are civil days in Morocco's time zone (DefaultTimeZone), the
// ministry's, whoever reads: two people comparing figures see the same
// ones. Weeks start on Monday.
//
// What the period means, figure by figure:
//   - by pillar and status, by federation, co-sponsorships: the measures
//     created in the period, each counted under its status now;
//   - weekly activity: what happened in each week of the period (measures
//     created, submitted, approved; comments written);
//   - time in review and time to approval: the review decisions taken in
//     the period;
//   - most discussed: the comments written in the period;
//   - pending reviews: the measures in review now (the period does not
//     apply; the federation does).
//
// Comments are counted when visible (not hidden, not deleted), for
// everyone, moderators included: a figure means the same to all readers.

const (
	// DashboardMaxDays bounds the period: two years, leap day included.
	// It bounds the work of one computation and the weeks of the charts.
	DashboardMaxDays = 731
	// DashboardDefaultWeeks is the default period: this week and the
	// eleven before it, up to today.
	DashboardDefaultWeeks = 12
	// dashboardTop is how many measures the lists of most discussed and
	// longest waiting measures hold.
	dashboardTop = 10
	dateLayout   = "2006-01-02"
)

// DashboardFilter is a valid choice of period and federation.
type DashboardFilter struct {
	From, To       string // YYYY-MM-DD, both days included
	OrganizationID int64  // leading or co-sponsoring; 0: all
}

// DashboardZone is the time zone of the dashboard's days and weeks.
func DashboardZone() *time.Location { return dashboardZone() }

// dashboardZone loads the zone once: loading it reads the tz database, and
// every counted row asks for it.
var dashboardZone = sync.OnceValue(func() *time.Location {
	loc, _ := LoadTimeZone(DefaultTimeZone)
	return loc
})

// ParseDashboardFilter checks the period and federation a person asked
// for. Empty dates take the default: to is today (in DashboardZone), from
// the Monday DashboardDefaultWeeks-1 weeks before to's week. The error is
// a 422 naming each wrong field (from, to, organization_id); nothing here
// reads the database (federations are the known organisations).
func ParseDashboardFilter(from, to, org string, now time.Time, orgs []Organization) (DashboardFilter, error) {
	fe := FieldErrors{}
	zone := DashboardZone()
	today := civilDay(now.In(zone))
	end, endOK := today, true
	if strings.TrimSpace(to) != "" {
		end, endOK = parseDay(fe, "to", to)
	}
	start, startOK := mondayOf(end).AddDate(0, 0, -7*(DashboardDefaultWeeks-1)), true
	if strings.TrimSpace(from) != "" {
		start, startOK = parseDay(fe, "from", from)
	}
	if startOK && endOK {
		switch days := int(end.Sub(start).Hours()/24) + 1; {
		case days < 1:
			fe.Add("to", "The end date is before the start date.")
		case days > DashboardMaxDays:
			fe.Add("from", "The period is at most two years: choose a later start date or an earlier end date.")
		}
	}
	f := DashboardFilter{From: start.Format(dateLayout), To: end.Format(dateLayout)}
	if org = strings.TrimSpace(org); org != "" {
		id, err := strconv.ParseInt(org, 10, 64)
		known := false
		for _, o := range orgs {
			known = known || (err == nil && o.ID == id && o.Kind == KindFederation)
		}
		if !known {
			fe.Add("organization_id", "Unknown federation: choose one from the list.")
		}
		f.OrganizationID = id
	}
	if err := fe.Err(); err != nil {
		return DashboardFilter{}, err
	}
	return f, nil
}

// parseDay reads a YYYY-MM-DD day between 2000 and 2099.
func parseDay(fe FieldErrors, field, s string) (time.Time, bool) {
	d, err := time.ParseInLocation(dateLayout, strings.TrimSpace(s), time.UTC)
	switch {
	case err != nil:
		fe.Add(field, "Write the date as YYYY-MM-DD, for example 2026-11-30.")
		return time.Time{}, false
	case d.Year() < 2000 || d.Year() > 2099:
		fe.Add(field, "Choose a date between 2000 and 2099.")
		return time.Time{}, false
	}
	return d, true
}

// civilDay is t's date as midnight UTC: days are counted without zones.
func civilDay(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// mondayOf is the Monday of a civil day's week.
func mondayOf(d time.Time) time.Time {
	return d.AddDate(0, 0, -(int(d.Weekday())+6)%7)
}

// Window is the period as instants: from the start of From to the start of
// the day after To, in DashboardZone.
func (f DashboardFilter) Window() (start, end time.Time) {
	zone := DashboardZone()
	a, _ := time.ParseInLocation(dateLayout, f.From, zone)
	b, _ := time.ParseInLocation(dateLayout, f.To, zone)
	return a.UTC(), b.AddDate(0, 0, 1).UTC()
}

// Weeks lists the Mondays of the weeks the period touches, as YYYY-MM-DD.
func (f DashboardFilter) Weeks() []string {
	a, _ := time.Parse(dateLayout, f.From)
	b, _ := time.Parse(dateLayout, f.To)
	var out []string
	for w := mondayOf(a); !w.After(b); w = w.AddDate(0, 0, 7) {
		out = append(out, w.Format(dateLayout))
	}
	return out
}

// weekOf gives the Monday (YYYY-MM-DD) of the week an instant falls in.
func weekOf(t time.Time) string {
	return mondayOf(civilDay(t.In(DashboardZone()))).Format(dateLayout)
}

// DashboardAudience is who sees the same figures, for caches: every staff
// member sees every measure; anyone else sees according to their account
// and federation (MeasureScope). Comments are counted alike for all, so
// the scope's hidden-comments flag plays no part.
func DashboardAudience(u *User) MeasureScope {
	s := ScopeOf(u)
	if s.All || s.None {
		return MeasureScope{All: s.All, None: s.None}
	}
	s.HiddenComments = false
	return s
}

// Dashboard is every figure of the dashboard, as the API gives it.
type Dashboard struct {
	From           string `json:"from"`
	To             string `json:"to"`
	OrganizationID *int64 `json:"organization_id"`
	TimeZone       string `json:"time_zone"`
	// EventID is the newest event about a measure when the computation
	// started (Store.MeasureEventStamp): the figures include everything up
	// to it.
	EventID     int64     `json:"event_id"`
	GeneratedAt time.Time `json:"generated_at"`
	// Measures is how many measures were created in the period.
	Measures       int64               `json:"measures"`
	ByPillarStatus []PillarStatusCount `json:"by_pillar_status"`
	ByFederation   []FederationCount   `json:"by_federation"`
	CoSponsorships []CoSponsorship     `json:"co_sponsorships"`
	TimeInReview   DurationStats       `json:"time_in_review"`
	TimeToApproval DurationStats       `json:"time_to_approval"`
	PendingReviews PendingReviews      `json:"pending_reviews"`
	Weekly         []WeekActivity      `json:"weekly"`
	MostDiscussed  []DiscussedMeasure  `json:"most_discussed"`
}

// PillarStatusCount is one cell of the pillar × status grid (every pillar
// and status is there, zeros included).
type PillarStatusCount struct {
	Pillar string `json:"pillar"`
	Status string `json:"status"`
	Count  int64  `json:"count"`
}

// FederationCount is a federation's share of the measures: those it leads,
// per status, and those it co-sponsors.
type FederationCount struct {
	OrganizationID int64            `json:"organization_id"`
	Slug           string           `json:"slug"`
	Led            int64            `json:"led"`
	LedByStatus    map[string]int64 `json:"led_by_status"`
	Cosponsored    int64            `json:"cosponsored"`
}

// CoSponsorship counts the measures led by one federation and co-sponsored
// by another (only pairs that occur).
type CoSponsorship struct {
	LeadOrganizationID      int64 `json:"lead_organization_id"`
	CosponsorOrganizationID int64 `json:"cosponsor_organization_id"`
	Count                   int64 `json:"count"`
}

// DurationStats sums up durations in hours: how many, the median and the
// 90th percentile (linear interpolation between ranks; null when there is
// none), and how many fall in each of DurationBuckets.
type DurationStats struct {
	Count       int              `json:"count"`
	MedianHours *float64         `json:"median_hours"`
	P90Hours    *float64         `json:"p90_hours"`
	Buckets     []DurationBucket `json:"buckets"`
}

// DurationBucket counts the durations from FromHours (included) to ToHours
// (excluded; null: no end).
type DurationBucket struct {
	FromHours int   `json:"from_hours"`
	ToHours   *int  `json:"to_hours"`
	Count     int64 `json:"count"`
}

// PendingReviews are the measures in review now: how many, how long the
// oldest has waited, how long they have waited (DurationBuckets), and the
// longest waiting first.
type PendingReviews struct {
	Count       int64            `json:"count"`
	OldestHours *float64         `json:"oldest_hours"`
	Buckets     []DurationBucket `json:"buckets"`
	Items       []PendingReview  `json:"items"`
}

// PendingReview is one measure waiting for a review since its submission.
type PendingReview struct {
	MeasureID    int64     `json:"measure_id"`
	Title        string    `json:"title"`
	Since        time.Time `json:"since"`
	WaitingHours float64   `json:"waiting_hours"`
}

// WeekActivity is what happened in one week (Monday, YYYY-MM-DD), within
// the period.
type WeekActivity struct {
	Week      string `json:"week"`
	Created   int64  `json:"created"`
	Submitted int64  `json:"submitted"`
	Approved  int64  `json:"approved"`
	Comments  int64  `json:"comments"`
}

// DiscussedMeasure is a measure and the visible comments written on it in
// the period.
type DiscussedMeasure struct {
	MeasureID int64  `json:"measure_id"`
	Title     string `json:"title"`
	Comments  int64  `json:"comments"`
}
