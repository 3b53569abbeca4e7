package models

import (
	"fmt"
	"testing"
	"time"
)

func TestDashboard_ParseFilter(t *testing.T) {
	orgs := []Organization{{ID: 1, Slug: "apebi", Kind: KindFederation}, {ID: 5, Slug: "ministry", Kind: KindMinistry}}
	// Thursday 3 December 2026, 23:30 UTC: already Friday the 4th in
	// Casablanca (UTC+1).
	now := time.Date(2026, 12, 3, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, from, to, org string
		want                DashboardFilter
		field               string // the field refused, "" when valid
	}{
		{name: "Default", want: DashboardFilter{From: "2026-09-14", To: "2026-12-04"}},
		{name: "Given", from: "2026-01-01", to: "2026-03-31", org: "1", want: DashboardFilter{From: "2026-01-01", To: "2026-03-31", OrganizationID: 1}},
		{name: "ToAlone", to: "2026-03-31", want: DashboardFilter{From: "2026-01-12", To: "2026-03-31"}},
		{name: "FromAlone", from: "2026-11-01", want: DashboardFilter{From: "2026-11-01", To: "2026-12-04"}},
		{name: "OneDay", from: "2026-05-05", to: "2026-05-05", want: DashboardFilter{From: "2026-05-05", To: "2026-05-05"}},
		{name: "TwoYears", from: "2024-12-04", to: "2026-12-04", want: DashboardFilter{From: "2024-12-04", To: "2026-12-04"}},
		{name: "Spaces", from: " 2026-01-01 ", to: "2026-01-31 ", want: DashboardFilter{From: "2026-01-01", To: "2026-01-31"}},
		{name: "OverTwoYears", from: "2024-12-02", to: "2026-12-04", field: "from"},
		{name: "Inverted", from: "2026-02-01", to: "2026-01-31", field: "to"},
		{name: "FromAfterToday", from: "2026-12-10", field: "to"},
		{name: "Malformed", from: "2026-1-1", field: "from"},
		{name: "NotADate", to: "2026-02-30", field: "to"},
		{name: "Time", from: "2026-01-01T00:00:00Z", field: "from"},
		{name: "TooEarly", from: "1999-12-31", to: "2000-01-01", field: "from"},
		{name: "Ministry", org: "5", field: "organization_id"},
		{name: "Unknown", org: "99", field: "organization_id"},
		{name: "Negative", org: "-1", field: "organization_id"},
		{name: "Words", org: "apebi", field: "organization_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseDashboardFilter(tc.from, tc.to, tc.org, now, orgs)
			if tc.field == "" {
				if err != nil || f != tc.want {
					t.Errorf("got %+v, %v; want %+v", f, err, tc.want)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Kind != EInvalid || e.Fields[tc.field] == "" {
				t.Errorf("got %+v, %v; want a 422 on %s", f, err, tc.field)
			}
		})
	}
}

func TestDashboard_WindowAndWeeks(t *testing.T) {
	f := DashboardFilter{From: "2026-11-25", To: "2026-12-08"}
	start, end := f.Window()
	// Casablanca is UTC+1 then: midnight there is 23:00 UTC the day before.
	if start != time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC) || end != time.Date(2026, 12, 8, 23, 0, 0, 0, time.UTC) {
		t.Errorf("window %s – %s", start, end)
	}
	if got := fmt.Sprint(f.Weeks()); got != "[2026-11-23 2026-11-30 2026-12-07]" {
		t.Errorf("weeks %s", got)
	}
	// Sunday 23:30 UTC is Monday 00:30 in Casablanca: the next week.
	if w := weekOf(time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC)); w != "2026-11-30" {
		t.Errorf("week of Sunday 23:30 UTC = %s", w)
	}
	if w := weekOf(time.Date(2026, 11, 29, 22, 30, 0, 0, time.UTC)); w != "2026-11-23" {
		t.Errorf("week of Sunday 22:30 UTC = %s", w)
	}
}

