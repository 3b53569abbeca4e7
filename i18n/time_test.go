package i18n_test

import (
	"testing"
	"time"

	"pacte/i18n"
	"pacte/models"
)

// Dates are written in the reader's zone and language. Morocco moves from
// UTC+1 to UTC+0 for Ramadan: the embedded tz database knows.
func TestFormatTime(t *testing.T) {
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
		if got := i18n.FormatTime(tc.t, tc.loc, tc.locale); got != tc.want {
			t.Errorf("%s in %s (%s) = %q, want %q", tc.t, tc.loc, tc.locale, got, tc.want)
		}
	}
}
