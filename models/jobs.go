package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// Background work (notification fan-out, mail) is a River job queue in the
// same database: a job is inserted in the transaction of the change that
// causes it (a transactional outbox), so it exists exactly when its cause
// committed, and River hands each job to one worker of one instance, retries
// it with backoff and rescues it after a crash. Workers live in package jobs;
// the store only inserts, and completes a job inside the transaction that
// does its work (CompleteJob), so that work is done once.

// FanOutArgs asks for the notifications of one event to be written.
type FanOutArgs struct {
	EventID int64 `json:"event_id"`
}

// Kind names the job for River.
func (FanOutArgs) Kind() string { return "notify.fanout" }

// InsertOpts puts fan-out on its own queue, so that a backlog of mail never
// delays the bell.
func (FanOutArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueNotify} }

// Mail purposes: what a MailArgs job sends.
const (
	MailInvitation   = "invitation"
	MailReset        = "password_reset"
	MailEmailConfirm = "email_confirm" // to the new address
	MailEmailChanged = "email_changed" // to the old address
	MailNotification = "notification"
	MailDigest       = "digest"
)

// MailArgs asks for one message to be composed and sent. The message is
// composed when it is sent, from what the database then says: a person
// who lost sight of a measure in between is not told about it.
type MailArgs struct {
	Purpose string `json:"purpose"`
	UserID  int64  `json:"user_id"`
	// To is the address when it is not the person's own (an email change
	// is confirmed at the new address).
	To string `json:"to,omitempty"`
	// Token is the secret of the link the mail carries (invitation, reset,
	// email change). The database keeps only its hash elsewhere; here it
	// lives until the link expires (CompletedJobRetention).
	Token          string `json:"token,omitempty"`
	NotificationID int64  `json:"notification_id,omitempty"`
	// Expires is when the link stops working, for the letter to say.
	Expires time.Time `json:"expires,omitzero"`
}

// Kind names the job for River.
func (MailArgs) Kind() string { return "mail.send" }

// InsertOpts puts mail on its queue.
func (MailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMail, MaxAttempts: MailMaxAttempts}
}

// DigestArgs asks for the daily digests that are due to be enqueued.
type DigestArgs struct{}

// Kind names the job for River.
func (DigestArgs) Kind() string { return "notify.digest" }

// Queues and limits of the job system.
const (
	QueueNotify     = "notify"
	QueueMail       = "mail"
	MailMaxAttempts = 12
)

// openJobs builds the River driver on the write pool, applies River's own
// migrations and makes the insert-only client transactions use.
func (s *Store) openJobs(ctx context.Context) error {
	db := s.SQL()
	switch s.Dialect {
	case SQLite:
		s.jobDriver = riversqlite.New(db)
	default:
		s.jobDriver = riverdatabasesql.New(db)
	}
	m, err := rivermigrate.New(s.jobDriver, &rivermigrate.Config{Logger: s.log.With("component", "jobs")})
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	if s.Dialect == Postgres {
		// Two instances starting at once must not both create River's tables.
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7411003)"); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7411003)")
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	s.jobs, err = river.NewClient(s.jobDriver, &river.Config{Logger: JobLogger(s.log)})
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	return nil
}

// JobLogger is the logger for River's clients: warnings and errors only,
// since it reports routine activity (job counts every few seconds) at the
// information level, which would drown Pacte's own lines.
func JobLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelFloor{l.Handler(), slog.LevelWarn}).With("component", "jobs")
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(a), h.min}
}

func (h levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(n), h.min}
}

// JobDriver is the River driver on this database, for the workers' client.
func (s *Store) JobDriver() JobDriver { return s.jobDriver }

// sqlTx is the database/sql transaction under a GORM transaction: River
// inserts and completes jobs in it.
func (tx *Tx) sqlTx() (*sql.Tx, error) {
	t, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil, errors.New("jobs: not inside a transaction")
	}
	return t, nil
}

// Enqueue inserts a job in this transaction: it runs only if the
// transaction commits.
func (tx *Tx) Enqueue(args river.JobArgs) error {
	t, err := tx.sqlTx()
	if err != nil {
		return err
	}
	_, err = tx.store.jobs.InsertTx(tx.Statement.Context, t, args, nil)
	return err
}

// EnqueueMany inserts jobs in one statement per batch (River's fast
// insert), in this transaction.
func (tx *Tx) EnqueueMany(args []river.JobArgs) error {
	if len(args) == 0 {
		return nil
	}
	t, err := tx.sqlTx()
	if err != nil {
		return err
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	for chunk := range slices.Chunk(params, 500) {
		if _, err := tx.store.jobs.InsertManyFastTx(tx.Statement.Context, t, chunk); err != nil {
			return err
		}
	}
	return nil
}

// CompleteJob marks a River job done in this transaction, so that the work
// it did and its completion commit together: a crash before the commit
// leaves the job to be run again with none of its work done.
func CompleteJob[A river.JobArgs](tx *Tx, job *river.Job[A]) error {
	t, err := tx.sqlTx()
	if err != nil {
		return err
	}
	ctx := tx.Statement.Context
	if tx.store.Dialect == SQLite {
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, t, job)
	} else {
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, t, job)
	}
	return err
}
