package models_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

// TestNotifier_HearsAndReconnects: one LISTEN connection serves several
// channels, each with its own handler; when PostgreSQL drops it, it comes
// back, tells every channel to catch up, and hears again. On SQLite there
// is nothing to hear and nothing runs.
func TestNotifier_HearsAndReconnects(t *testing.T) {
	if n := storetest.Open(t, models.SQLite).NewNotifier("x", slog.Default()); n != nil {
		t.Fatal("a notifier on SQLite")
	}
	store := storetest.Open(t, models.Postgres)
	ctx := context.Background()
	n := store.NewNotifier("pacte-notifier-test", slog.Default())
	n.SetMinBackoff(10 * time.Millisecond)
	got := map[string]chan string{"a": make(chan string, 10), "b": make(chan string, 10)}
	connects := map[string]chan struct{}{"a": make(chan struct{}, 10), "b": make(chan struct{}, 10)}
	for _, name := range []string{"a", "b"} {
		n.Listen(store.Channel+"_"+name, func(p string) { got[name] <- p }, func() { connects[name] <- struct{}{} })
	}
	n.Start()
	defer n.Close()
	waitFor := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s", what)
		}
	}
	hear := func(name, want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			if err := store.Notify(ctx, store.Channel+"_"+name, want); err != nil {
				t.Fatal(err)
			}
			select {
			case p := <-got[name]:
				if p != want {
					t.Fatalf("channel %s heard %q, want %q", name, p, want)
				}
				return
			case <-time.After(200 * time.Millisecond):
			case <-deadline:
				t.Fatalf("channel %s heard nothing", name)
			}
		}
	}
	waitFor("first connection (a)", connects["a"])
	waitFor("first connection (b)", connects["b"])
	hear("a", "1")
	hear("b", "2")

	pid := n.PID()
	if pid == 0 {
		t.Fatal("no listener backend while listening")
	}
	if _, err := store.SQL().Exec("SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	waitFor("catch-up after the reconnection (a)", connects["a"])
	waitFor("catch-up after the reconnection (b)", connects["b"])
	if p := n.PID(); p == pid || p == 0 {
		t.Errorf("listener backend %d after reconnecting (was %d)", p, pid)
	}
	hear("a", "3")
	hear("b", "4")

	if err := store.Notify(ctx, store.Channel+"_a", string(make([]byte, models.MaxNotifyPayload+1))); err != models.ErrPayloadTooLarge {
		t.Errorf("an oversized payload: %v", err)
	}
}
