package server

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Across instances (PostgreSQL), co-editing rides its own NOTIFY channel
// (Store.CollabChannel), apart from the event log's:
//
//	u:<measure>:<version>        a push committed; read the log up to version
//	c:<instance>:<cursor JSON>   an editor's cursor moved (or left), not stored
//
// A version notification is only a hint: rooms read what they missed from
// collab_updates, so a lost notification (a listener reconnecting) costs a
// delay, never an update; after each reconnection every room checks the
// database's version.

// maxNotifyPayload is PostgreSQL's limit on a NOTIFY payload, less a margin.
const maxNotifyPayload = 7900

// listen keeps a LISTEN connection open until the service closes,
// reconnecting with backoff.
func (c *collabService) listen() {
	backoff := 100 * time.Millisecond
	for c.ctx.Err() == nil {
		start := time.Now()
		err := c.listenOnce()
		if c.ctx.Err() != nil {
			return
		}
		if time.Since(start) > 10*time.Second {
			backoff = 100 * time.Millisecond
		}
		c.log.Warn("collab: listener lost its connection; reconnecting", "err", errString(err), "backoff", backoff.String())
		select {
		case <-time.After(backoff):
		case <-c.ctx.Done():
			return
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (c *collabService) listenOnce() error {
	conn, err := pgx.Connect(c.ctx, c.store.DSN)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(ctx)
		cancel()
	}()
	if _, err := conn.Exec(c.ctx, "LISTEN "+pgx.Identifier{c.store.CollabChannel()}.Sanitize()); err != nil {
		return err
	}
	c.listenerPID.Store(conn.PgConn().PID())
	defer c.listenerPID.Store(0)
	// Whatever was notified while we were not listening is in the log.
	c.refreshAll()
	for {
		n, err := conn.WaitForNotification(c.ctx)
		if err != nil {
			return err
		}
		c.onNotify(n.Payload)
	}
}

// refreshAll catches every room up with the database.
func (c *collabService) refreshAll() {
	c.mu.Lock()
	rooms := make([]*collabRoom, 0, len(c.rooms))
	for _, r := range c.rooms {
		rooms = append(rooms, r)
	}
	c.mu.Unlock()
	for _, r := range rooms {
		c.refresh(r)
	}
}

// onNotify handles one notification from any instance, this one included.
func (c *collabService) onNotify(payload string) {
	kind, rest, ok := strings.Cut(payload, ":")
	if !ok {
		return
	}
	switch kind {
	case "u":
		m, v, ok := strings.Cut(rest, ":")
		if !ok {
			return
		}
		measure, err1 := strconv.ParseInt(m, 10, 64)
		version, err2 := strconv.ParseInt(v, 10, 64)
		if err1 != nil || err2 != nil {
			return
		}
		if room := c.room(measure); room != nil {
			room.catchUp(version)
		}
		// Every instance that hears of an editing burst saves it when it
		// ends (the first one to get there does; the others find nothing
		// new), so an instance that stops mid-burst loses no revision.
		c.scheduleFold(measure, 0)
	case "c":
		from, body, ok := strings.Cut(rest, ":")
		if !ok || from == c.instance {
			return
		}
		var msg collabCursorMsg
		if err := json.Unmarshal([]byte(body), &msg); err != nil || msg.Type != "collab.cursor" {
			return
		}
		if room := c.room(msg.Measure); room != nil {
			room.broadcastExcept(0, msg)
		}
	}
}

// notifyCursor tells the other instances about a cursor; on SQLite there
// are none.
func (c *collabService) notifyCursor(msg collabCursorMsg) {
	ch := c.store.CollabChannel()
	if ch == "" {
		return
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	payload := "c:" + c.instance + ":" + string(b)
	if len(payload) > maxNotifyPayload {
		return
	}
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	if _, err := c.store.SQL().ExecContext(ctx, "SELECT pg_notify($1, $2)", ch, payload); err != nil && c.ctx.Err() == nil {
		c.log.Warn("collab: cannot share a cursor with other instances", "err", err.Error())
	}
}
