package server

import (
	"net/http"

	"pacte/models"
)

// Websocket limits: each socket holds a file descriptor for its whole life,
// so one account opening thousands of them could leave none for anyone
// else, /healthz and sign-in included.
const (
	wsDefaultPerUser = 32
	// wsFDReserveMin and wsFDReserveMax bound the descriptors kept for
	// everything but websockets (HTTP requests, database connections, the
	// SQLite files, the mail spool): a quarter of the limit within them.
	wsFDReserveMin = 128
	wsFDReserveMax = 4096
	wsMinTotal     = 16
)

// wsCapFor derives the instance's websocket cap from the process's
// descriptor limit, keeping a reserve for everything else.
func wsCapFor(fdLimit uint64) int {
	if fdLimit == 0 {
		return 10000 // unknown limit (not Unix): a cap all the same
	}
	reserve := min(max(fdLimit/4, wsFDReserveMin), wsFDReserveMax)
	if fdLimit <= reserve+wsMinTotal {
		return wsMinTotal
	}
	return int(min(fdLimit-reserve, 1<<30))
}

// wsLimits is what the hub counts against: guarded by hub.mu.
type wsLimits struct {
	perUser  int
	total    int
	open     int
	openedBy map[int64]int // account → websockets open (or being opened)
}

func newWSLimits(cfg Config) wsLimits {
	l := wsLimits{perUser: cfg.WSPerUser, total: cfg.WSMax, openedBy: map[int64]int{}}
	if l.perUser <= 0 {
		l.perUser = wsDefaultPerUser
	}
	if l.total <= 0 {
		l.total = wsCapFor(fileLimit())
	}
	return l
}

// reserveSlot takes a websocket slot for an account before upgrading, so
// that a refusal is still an HTTP answer (429). Every reserved slot is
// given back by releaseSlot, once.
func (h *Hub) reserveSlot(userID int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	l := &h.limits
	switch {
	case h.closed:
		return models.CodedError(models.EUnavailable, "unavailable", "Live updates are not available.")
	case l.openedBy[userID] >= l.perUser:
		return models.CodedError(models.ETooMany, "too_many_connections",
			"Too many live connections for this account; close some tabs and try again.")
	case l.open >= l.total:
		return models.CodedError(models.ETooMany, "server_busy", "The server has too many live connections; try again in a moment.")
	}
	l.open++
	l.openedBy[userID]++
	return nil
}

// releaseSlot gives an account's slot back.
func (h *Hub) releaseSlot(userID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.releaseSlotLocked(userID)
}

func (h *Hub) releaseSlotLocked(userID int64) {
	l := &h.limits
	l.open--
	if n := l.openedBy[userID] - 1; n > 0 {
		l.openedBy[userID] = n
	} else {
		delete(l.openedBy, userID)
	}
}

// wsRetryAfter is the Retry-After of a refused upgrade, in seconds.
func wsRetryAfter(w http.ResponseWriter) { w.Header().Set("Retry-After", "5") }
