package jobs

import (
	"testing"
	"time"
)

// The daily verification comes at the same time of day whenever the
// instance started, and never twice at once.
func TestDailyAt_Next(t *testing.T) {
	d := dailyAt{3 * time.Hour}
	casablanca, _ := time.LoadLocation("Africa/Casablanca")
	for _, tc := range []struct{ now, want time.Time }{
		{time.Date(2026, 12, 6, 1, 59, 0, 0, time.UTC), time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)},
		{time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC), time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)},
		{time.Date(2026, 12, 6, 23, 59, 59, 0, time.UTC), time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)},
		{time.Date(2026, 12, 31, 5, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 3, 0, 0, 0, time.UTC)},
		{time.Date(2026, 12, 6, 3, 30, 0, 0, casablanca), time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)}, // 02:30 UTC
	} {
		if got := d.Next(tc.now); !got.Equal(tc.want) {
			t.Errorf("Next(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}
