package server

import (
	"strings"
	"testing"
	"time"

	"pacte/models"
)

// Dates are written in the reader's zone and language. Morocco moves from
// UTC+1 to UTC+0 for Ramadan: the embedded tz database knows.
func TestFormatLocalTime(t *testing.T) {
	casa, ok := models.LoadTimeZone(models.DefaultTimeZone)
	if !ok {
		t.Fatal("Africa/Casablanca is not in the embedded tz database")
	}
	tokyo, _ := models.LoadTimeZone("Asia/Tokyo")
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		t      time.Time
		loc    *time.Location
		locale string
		want   string
	}{
		{at("2026-02-10T12:00:00Z"), casa, "fr", "10 févr. 2026, 13:00"}, // UTC+1
		{at("2026-03-01T12:00:00Z"), casa, "fr", "1 mars 2026, 12:00"},   // Ramadan: UTC+0
		{at("2026-04-01T12:00:00Z"), casa, "en", "1 Apr 2026, 13:00"},
		{at("2026-12-31T23:30:00Z"), casa, "ar", "1 يناير 2027، 00:30"},
		{at("2026-08-05T09:05:00Z"), tokyo, "en", "5 Aug 2026, 18:05"},
		{at("2026-11-20T09:05:00Z"), tokyo, "ar", "20 نونبر 2026، 18:05"},
	} {
		if got := formatLocalTime(tc.t, tc.loc, tc.locale); got != tc.want {
			t.Errorf("%s in %s (%s) = %q, want %q", tc.t, tc.loc, tc.locale, got, tc.want)
		}
	}
}

// When wraps the local date in <time datetime> with the UTC instant.
func TestPageWhen(t *testing.T) {
	tokyo, _ := models.LoadTimeZone("Asia/Tokyo")
	p := &Page{Locale: "en", Zone: tokyo}
	ts := time.Date(2026, 8, 5, 9, 5, 0, 0, time.UTC)
	got := string(p.When(ts))
	want := `<time datetime="2026-08-05T09:05:00Z" title="2026-08-05 09:05 UTC">5 Aug 2026, 18:05</time>`
	if got != want {
		t.Errorf("When = %s, want %s", got, want)
	}
	if got := string(p.When((*time.Time)(nil))); got != "—" {
		t.Errorf("When(nil) = %q", got)
	}
	// Visitors (no user, no zone): Morocco's.
	anon := &Page{Locale: "fr"}
	if !strings.Contains(string(anon.When(ts)), ">5 août 2026, 10:05<") {
		t.Errorf("anonymous When = %s", anon.When(ts))
	}
}
