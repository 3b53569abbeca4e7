package models_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

func TestStore_BackupAndRestore(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t, models.SQLite)
	now := time.Now().UTC()
	u := &models.User{Email: "backup@example.ma", Name: "Backup", Role: models.RoleAdmin, Status: models.StatusActive, Locale: "fr", CreatedAt: now, UpdatedAt: now}
	if err := s.Write(ctx, func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "restore")
	if err := s.Backup(ctx, filepath.Join(dest, "pacte.db")); err != nil {
		t.Fatalf("backup: %v", err)
	}
	if err := s.Backup(ctx, filepath.Join(dest, "pacte.db")); err == nil {
		t.Fatal("a second backup over the same file must be refused")
	}
	// Restore: open the copy as a data directory.
	r, err := models.Open(ctx, models.Options{DataDir: dest})
	if err != nil {
		t.Fatalf("open restored copy: %v", err)
	}
	defer r.Close()
	var ok string
	if err := r.SQL().QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
	got, err := r.UserByID(ctx, u.ID)
	if err != nil || got.Email != u.Email {
		t.Fatalf("restored user: %+v %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dest, "pacte.db")); err != nil {
		t.Fatal(err)
	}
}
