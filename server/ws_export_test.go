package server

import (
	"encoding/json"
	"sync"
	"time"
)

// Test hooks into the live side, for the server_test package.

// WSReadLimit is the largest client message accepted.
const WSReadLimit = wsReadLimit

// WSMaxCatchUp is how many missed events a subscription may replay.
const WSMaxCatchUp = wsMaxCatchUp

// LiveHub gives the server's hub.
func (s *Server) LiveHub() *Hub { return s.hub }

// ListenerPID is the PostgreSQL backend pid of the event listener (0 when
// not connected).
func (h *Hub) ListenerPID() int64 { return h.srv.notifier.PID() }

// SetListenerBackoff sets the first reconnection delay of the listener.
func (h *Hub) SetListenerBackoff(d time.Duration) { h.srv.notifier.SetMinBackoff(d) }

// SetSessionCheck changes how often open sockets' sessions are checked.
func (h *Hub) SetSessionCheck(d time.Duration) { h.sessionCheckEvery.Store(int64(d)) }

// SetEventPoll sets the feeder's safety poll (0 turns it off), so that a
// test proves delivery by notification alone.
func (h *Hub) SetEventPoll(d time.Duration) {
	h.pollEvery.Store(int64(d))
	h.notify()
}

// LastPublished is the id of the last event published.
func (h *Hub) LastPublished() int64 { return h.lastID.Load() }

// Connections counts the open connections.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Dropped counts the connections dropped for being too slow.
func (s *Server) Dropped() uint64 { return s.metrics.WSDropped.Load() }

// AddEchoHandler adds a message type only the tests speak, before any
// connection opens: the handler answers from several
// goroutines at once, as a feature's background work may, so that tests
// can prove every write still goes through the connection's one writer.
func (s *Server) AddEchoHandler() {
	s.hub.handlers["test.echo"] = func(conn WSConn, raw json.RawMessage) error {
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				conn.Send(map[string]any{"type": "test.echo", "n": i})
			}(i)
		}
		wg.Wait()
		return nil
	}
}

// WSCapFor exposes the websocket total derived from a descriptor limit.
func WSCapFor(fdLimit uint64) int { return wsCapFor(fdLimit) }
