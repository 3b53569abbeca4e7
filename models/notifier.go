package models

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Instances of Pacte on one PostgreSQL database tell each other what
// changed with NOTIFY. Every notification is a hint (a new event id, a
// co-editing version, a cursor, who is on a page): whoever hears it reads
// the truth from the database, so a notification lost while a listener
// reconnects costs a delay, never data. On SQLite there is one instance and
// nothing to tell.

// MaxNotifyPayload is PostgreSQL's limit on a NOTIFY payload, less a margin.
const MaxNotifyPayload = 7900

// notifySQL is the one way Pacte notifies, inside a transaction (sent at
// commit) or outside one.
const notifySQL = "SELECT pg_notify(?, ?)"

// ErrPayloadTooLarge refuses a notification PostgreSQL would refuse.
var ErrPayloadTooLarge = errors.New("notification payload too large")

// Notify sends a payload on a channel now (outside any transaction); a
// no-op on SQLite.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if s.Dialect != Postgres {
		return nil
	}
	if len(payload) > MaxNotifyPayload {
		return ErrPayloadTooLarge
	}
	return dbError(s.db.WithContext(ctx).Exec(notifySQL, channel, payload).Error)
}

// notify sends a payload on a channel when the transaction commits.
func (tx *Tx) notify(channel, payload string) error {
	if tx.store.Dialect != Postgres {
		return nil
	}
	return tx.Exec(notifySQL, channel, payload).Error
}

// Notifier keeps one PostgreSQL connection LISTENing on the channels
// registered with Listen, and hands each notification to its channel's
// handler. It reconnects with backoff; after every (re)connection each
// channel's onConnect runs, so its owner catches up on what was notified
// while nobody listened. Each channel's handlers run in order on the
// channel's own goroutine, so a slow one delays nobody else. A nil
// *Notifier (SQLite) does nothing.
type Notifier struct {
	dsn, name string
	log       *slog.Logger

	channels map[string]*listener // registered before Start, read only after
	started  bool

	pid        atomic.Int64 // backend of the LISTEN connection, 0 when down
	minBackoff atomic.Int64 // nanoseconds

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type listener struct {
	onNotify  func(payload string)
	onConnect func()
	queue     chan func()
}

const (
	notifierMaxBackoff = 5 * time.Second
	notifierQueue      = 1024 // notifications waiting for one channel's handler
)

// NewNotifier builds the notifier of one instance (name shows in
// pg_stat_activity); nil on SQLite.
func (s *Store) NewNotifier(name string, log *slog.Logger) *Notifier {
	if s.Dialect != Postgres {
		return nil
	}
	n := &Notifier{dsn: s.DSN, name: name, log: log, channels: map[string]*listener{}}
	n.minBackoff.Store(int64(100 * time.Millisecond))
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n
}

// Listen registers a channel, before Start.
func (n *Notifier) Listen(channel string, onNotify func(payload string), onConnect func()) {
	if n == nil {
		return
	}
	if n.started {
		panic("notifier: Listen after Start")
	}
	n.channels[channel] = &listener{onNotify: onNotify, onConnect: onConnect, queue: make(chan func(), notifierQueue)}
}

// Start connects and listens until Close.
func (n *Notifier) Start() {
	if n == nil {
		return
	}
	n.started = true
	for _, l := range n.channels {
		n.wg.Add(1)
		go func() {
			defer n.wg.Done()
			for {
				select {
				case fn := <-l.queue:
					fn()
				case <-n.ctx.Done():
					return
				}
			}
		}()
	}
	n.wg.Add(1)
	go n.run()
}

// Close stops listening and waits for the handlers to return.
func (n *Notifier) Close() {
	if n == nil {
		return
	}
	n.cancel()
	n.wg.Wait()
}

// PID is the PostgreSQL backend of the LISTEN connection (0 when down).
func (n *Notifier) PID() int64 {
	if n == nil {
		return 0
	}
	return n.pid.Load()
}

// SetMinBackoff changes the first reconnection delay (100 ms), for tests.
func (n *Notifier) SetMinBackoff(d time.Duration) {
	if n != nil {
		n.minBackoff.Store(int64(d))
	}
}

func (n *Notifier) run() {
	defer n.wg.Done()
	backoff := time.Duration(n.minBackoff.Load())
	for {
		connected, err := n.listenOnce()
		if n.ctx.Err() != nil {
			return
		}
		if connected {
			backoff = time.Duration(n.minBackoff.Load())
		}
		n.log.Warn("notifier: listener disconnected; reconnecting", "err", err.Error(), "in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-n.ctx.Done():
			t.Stop()
			return
		}
		backoff = min(backoff*2, notifierMaxBackoff)
	}
}

// listenOnce connects, listens until the connection fails, and reports
// whether it got as far as listening.
func (n *Notifier) listenOnce() (connected bool, err error) {
	cfg, err := pgx.ParseConfig(n.dsn)
	if err != nil {
		return false, err
	}
	cfg.RuntimeParams["application_name"] = n.name
	ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	cancel()
	if err != nil {
		return false, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn.Close(closeCtx)
		cancel()
		select {
		case <-conn.PgConn().CleanupDone():
		case <-time.After(2 * time.Second):
		}
		n.pid.Store(0)
	}()
	for ch := range n.channels {
		if _, err := conn.Exec(n.ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return false, err
		}
	}
	n.pid.Store(int64(conn.PgConn().PID()))
	for _, l := range n.channels {
		if l.onConnect != nil {
			n.enqueue(l, l.onConnect)
		}
	}
	for {
		msg, err := conn.WaitForNotification(n.ctx)
		if err != nil {
			return true, err
		}
		if l := n.channels[msg.Channel]; l != nil {
			payload := msg.Payload
			n.enqueue(l, func() { l.onNotify(payload) })
		}
	}
}

// enqueue hands work to a channel's goroutine. A channel that cannot keep
// up loses hints, and is told to catch up instead once it has room.
func (n *Notifier) enqueue(l *listener, fn func()) {
	select {
	case l.queue <- fn:
	default:
		n.log.Warn("notifier: a handler is behind; notifications dropped")
		if l.onConnect != nil {
			n.wg.Add(1) // never from zero: the caller runs under the group
			go func() {
				defer n.wg.Done()
				select {
				case l.queue <- l.onConnect:
				case <-n.ctx.Done():
				}
			}()
		}
	}
}
