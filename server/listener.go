package server

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

const listenerMaxBackoff = 5 * time.Second

// runListener keeps one dedicated PostgreSQL connection LISTENing for the
// event ids every instance NOTIFYs at commit, and for presence
// announcements. A notification only wakes the feeder, which reads the log
// after the last id it published: so notifications lost while the
// connection was down cost nothing, as the feeder is woken again as soon as
// the listener is back and catches up from where it was.
func (h *Hub) runListener() {
	defer h.wg.Done()
	backoff := time.Duration(h.listenerMinBackoff.Load())
	for {
		connected, err := h.listenOnce()
		if h.ctx.Err() != nil {
			return
		}
		if connected {
			backoff = time.Duration(h.listenerMinBackoff.Load())
		}
		h.log.Warn("live: event listener disconnected; reconnecting", "err", err.Error(), "in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-h.ctx.Done():
			t.Stop()
			return
		}
		backoff = min(backoff*2, listenerMaxBackoff)
	}
}

// listenOnce connects, listens until the connection fails, and reports
// whether it got as far as listening.
func (h *Hub) listenOnce() (connected bool, err error) {
	cfg, err := pgx.ParseConfig(h.store.DSN)
	if err != nil {
		return false, err
	}
	cfg.RuntimeParams["application_name"] = "pacte-listener-" + h.instance
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
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
		h.listenerPID.Store(0)
	}()
	events, presenceCh := h.store.Channel, presenceChannel(h.store)
	for _, ch := range []string{events, presenceCh} {
		if _, err := conn.Exec(h.ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return false, err
		}
	}
	h.listenerPID.Store(int64(conn.PgConn().PID()))
	h.notify() // catch up on whatever committed while we were not listening
	h.presence.reannounce()
	for {
		n, err := conn.WaitForNotification(h.ctx)
		if err != nil {
			return true, err
		}
		switch n.Channel {
		case events:
			h.notify()
		case presenceCh:
			h.presence.receive(n.Payload)
		}
	}
}
