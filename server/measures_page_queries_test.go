package server_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"pacte/models"
	"pacte/server/servertest"
)

// TestMeasuresPage_Queries counts the SQL statements a second view of the
// measure page runs (the viewer-independent part comes from the cache), and
// checks that an edit is shown at once.
func TestMeasuresPage_Queries(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	app := servertest.New(t, models.SQLite, servertest.WithStore(func(s *models.Store) {
		db := s.Read(context.Background())
		db.Callback().Query().After("gorm:query").Register("test:count_query", count)
		db.Callback().Row().After("gorm:row").Register("test:count_row", count)
		db.Callback().Raw().After("gorm:raw").Register("test:count_raw", count)
	}))
	author := app.User(models.RoleMember, "apebi")
	ac := app.Login(author)
	m := msCreate(t, ac, "Compter les requêtes de la page")
	path := fmt.Sprintf("/measures/%d", m.ID)
	msWantPage(t, msHTML(ac, path), 200, m.Title)
	n.Store(0)
	msWantPage(t, msHTML(ac, path), 200, m.Title)
	t.Logf("measure page: %d read queries", n.Load())
	if got := n.Load(); got > 8 {
		t.Errorf("measure page ran %d read queries, want at most 8", got)
	}
	title := "Un titre changé"
	if st := ac.Do("PATCH", "/api/v1"+path, map[string]any{"title": title, "revision": m.Revision}, nil); st != 200 {
		t.Fatalf("patch: %d", st)
	}
	msWantPage(t, msHTML(ac, path), 200, title)
}
