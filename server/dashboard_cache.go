package server

import (
	"context"
	"sync"
	"time"

	"pacte/models"
)

// The dashboard's figures are costly (a few scans of measures, revisions
// and comments) and read often, so they are kept, per audience and filter,
// in a bounded LRU held by the server.
//
// The key is who sees the same figures (models.DashboardAudience: one
// entry for all staff, one per member or reviewer) and the filter. An
// entry is fresh while no event about a measure was written after the one
// its computation started from (Dashboard.EventID, Store.MeasureEventStamp:
// every change the figures count writes one); after dashboardTTL it is
// computed again, in the background, for the waiting times of pending
// reviews.
//
// One computation per key runs at a time, whoever asks (a flight); the
// others wait for it. A reader who can wait (the page) and finds an older
// entry gets that entry after dashboardWait rather than wait for the whole
// computation; the page says it is updating and its script asks again.
// For the page, an entry also stays in use for dashboardCoalesce after it
// was computed, whatever happens meanwhile: on a busy platform (a comment
// every second) each key is computed again at most that often, rather
// than after every event. The API and the CSV files always wait for
// current figures.

const (
	dashboardEntries = 128
	// dashboardTTL bounds how long the waiting times of pending reviews
	// age in an entry (they are shown to a tenth of an hour).
	dashboardTTL = 5 * time.Minute
	// dashboardWait is how long the page waits for a computation when it
	// could show older figures instead.
	dashboardWait = 40 * time.Millisecond
	// dashboardCoalesce is how long the page keeps showing figures before
	// the events since ask for new ones.
	dashboardCoalesce = 3 * time.Second
	// dashboardTimeout bounds one computation, which may outlive the
	// request that started it (others wait for it too).
	dashboardTimeout = 30 * time.Second
	// dashboardViews bounds the rendered figures kept (pages_dashboard.go).
	dashboardViews = 64
)

type dashboardKey struct {
	audience models.MeasureScope
	filter   models.DashboardFilter
}

type dashboardEntry struct {
	figures *models.Dashboard
	at      time.Time
}

// dashboardFlight is one computation under way; done is closed when it
// ends, after figures and err are set.
type dashboardFlight struct {
	done    chan struct{}
	figures *models.Dashboard
	err     error
}

// dashboardCache holds the computed figures and the computations under way.
type dashboardCache struct {
	// compute is Store.Dashboard (tests of the cache time it).
	compute func(ctx context.Context, u *models.User, f models.DashboardFilter) (*models.Dashboard, error)
	entries *cache[dashboardKey, dashboardEntry]
	// views are rendered figures, per figures and language (pages_dashboard.go).
	views *cache[dashboardViewKey, string]

	mu      sync.Mutex
	flights map[dashboardKey]*dashboardFlight
}

func newDashboardCache(store *models.Store) *dashboardCache {
	return &dashboardCache{compute: store.Dashboard, flights: map[dashboardKey]*dashboardFlight{},
		entries: newCache[dashboardKey, dashboardEntry](dashboardEntries, 0, nil),
		views:   newCache[dashboardViewKey, string](dashboardViews, 0, nil)}
}

// figures gives the viewer's figures for the filter, current as of event
// (the Store.MeasureEventStamp the caller read). wait < 0 waits for them; wait >= 0
// accepts, after that long, an older entry if there is one, and then
// stale is true.
func (c *dashboardCache) figures(ctx context.Context, u *models.User, f models.DashboardFilter, event int64, wait time.Duration) (d *models.Dashboard, stale bool, err error) {
	key := dashboardKey{audience: models.DashboardAudience(u), filter: f}
	var timeout <-chan time.Time
	for {
		e, ok := c.entries.get(key)
		current := ok && e.figures.EventID >= event
		switch age := time.Since(e.at); {
		case current && age < dashboardTTL:
			return e.figures, false, nil
		case current && wait >= 0:
			// Only the waiting times have aged: show these, refresh them
			// for the next reader.
			c.flight(ctx, key, u)
			return e.figures, false, nil
		case ok && wait >= 0 && age < dashboardCoalesce:
			return e.figures, true, nil
		}
		fl := c.flight(ctx, key, u)
		if ok && wait >= 0 && timeout == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-fl.done:
			switch {
			case fl.err != nil && ok && wait >= 0:
				return e.figures, true, nil
			case fl.err != nil:
				return nil, false, fl.err
			case fl.figures.EventID >= event:
				return fl.figures, false, nil
			}
			// That computation started before the event asked for: the
			// next one starts after it.
		case <-timeout:
			return e.figures, true, nil
		case <-ctx.Done():
			return nil, false, ctx.Err()
		}
	}
}

// flight gives the computation under way for key, starting one if none is.
// It runs apart from the request (others may wait for it), bounded by
// dashboardTimeout.
func (c *dashboardCache) flight(ctx context.Context, key dashboardKey, u *models.User) *dashboardFlight {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fl := c.flights[key]; fl != nil {
		return fl
	}
	fl := &dashboardFlight{done: make(chan struct{})}
	c.flights[key] = fl
	go func() {
		run, cancel := context.WithTimeout(context.WithoutCancel(ctx), dashboardTimeout)
		defer cancel()
		fl.figures, fl.err = c.compute(run, u, key.filter)
		if fl.err == nil {
			c.entries.put(key, dashboardEntry{figures: fl.figures, at: time.Now()})
		}
		c.mu.Lock()
		delete(c.flights, key)
		c.mu.Unlock()
		close(fl.done)
	}()
	return fl
}
