package server

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"pacte/models"
)

// Across instances (PostgreSQL), co-editing rides its own NOTIFY channel
// (Store.CollabChannel), apart from the event log's, heard through the
// server's one notifier (models.Notifier):
//
//	u:<measure>:<version>        a push committed; read the log up to version
//	c:<instance>:<cursor JSON>   an editor's cursor moved (or left), not stored
//
// A version notification is only a hint: rooms read what they missed from
// collab_updates, so a lost notification (a listener reconnecting) costs a
// delay, never an update; after each reconnection every room checks the
// database's version.

// refreshAll catches every room up with the database.
func (c *collabService) refreshAll() {
	for _, r := range c.roomList() {
		c.refresh(r)
	}
}

// roomList snapshots the open rooms, so that they are visited without the
// service's lock.
func (c *collabService) roomList() []*collabRoom {
	c.mu.Lock()
	defer c.mu.Unlock()
	rooms := make([]*collabRoom, 0, len(c.rooms))
	for _, r := range c.rooms {
		rooms = append(rooms, r)
	}
	return rooms
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
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	if err := c.store.Notify(ctx, ch, "c:"+c.instance+":"+string(b)); err != nil && err != models.ErrPayloadTooLarge && c.ctx.Err() == nil {
		c.log.Warn("collab: cannot share a cursor with other instances", "err", err.Error())
	}
}
