package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pacte/models"
)

// The dashboard cache's rules, with a computation whose time and result
// the test decides.
type fakeFigures struct {
	calls atomic.Int64
	delay time.Duration
	event atomic.Int64 // the stamp a computation reads
	fail  atomic.Bool
}

func (f *fakeFigures) compute(ctx context.Context, u *models.User, _ models.DashboardFilter) (*models.Dashboard, error) {
	f.calls.Add(1)
	event := f.event.Load()
	time.Sleep(f.delay)
	if f.fail.Load() {
		return nil, errors.New("database down")
	}
	return &models.Dashboard{EventID: event, GeneratedAt: time.Now()}, nil
}

func newFakeCache(delay time.Duration) (*dashboardCache, *fakeFigures) {
	f := &fakeFigures{delay: delay}
	c := &dashboardCache{compute: f.compute, flights: map[dashboardKey]*dashboardFlight{},
		entries: newCache[dashboardKey, dashboardEntry](dashboardEntries, 0, nil), views: newCache[dashboardViewKey, string](dashboardViews, 0, nil)}
	return c, f
}

func TestDashboardCache(t *testing.T) {
	ctx := context.Background()
	org := int64(1)
	staff := &models.User{ID: 1, Role: models.RoleModerator, Status: models.StatusActive}
	admin := &models.User{ID: 2, Role: models.RoleAdmin, Status: models.StatusActive}
	member := &models.User{ID: 3, Role: models.RoleMember, Status: models.StatusActive, OrganizationID: &org}
	filter := models.DashboardFilter{From: "2026-01-05", To: "2026-03-29"}

	t.Run("OneComputationForMany", func(t *testing.T) {
		c, f := newFakeCache(50 * time.Millisecond)
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, _, err := c.figures(ctx, staff, filter, 0, -1); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		// Staff share one audience: the admin's figures are the same entry.
		if _, stale, _ := c.figures(ctx, admin, filter, 0, -1); stale || f.calls.Load() != 1 {
			t.Errorf("%d computations for ten readers and a second staff member, want 1", f.calls.Load())
		}
		c.figures(ctx, member, filter, 0, -1)
		if f.calls.Load() != 2 {
			t.Errorf("a member got the staff's figures (%d computations)", f.calls.Load())
		}
	})
	t.Run("StaleAfterAnEvent", func(t *testing.T) {
		c, f := newFakeCache(300 * time.Millisecond)
		first, _, _ := c.figures(ctx, staff, filter, 0, -1)
		// Inside the coalescing window the page keeps the figures, marked
		// stale, and nothing is computed.
		f.event.Store(5)
		d, stale, _ := c.figures(ctx, staff, filter, 5, dashboardWait)
		if d != first || !stale || f.calls.Load() != 1 {
			t.Fatalf("within %s of the last computation: stale %v, %d computations", dashboardCoalesce, stale, f.calls.Load())
		}
		// The API waits for current figures.
		d, stale, _ = c.figures(ctx, staff, filter, 5, -1)
		if stale || d.EventID != 5 || f.calls.Load() != 2 {
			t.Fatalf("API: event %d, stale %v, %d computations", d.EventID, stale, f.calls.Load())
		}
		// Past the window the page starts a computation and shows the older
		// figures if it takes longer than dashboardWait.
		c.entries.put(dashboardKey{models.DashboardAudience(staff), filter}, dashboardEntry{figures: d, at: time.Now().Add(-dashboardCoalesce)})
		f.event.Store(6)
		start := time.Now()
		got, stale, _ := c.figures(ctx, staff, filter, 6, dashboardWait)
		if got != d || !stale || time.Since(start) > dashboardWait+100*time.Millisecond {
			t.Errorf("slow computation: stale %v after %s", stale, time.Since(start))
		}
		if d, _, _ := c.figures(ctx, staff, filter, 6, -1); d.EventID != 6 {
			t.Errorf("the computation started by the page was lost: event %d", d.EventID)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		c, f := newFakeCache(0)
		f.fail.Store(true)
		if _, _, err := c.figures(ctx, member, filter, 0, dashboardWait); err == nil {
			t.Error("no figures and a failing database: no error")
		}
		f.fail.Store(false)
		d, _, _ := c.figures(ctx, member, filter, 0, -1)
		c.entries.put(dashboardKey{models.DashboardAudience(member), filter}, dashboardEntry{figures: d, at: time.Now().Add(-time.Hour)})
		f.fail.Store(true)
		if got, stale, err := c.figures(ctx, member, filter, 9, dashboardWait); err != nil || got != d || !stale {
			t.Errorf("a failing database with older figures: %v, stale %v", err, stale)
		}
		if _, _, err := c.figures(ctx, member, filter, 9, -1); err == nil {
			t.Error("the API got older figures from a failing database")
		}
	})
	t.Run("AgedButCurrent", func(t *testing.T) {
		c, f := newFakeCache(100 * time.Millisecond)
		d, _, _ := c.figures(ctx, staff, filter, 0, -1)
		c.entries.put(dashboardKey{models.DashboardAudience(staff), filter}, dashboardEntry{figures: d, at: time.Now().Add(-dashboardTTL)})
		// The page shows them at once and refreshes them behind.
		start := time.Now()
		if got, stale, _ := c.figures(ctx, staff, filter, 0, dashboardWait); got != d || stale || time.Since(start) > 50*time.Millisecond {
			t.Errorf("aged figures: stale %v after %s", stale, time.Since(start))
		}
		deadline := time.Now().Add(2 * time.Second)
		for f.calls.Load() < 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if f.calls.Load() != 2 {
			t.Error("aged figures were not refreshed")
		}
	})
}
