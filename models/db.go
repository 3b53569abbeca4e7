package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"pacte/models/migrations"
)

// Dialects the store runs on.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Options say where the data lives.
type Options struct {
	// DatabaseURL selects PostgreSQL when it starts with postgres:// or
	// postgresql://; otherwise the SQLite file in DataDir is used.
	DatabaseURL string
	DataDir     string
	Logger      *slog.Logger
	// Sessions are the session lifetimes; zero takes
	// DefaultSessionLifetimes.
	Sessions SessionLifetimes
}

// JobDriver is River's driver for this database (SQLite or PostgreSQL, both
// through database/sql, so that jobs join GORM's transactions).
type JobDriver = riverdriver.Driver[*sql.Tx]

// Store is the single gateway to the database. Reads and writes go through
// separate pools so that SQLite writes are serialised on one connection
// (never "database is locked") while reads run in parallel.
type Store struct {
	db      *gorm.DB // writes; a single connection on SQLite
	rdb     *gorm.DB // reads
	Dialect string
	// Now is the clock; tests replace it to check expiry.
	Now func() time.Time
	// Sessions are how long sessions live (Options.Sessions, checked by
	// Open). Like Now, tests may change it before the server starts, never
	// while it runs.
	Sessions SessionLifetimes
	// Channel is the PostgreSQL NOTIFY channel for events, unique per schema
	// so that parallel test schemas never hear each other.
	Channel string
	// DSN is the PostgreSQL connection string, for the event listener.
	DSN string
	log *slog.Logger

	committed func([]Event) // called after a transaction that wrote events commits

	// The job queue (jobs.go): River's driver on the write pool, and the
	// insert-only client that transactions enqueue with.
	jobDriver JobDriver
	jobs      *river.Client[*sql.Tx]
	// unsubscribeKey signs the one-click unsubscribe links (mail_store.go).
	unsubscribeKey []byte

	// passwordWork counts the argon2id derivations of sign-ins, weighted by
	// their memory cost (KiB): what an unknown email costs next to a wrong
	// password, observable without a clock (PasswordWork).
	passwordWork atomic.Int64
}

// PasswordWork is the password-hashing work sign-ins have done so far, in
// KiB of argon2id memory, summed.
func (s *Store) PasswordWork() int64 { return s.passwordWork.Load() }

// CheckDatabaseURL is the rule for DATABASE_URL: empty (SQLite) or a
// postgres:// URL. The error does not echo the value: a keyword DSN would
// carry its password.
func CheckDatabaseURL(url string) error {
	if url == "" || strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return nil
	}
	return errors.New("DATABASE_URL must be a postgres:// URL (leave it empty for SQLite)")
}

// Open connects, applies pending migrations and seeds the reference data.
func Open(ctx context.Context, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Store{Now: func() time.Time { return time.Now().UTC() }, log: log, Sessions: opts.Sessions}
	if s.Sessions == (SessionLifetimes{}) {
		s.Sessions = DefaultSessionLifetimes()
	}
	if err := s.Sessions.Check(); err != nil {
		return nil, err
	}
	gcfg := &gorm.Config{Logger: logger.Discard, NowFunc: func() time.Time { return s.Now() }, TranslateError: false}
	url := opts.DatabaseURL
	if err := CheckDatabaseURL(url); err != nil {
		return nil, err
	}
	var err error
	if url != "" {
		s.Dialect = Postgres
		s.DSN = url
		s.db, err = gorm.Open(postgres.Open(url), gcfg)
		if err != nil {
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		sqlDB, _ := s.db.DB()
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(10)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		s.rdb = s.db
		var schema string
		if err := s.db.WithContext(ctx).Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		s.Channel = "pacte_events_" + sanitizeIdent(schema)
	} else {
		s.Dialect = SQLite
		dir := opts.DataDir
		if dir == "" {
			dir = "data"
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		path := filepath.Join(dir, "pacte.db")
		// mattn/go-sqlite3 otherwise runs synchronous=NORMAL and deferred BEGIN.
		base := "file:" + path + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000&_fk=1&_cache_size=-20000"
		s.db, err = gorm.Open(sqlite.Open(base+"&_txlock=immediate"), gcfg)
		if err != nil {
			return nil, fmt.Errorf("open SQLite: %w", err)
		}
		w, _ := s.db.DB()
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		s.rdb, err = gorm.Open(sqlite.Open(base+"&_query_only=1"), gcfg)
		if err != nil {
			return nil, fmt.Errorf("open SQLite: %w", err)
		}
		r, _ := s.rdb.DB()
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.backfillAuditChain(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.seed(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("seed reference data: %w", err)
	}
	if err := s.loadSigningKey(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if err := s.openJobs(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases both pools.
func (s *Store) Close() error {
	for _, g := range []*gorm.DB{s.rdb, s.db} {
		if g == nil {
			continue
		}
		if d, err := g.DB(); err == nil {
			d.Close()
		}
		if s.rdb == s.db {
			break
		}
	}
	return nil
}

// Ping checks that the database answers, for /healthz.
func (s *Store) Ping(ctx context.Context) error {
	d, err := s.rdb.DB()
	if err != nil {
		return err
	}
	return d.PingContext(ctx)
}

// SQL exposes the write pool, for tools such as backups and tests.
func (s *Store) SQL() *sql.DB {
	d, _ := s.db.DB()
	return d
}

// OnCommit registers the function that publishes events once their
// transaction has committed.
func (s *Store) OnCommit(fn func([]Event)) { s.committed = fn }

// migrate applies the embedded migrations not yet recorded, each in its own
// transaction. On PostgreSQL an advisory lock keeps two instances starting at
// once from applying the same migration twice.
func (s *Store) migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations.FS, s.Dialect+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if s.Dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(7411001)").Error; err != nil {
				return err
			}
		}
		if err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`).Error; err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var done []string
		if err := tx.Raw("SELECT version FROM schema_migrations").Scan(&done).Error; err != nil {
			return err
		}
		applied := map[string]bool{}
		for _, v := range done {
			applied[v] = true
		}
		for _, f := range files {
			version := strings.TrimSuffix(filepath.Base(f), ".sql")
			if applied[version] {
				continue
			}
			body, err := fs.ReadFile(migrations.FS, f)
			if err != nil {
				return err
			}
			for _, stmt := range splitSQL(string(body)) {
				if err := tx.Exec(stmt).Error; err != nil {
					return fmt.Errorf("migration %s: %w", version, err)
				}
			}
			if err := tx.Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", version, s.Now()).Error; err != nil {
				return err
			}
			s.log.Info("migration applied", "version", version)
		}
		return nil
	})
}

// splitSQL splits a migration into statements on semicolons at line ends;
// our migrations hold no procedural code, so this is enough.
func splitSQL(body string) []string {
	var out []string
	for _, part := range strings.Split(body, ";\n") {
		lines := []string{}
		for _, l := range strings.Split(part, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}

var identRe = regexp.MustCompile(`[^a-zA-Z0-9_]`)

func sanitizeIdent(s string) string { return identRe.ReplaceAllString(s, "_") }
