package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// TestRetention_JobPrunesMailAndCounts: the retention job runs at start,
// and each run deletes the .eml files (and crash leftovers) older than
// their period, by modification time, in the mail folder only, and counts
// what it removed in /metrics.
func TestRetention_JobPrunesMailAndCounts(t *testing.T) {
	dir := t.TempDir()
	app := servertest.New(t, models.SQLite, servertest.WithConfig(func(c *server.Config) {
		c.MailDir = dir
		c.Jobs.RetainMail = 30 * 24 * time.Hour
	}))
	waitUntil(t, "the retention job run at start", func() bool { return strings.Contains(app.Logs.String(), "msg=retention ") })

	now := app.Clock.Now()
	write := func(name string, age time.Duration) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("Subject: x\r\n\r\nx"), 0o600); err != nil {
			t.Fatal(err)
		}
		at := now.Add(-age)
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const day = 24 * time.Hour
	old := write("20250101-000000-a.eml", 30*day+time.Minute)
	leftover := write("20250101-000000-b.eml.tmp", 31*day)
	young := write("20250101-000000-c.eml", 30*day-time.Minute)
	other := write("notes.txt", 365*day)
	nested := write(filepath.Join("sub", "d.eml"), 365*day)

	if _, err := app.Server.Jobs().RunRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{old, leftover} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is older than 30 days and still there", filepath.Base(p))
		}
	}
	for _, p := range []string{young, other, nested} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s should have been left alone: %v", p, err)
		}
	}
	r := script(app).Request("GET", "/metrics", nil)
	wantStatus(t, r, 200)
	body := string(r.Body)
	for _, want := range []string{`pacte_retention_removed_total{kind="mail_files"} 2`, `pacte_retention_removed_total{kind="sessions"} 0`,
		`pacte_retention_removed_total{kind="collab_updates"} 0`, `pacte_retention_removed_total{kind="notifications"} 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
