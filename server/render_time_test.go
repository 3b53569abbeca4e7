package server

import (
	"strings"
	"testing"
	"time"

	"pacte/models"
)

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