func TestDashboard_Percentiles(t *testing.T) {
	for _, tc := range []struct {
		hours       []float64
		median, p90 float64
	}{
		{[]float64{5}, 5, 5},
		{[]float64{24, 48}, 36, 45.6},
		{[]float64{222, 6, 24}, 24, 182.4},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5.5, 9.1},
	} {
		s := durationStats(tc.hours)
		if s.Count != len(tc.hours) || *s.MedianHours != tc.median || *s.P90Hours != tc.p90 {
			t.Errorf("%v: median %v p90 %v, want %v %v", tc.hours, *s.MedianHours, *s.P90Hours, tc.median, tc.p90)
		}
	}
	if s := durationStats(nil); s.Count != 0 || s.MedianHours != nil || s.P90Hours != nil || len(s.Buckets) != 6 {
		t.Errorf("no duration: %+v", s)
	}
	b := durationBuckets([]float64{-1, 0, 23.9, 24, 71.9, 72, 200, 400, 671.9, 672, 5000})
	var got []int64
	for _, x := range b {
		got = append(got, x.Count)
	}
	if fmt.Sprint(got) != "[3 2 1 1 2 2]" || b[5].ToHours != nil || *b[0].ToHours != 24 {
		t.Errorf("buckets %v", got)
	}
}

func TestDashboard_ReviewDurations(t *testing.T) {
	at := func(h int) time.Time {
		return time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
	}
	steps := map[int64][]workflowStep{
		// Submitted (2), sent back, submitted again (4), approved (5);
		// amended, submitted (8), approved (9).
		1: {{1, 2, "submit", at(0)}, {1, 4, "submit", at(48)}, {1, 5, "approve", at(54)}, {1, 8, "submit", at(100)}, {1, 9, "approve", at(110)}},
		// Withdrawn in review, restored, submitted again (6).
		2: {{2, 2, "submit", at(0)}, {2, 6, "submit", at(200)}},
	}
	decisions := []decision{
		{MeasureID: 1, Decision: DecisionChangesRequested, Revision: 2, At: at(24)},
		{MeasureID: 1, Decision: DecisionApproved, Revision: 4, At: at(54)},
		{MeasureID: 1, Decision: DecisionApproved, Revision: 8, At: at(110)},
		{MeasureID: 2, Decision: DecisionRejected, Revision: 6, At: at(210)},
		{MeasureID: 3, Decision: DecisionApproved, Revision: 2, At: at(5)}, // no recorded submission
	}
	inReview, toApproval := reviewDurations(decisions, steps)
	if fmt.Sprint(inReview) != "[24 6 10 10]" || fmt.Sprint(toApproval) != "[54 10]" {
		t.Errorf("in review %v (want [24 6 10 10]), to approval %v (want [54 10])", inReview, toApproval)
	}
}

func TestDashboard_Pending(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	var items []PendingReview
	for i := 0; i < 12; i++ {
		items = append(items, PendingReview{MeasureID: int64(i + 1), Since: now.Add(-time.Duration(i*10) * time.Hour)})
	}
	p := pendingReviews(items, now)
	if p.Count != 12 || len(p.Items) != dashboardTop || p.Items[0].MeasureID != 12 || *p.OldestHours != 110 {
		t.Errorf("pending %+v", p)
	}
	if p := pendingReviews(nil, now); p.Count != 0 || p.OldestHours != nil || p.Items == nil {
		t.Errorf("none pending: %+v", p)
	}
}

func TestDashboard_Policy(t *testing.T) {
	org := int64(1)
	for _, tc := range []struct {
		u    *User
		want bool
	}{
		{&User{ID: 1, Role: RoleMember, Status: StatusActive, OrganizationID: &org}, true},
		{&User{ID: 2, Role: RoleReviewer, Status: StatusActive}, true},
		{&User{ID: 3, Role: RoleModerator, Status: StatusActive}, true},
		{&User{ID: 4, Role: RoleAdmin, Status: StatusActive}, true},
		{&User{ID: 5, Role: RoleMember, Status: StatusSuspended, OrganizationID: &org}, false},
		{&User{ID: 6, Role: RoleAdmin, Status: StatusInvited}, false},
		{nil, false},
	} {
		if got := Can(tc.u, ActViewDashboard, nil); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.u, got, tc.want)
		}
	}
	// Staff share one audience; anyone else has their own.
	a := DashboardAudience(&User{ID: 3, Role: RoleModerator, Status: StatusActive, OrganizationID: &org})
	b := DashboardAudience(&User{ID: 4, Role: RoleAdmin, Status: StatusActive})
	c := DashboardAudience(&User{ID: 1, Role: RoleMember, Status: StatusActive, OrganizationID: &org})
	d := DashboardAudience(&User{ID: 7, Role: RoleMember, Status: StatusActive, OrganizationID: &org})
	if a != b || !a.All || c == d || c.OrgID != org {
		t.Errorf("audiences: %+v %+v %+v %+v", a, b, c, d)
	}
}
