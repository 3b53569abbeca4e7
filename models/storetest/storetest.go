// Package storetest opens a fresh, private store for each test: a SQLite
// file in the test's temp dir, or a PostgreSQL schema of its own, so tests
// can run in parallel.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"pacte/models"
)

// PostgresURL is where PostgreSQL tests connect: PACTE_TEST_POSTGRES, or the
// local server CI runs.
func PostgresURL() string {
	if u := os.Getenv("PACTE_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

var pgChecked atomic.Int32 // 0 unknown, 1 reachable, 2 not

// PostgresReachable reports whether the test PostgreSQL answers.
func PostgresReachable() bool {
	switch pgChecked.Load() {
	case 1:
		return true
	case 2:
		return false
	}
	db, err := sql.Open("pgx", PostgresURL())
	ok := err == nil
	if ok {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		ok = db.PingContext(ctx) == nil
		cancel()
		db.Close()
	}
	if ok {
		pgChecked.Store(1)
	} else {
		pgChecked.Store(2)
	}
	return ok
}

// Engines lists the engines to run a suite on: SQLite always, PostgreSQL
// when reachable (CI requires it: PACTE_REQUIRE_POSTGRES=1 turns a missing
// server into a failure instead of a skip).
func Engines(t testing.TB) []string {
	out := []string{models.SQLite}
	if PostgresReachable() {
		out = append(out, models.Postgres)
	} else if os.Getenv("PACTE_REQUIRE_POSTGRES") == "1" {
		t.Fatalf("PostgreSQL is required (PACTE_REQUIRE_POSTGRES=1) but %s does not answer", PostgresURL())
	} else {
		t.Logf("PostgreSQL not reachable at %s: PostgreSQL variant skipped", PostgresURL())
	}
	return out
}

var schemaSeq atomic.Int64

// NewPostgresSchema creates an empty schema for one test, dropped at the
// end, and returns a URL whose search_path points at it.
func NewPostgresSchema(t testing.TB) string {
	t.Helper()
	if !PostgresReachable() {
		if os.Getenv("PACTE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required but %s does not answer", PostgresURL())
		}
		t.Skipf("PostgreSQL not reachable at %s; set PACTE_TEST_POSTGRES to run this test", PostgresURL())
	}
	url, drop, err := CreateSchema(PostgresURL(), fmt.Sprintf("t_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return url
}

// CreateSchema creates the schema name on the PostgreSQL server at base and
// returns a URL whose search_path points at it, and the function that
// drops it; bench/ uses it outside tests.
func CreateSchema(base, name string) (url string, drop func(), err error) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := db.Exec("CREATE SCHEMA " + name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create schema on %s: %w", base, err)
	}
	drop = func() {
		db.Exec("DROP SCHEMA " + name + " CASCADE")
		db.Close()
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + name, drop, nil
}

// Options returns store options for a fresh database on the engine.
func Options(t testing.TB, engine string) models.Options {
	t.Helper()
	opts := models.Options{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if engine == models.Postgres {
		opts.DatabaseURL = NewPostgresSchema(t)
	}
	return opts
}

// Open opens a fresh store on the engine, closed at the end of the test.
func Open(t testing.TB, engine string) *models.Store {
	t.Helper()
	s, err := models.Open(context.Background(), Options(t, engine))
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
