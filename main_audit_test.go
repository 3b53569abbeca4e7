package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pacte/models"
	"pacte/models/storetest"
)

// pacte audit verify: 0 on an empty and on an intact log, 1 naming the
// first bad event for a changed, a deleted and an inserted row, 2 when the
// database cannot be read; on both engines.
func TestRun_AuditVerify(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			opts := storetest.Options(t, engine)
			flags := []string{"--data-dir", opts.DataDir}
			if engine == models.Postgres {
				flags = []string{"--database-url", opts.DatabaseURL}
			}
			verify := func(wantCode int, want string) string {
				t.Helper()
				var out, errOut bytes.Buffer
				code := auditCommand(ctx, append([]string{"verify"}, flags...), &out, &errOut)
				if code != wantCode || !strings.Contains(out.String(), want) {
					t.Fatalf("pacte audit verify: exit %d, want %d; stdout %q (want %q); stderr %q", code, wantCode, out.String(), want, errOut.String())
				}
				return out.String()
			}
			verify(0, "no events yet")

			s, err := models.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var ids []int64
			for i := 0; i < 12; i++ {
				err := s.Write(ctx, func(tx *models.Tx) error {
					ev, err := tx.Emit(models.MeasureTopic(1), "measure.updated", nil, 1, 0, map[string]any{"title": fmt.Sprintf("Titre %d", i)})
					ids = append(ids, ev.ID)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			sql := func(q string, args ...any) {
				t.Helper()
				if err := s.Write(ctx, func(tx *models.Tx) error { return tx.Exec(q, args...).Error }); err != nil {
					t.Fatal(err)
				}
			}
			verify(0, fmt.Sprintf("audit chain intact: 12 events, head event %d", ids[11]))

			// One byte of a row changed.
			sql("UPDATE events SET payload = REPLACE(payload, 'Titre 4', 'Titre 5') WHERE id = ?", ids[4])
			verify(1, fmt.Sprintf("event %d: ", ids[4]))
			sql("UPDATE events SET payload = REPLACE(payload, 'Titre 5', 'Titre 4') WHERE id = ?", ids[4])
			verify(0, "intact")

			// A row inserted between two others (in the gap a deleted one
			// left, with another content): named.
			var row models.Event
			if err := s.Read(ctx).Where("id = ?", ids[6]).First(&row).Error; err != nil {
				t.Fatal(err)
			}
			sql("DELETE FROM events WHERE id = ?", ids[6])
			verify(1, fmt.Sprintf("event %d: ", ids[7])) // deleted: the next one is named
			sql("INSERT INTO events (id, topic, type, payload, created_at, hash) VALUES (?, ?, ?, ?, ?, ?)",
				row.ID, row.Topic, "measure.published", row.Payload, row.CreatedAt, row.Hash)
			verify(1, fmt.Sprintf("event %d: ", ids[6]))
		})
	}
	var out, errOut bytes.Buffer
	if code := auditCommand(context.Background(), nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "usage") {
		t.Errorf("pacte audit: exit %d, %q", code, errOut.String())
	}
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := auditCommand(context.Background(), []string{"verify", "--data-dir", notDir}, &out, &errOut); code != 2 {
		t.Errorf("pacte audit verify on an unreadable database: exit %d, want 2", code)
	}
	if code := run([]string{"audit", "verify", "--data-dir", t.TempDir()}); code != 0 {
		t.Errorf("pacte audit verify through run: exit %d", code)
	}
}
