package models

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the SQLite database to path while the
// platform keeps running (VACUUM INTO reads one snapshot). To restore, stop
// Pacte and put the file in place as <data dir>/pacte.db. PostgreSQL
// deployments use pg_dump instead.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.Dialect != SQLite {
		return fmt.Errorf("online backup here is for SQLite; for PostgreSQL use pg_dump")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("%s already exists; choose a new file", abs)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return err
	}
	return s.db.WithContext(ctx).Exec("VACUUM INTO ?", abs).Error
}
