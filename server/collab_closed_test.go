package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"pacte/models"
)

// fakeConn is a WSConn for calling collab handlers directly.
type fakeConn struct {
	ctx  context.Context
	user *models.User
	sent []any
}

func (f *fakeConn) ID() uint64               { return 1 }
func (f *fakeConn) User() *models.User       { return f.user }
func (f *fakeConn) Send(msg any) bool        { f.sent = append(f.sent, msg); return true }
func (f *fakeConn) Context() context.Context { return f.ctx }

// TestCollab_MessageAfterClose: a collab.* message handled after the
// server closed finds co-editing stopped and is answered "unavailable"; it
// does not start the co-editing side again (whose goroutines nobody would
// ever stop).
func TestCollab_MessageAfterClose(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := models.Open(context.Background(), models.Options{DataDir: t.TempDir(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s, err := New(Config{Logger: log, Console: io.Discard}, store)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), StartOptions{}); err != nil {
		t.Fatal(err)
	}
	before := s.hub.collab
	s.Close()
	conn := &fakeConn{ctx: context.Background(), user: &models.User{ID: 1, Role: models.RoleMember, Status: models.StatusActive}}
	for typ, h := range s.hub.messageHandlers() {
		raw, _ := json.Marshal(map[string]any{"type": typ, "measure": 1, "version": 0, "clientID": "c", "anchor": 0, "updates": []any{}})
		err := h(conn, raw)
		if e, ok := err.(*models.Error); !ok || e.Code != "unavailable" {
			t.Errorf("%s after Close: %v, want unavailable", typ, err)
		}
	}
	if after := s.hub.collab; after != before || !after.isClosed() {
		t.Fatal("co-editing was started again after Close")
	}
	before.life.Lock()
	dead := before.dead
	before.life.Unlock()
	if !dead || before.spawn(func() {}) {
		t.Fatal("the closed co-editing side still starts goroutines")
	}
}
