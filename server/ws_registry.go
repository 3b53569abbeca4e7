package server

import (
	"context"
	"encoding/json"

	"pacte/models"
)

// WSConn is what a feature's message handler sees of one websocket
// connection. The hub implements it; features never touch the socket.
type WSConn interface {
	// ID is unique per connection within this instance.
	ID() uint64
	// User is the person behind the connection, as authenticated at upgrade
	// (re-checked by the hub when accounts change).
	User() *models.User
	// Send queues a message (marshalled to JSON) for the writer goroutine.
	// It never blocks: when the queue is full the connection is dropped and
	// Send reports false.
	Send(msg any) bool
	// Context is done when the connection closes.
	Context() context.Context
}

// wsHandler answers one client message type. A returned *models.Error is
// sent back to the client as {"type":"error"}; the connection stays open.
type wsHandler func(conn WSConn, raw json.RawMessage) error

// messageHandlers routes the client message types owned by features to
// their handlers; the hub handles subscribe, unsubscribe and presence
// itself. The list is the whole websocket surface beyond those three.
func (h *Hub) messageHandlers() map[string]wsHandler {
	return map[string]wsHandler{
		"collab.join":   h.collab.handleJoin,
		"collab.push":   h.collab.handlePush,
		"collab.pull":   h.collab.handlePull,
		"collab.leave":  h.collab.handleLeave,
		"collab.cursor": h.collab.handleCursor,
	}
}
