package server_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"gorm.io/gorm"

	"pacte/models"
	"pacte/server/servertest"
)

// dbFaults makes chosen queries fail as a database that stopped answering
// would: the next n queries of a table. (The read and write pools share
// their callbacks, so pool is only a label.)
type dbFaults struct {
	mu    sync.Mutex
	left  map[string]int // "read:measures" → queries still to fail
	fired map[string]int
}

func newDBFaults() *dbFaults { return &dbFaults{left: map[string]int{}, fired: map[string]int{}} }

func (f *dbFaults) fail(pool, table string, n int) {
	f.mu.Lock()
	f.left[pool+":"+table] = n
	f.mu.Unlock()
}

func (f *dbFaults) count(pool, table string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired[pool+":"+table]
}

func (f *dbFaults) hook(pool string) func(*gorm.DB) {
	return func(db *gorm.DB) {
		if db.Error != nil || db.Statement == nil || db.DryRun { // DryRun: a subquery being built
			return
		}
		key := pool + ":" + db.Statement.Table
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.left[key] > 0 {
			f.left[key]--
			f.fired[key]++
			db.AddError(errors.New("injected: connection reset by peer"))
		}
	}
}

// withDBFaults installs the faults on the store before the server starts.
func withDBFaults(f *dbFaults) servertest.Option {
	return servertest.WithStore(func(s *models.Store) {
		s.Read(context.Background()).Callback().Query().After("gorm:query").Register("test:faults", f.hook("db"))
	})
}

// TestWS_DatabaseErrors: a query that fails while delivering never moves
// delivery on. The feeder retries a failed access lookup and delivers the
// event; a catch-up whose read fails closes the socket with 1013 and the
// replay after reconnecting misses nothing (the events are comment
// edits, which notify nobody: a notifying event reads the measure in its
// own transaction, where the injected fault would fail the write); a push that fails on a
// database error is refused as stale (the client pulls and pushes again),
// not answered with an internal error.
func TestWS_DatabaseErrors(t *testing.T) {
	t.Parallel()
	faults := newDBFaults()
	app := servertest.New(t, models.SQLite, withDBFaults(faults))
	app.Server.LiveHub().SetEventPoll(0) // only the retry can deliver
	author := app.User(models.RoleMember, "apebi")
	reader := app.User(models.RoleMember, "ausim")
	m := app.Measure(t, author, servertest.MeasureSpec{Visibility: models.VisibilityPlatform, Status: models.StatusDraft, Quiet: true})
	topic := models.MeasureTopic(m)
	rc := app.Login(reader)

	t.Run("FeederRetriesAccessLookup", func(t *testing.T) {
		w := dialWS(t, app, rc)
		w.subscribeLive(topic)
		faults.fail("db", "measures", 2)
		ev := emit(t, app.Store, topic, "comment.updated", author, m, map[string]any{"n": 1})
		next := emit(t, app.Store, topic, "comment.updated", author, m, map[string]any{"n": 2})
		got := w.events(topic, 2)
		if got[0].ID != ev.ID || got[1].ID != next.ID {
			t.Fatalf("got %v, want [%d %d]", ids(got), ev.ID, next.ID)
		}
		if n := faults.count("db", "measures"); n != 2 {
			t.Fatalf("%d lookups failed, want 2", n)
		}
	})

	t.Run("CatchUpClosesAndReplays", func(t *testing.T) {
		before := emit(t, app.Store, topic, "comment.updated", author, m, map[string]any{"n": "before"}).ID
		var want []int64
		for i := 0; i < 3; i++ {
			want = append(want, emit(t, app.Store, topic, "comment.updated", author, m, map[string]any{"n": i}).ID)
		}
		// The search index follows the log too: let it read these events
		// first, so that the one failing read is the replay's.
		if err := app.Server.SearchCaughtUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		w := dialWS(t, app, rc)
		faults.fail("db", "events", 1)
		w.subscribe(topic, before)
		waitUntil(t, "the replay's read to fail", func() bool { return faults.count("db", "events") == 1 })
		if code := w.closed(10 * time.Second); code != websocket.CloseTryAgainLater {
			t.Fatalf("close code %d, want 1013 (%d reads of events failed)", code, faults.count("db", "events"))
		}
		w = dialWS(t, app, rc)
		w.subscribe(topic, before)
		if got := w.events(topic, 3); fmtIDs(ids(got)) != fmtIDs(want) {
			t.Fatalf("replay %v, want %v", ids(got), want)
		}
	})

	t.Run("PushRefusedAsStale", func(t *testing.T) {
		_, token := coToken(t, app, author)
		id := app.Measure(t, author, servertest.MeasureSpec{Body: "Un texte.", Pillar: "enablers", Axis: "cloud_computing"})
		c := coDial(t, app.URL, token)
		v := c.join(id).version()
		faults.fail("db", "measure_editors", 1)
		c.push(id, v, coEdit("c1", "Un texte.", "Un texte court."))
		rej := c.expect("collab.rejected")
		if rej.Reason != models.CollabStale {
			t.Fatalf("rejected: %s", rej.Raw)
		}
		// Pushing again succeeds.
		c.push(id, v, coEdit("c1", "Un texte.", "Un texte court."))
		if ack := c.expect("collab.ack"); ack.version() != v+1 {
			t.Fatalf("ack: %s", ack.Raw)
		}
	})
}
