// Package jobs runs Pacte's background work on River, in the same database
// as everything else: the notification fan-out of an event, the mail it
// causes, the daily digest and the daily check of the audit chain. Jobs
// are inserted by the store in the transaction of their cause
// (models/jobs.go); this package works them.
//
// River gives each job to exactly one worker of one instance (on
// PostgreSQL, several instances share the queue), retries failures with
// the backoff below, and puts a job whose instance died back in the queue
// (RescueAfter). Fan-out completes its job inside the transaction that
// writes the notifications, so it happens once. Mail is sent, then marked
// done: SMTP and the database cannot commit together, so a crash in the
// instant between the server's "250 OK" and the mark sends that one mail
// again, with the same Message-ID, which receivers use to fold duplicates.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"pacte/i18n"
	"pacte/mail"
	"pacte/models"
)

// Config is what the workers need.
type Config struct {
	Store   *models.Store
	Sender  mail.Sender
	Catalog *i18n.Catalog
	// BaseURL builds every link in a mail.
	BaseURL string
	Logger  *slog.Logger
	// PollInterval is how often an instance looks for new jobs (200 ms).
	PollInterval time.Duration
	// RetryBase and RetryMax shape the backoff of a failed mail: RetryBase
	// doubled at each attempt, with jitter, at most RetryMax (30 s, 1 h).
	RetryBase, RetryMax time.Duration
	// RescueAfter puts back in the queue a job left running by an instance
	// that died (2 min; more than JobTimeout).
	RescueAfter time.Duration
	// JobTimeout bounds one attempt (1 min).
	JobTimeout time.Duration
	// MailWorkers send at once per instance (8).
	MailWorkers int
	// DigestEvery is how often due digests are looked for (15 min).
	DigestEvery time.Duration
	// AuditVerifyAt is when, each day, the audit chain is verified: the
	// time since midnight UTC (3 h; jobs/audit.go).
	AuditVerifyAt time.Duration
	// Retention is what the retention job keeps (a zero policy: the
	// defaults), RetainMail how long the .eml files in MailDir are kept
	// (30 days; MailDir empty: none are written), RetentionEvery how often
	// it runs (1 h; jobs/retention.go).
	Retention      models.RetentionPolicy
	RetainMail     time.Duration
	MailDir        string
	RetentionEvery time.Duration
}

// Counters are what /metrics shows of mail.
type Counters struct {
	Sent, Retried, Failed, Dropped atomic.Int64
}

// Runner is the River client that works Pacte's jobs.
type Runner struct {
	cfg      Config
	log      *slog.Logger
	client   *river.Client[*sql.Tx]
	Counters Counters
	// Retained counts what retention removed, by kind (/metrics).
	Retained *RetentionCounters
	letters  *letters
}

// Config is the configuration in use, defaults filled in.
func (r *Runner) Config() Config { return r.cfg }

// New builds the runner; Start starts it.
func New(cfg Config) (*Runner, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.PollInterval, 200*time.Millisecond)
	def(&cfg.RetryBase, 30*time.Second)
	def(&cfg.RetryMax, time.Hour)
	def(&cfg.JobTimeout, time.Minute)
	def(&cfg.RescueAfter, 2*time.Minute)
	def(&cfg.DigestEvery, 15*time.Minute)
	def(&cfg.AuditVerifyAt, 3*time.Hour)
	def(&cfg.RetentionEvery, time.Hour)
	def(&cfg.RetainMail, DefaultRetainMail)
	if cfg.Retention == (models.RetentionPolicy{}) {
		cfg.Retention = models.DefaultRetentionPolicy()
	}
	if err := cfg.Retention.Check(); err != nil {
		return nil, err
	}
	if cfg.MailWorkers <= 0 {
		cfg.MailWorkers = 8
	}
	lt, err := newLetters(cfg.Catalog, cfg.BaseURL, cfg.Store)
	if err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, log: cfg.Logger, letters: lt, Retained: newRetentionCounters()}
	workers := river.NewWorkers()
	river.AddWorker(workers, &fanOutWorker{r: r})
	river.AddWorker(workers, &mailWorker{r: r})
	river.AddWorker(workers, &digestWorker{r: r})
	river.AddWorker(workers, &auditVerifyWorker{r: r})
	river.AddWorker(workers, &retentionWorker{r: r})
	r.client, err = river.NewClient(cfg.Store.JobDriver(), &river.Config{
		Logger:  models.JobLogger(r.log),
		Workers: workers,
		// One fan-out at a time per instance keeps notifications in the
		// order of their events.
		Queues:               map[string]river.QueueConfig{models.QueueNotify: {MaxWorkers: 1}, models.QueueMail: {MaxWorkers: cfg.MailWorkers}, river.QueueDefault: {MaxWorkers: 1}},
		PollOnly:             true, // database/sql drivers cannot LISTEN; polling is cheap at this rate
		FetchCooldown:        min(cfg.PollInterval, 100*time.Millisecond),
		FetchPollInterval:    cfg.PollInterval,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		RetryPolicy:          backoff{base: cfg.RetryBase, max: cfg.RetryMax},
		ErrorHandler:         errorHandler{r: r},
		// A mail's job holds the secret of its link (an invitation, a
		// reset) until the job row goes: keep finished jobs no longer
		// than the shortest link lives.
		CompletedJobRetentionPeriod: models.ResetTTL,
		CancelledJobRetentionPeriod: 24 * time.Hour,
		DiscardedJobRetentionPeriod: 24 * time.Hour,
		PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.DigestEvery),
			func() (river.JobArgs, *river.InsertOpts) { return models.DigestArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(dailyAt{cfg.AuditVerifyAt},
				func() (river.JobArgs, *river.InsertOpts) { return models.AuditVerifyArgs{}, nil },
				nil),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.RetentionEvery),
				func() (river.JobArgs, *river.InsertOpts) { return models.RetentionArgs{}, nil },
				&river.PeriodicJobOpts{RunOnStart: true})},
	})
	if err != nil {
		return nil, fmt.Errorf("job runner: %w", err)
	}
	return r, nil
}

// Start begins working jobs.
func (r *Runner) Start(ctx context.Context) error {
	r.log.Info("mail", "transport", r.cfg.Sender.Describe())
	return r.client.Start(context.WithoutCancel(ctx))
}

// Close stops taking jobs and waits (at most 10 s) for those running; a
// job cut short is run again later.
func (r *Runner) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.client.Stop(ctx); err != nil {
		hard, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel2()
		_ = r.client.StopAndCancel(hard)
	}
}

// backoff doubles the wait at each attempt, with ±20 % jitter so that a
// server that comes back is not hit by every retry at once.
type backoff struct{ base, max time.Duration }

func (b backoff) NextRetry(job *rivertype.JobRow) time.Time {
	attempt := max(job.Attempt, 1)
	d := b.base
	for i := 1; i < attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	jitter := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return time.Now().Add(jitter)
}

// errorHandler counts a mail retry, and records a mail that ran out of
// attempts as failed for the admins.
type errorHandler struct{ r *Runner }

func (h errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	if job.Kind == (models.MailArgs{}).Kind() && !mail.Permanent(err) {
		if job.Attempt >= job.MaxAttempts {
			h.r.mailFailed(ctx, job, err)
		} else {
			h.r.Counters.Retried.Add(1)
		}
	}
	h.r.log.Warn("job failed", "kind", job.Kind, "job", job.ID, "attempt", job.Attempt, "err", err)
	return nil
}

func (h errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, v any, trace string) *river.ErrorHandlerResult {
	h.r.log.Error("job panicked", "kind", job.Kind, "job", job.ID, "panic", fmt.Sprint(v), "stack", trace)
	return nil
}

// fanOutWorker writes an event's notifications.
type fanOutWorker struct {
	river.WorkerDefaults[models.FanOutArgs]
	r *Runner
}

func (w *fanOutWorker) Work(ctx context.Context, job *river.Job[models.FanOutArgs]) error {
	return w.r.cfg.Store.FanOut(ctx, job.Args.EventID, func(tx *models.Tx) error {
		return models.CompleteJob(tx, job)
	})
}

// digestWorker enqueues the digests that are due.
type digestWorker struct {
	river.WorkerDefaults[models.DigestArgs]
	r *Runner
}

func (w *digestWorker) Work(ctx context.Context, job *river.Job[models.DigestArgs]) error {
	n, err := w.r.cfg.Store.EnqueueDueDigests(ctx, func(tx *models.Tx) error { return models.CompleteJob(tx, job) })
	if err == nil && n > 0 {
		w.r.log.Info("digests enqueued", "count", n)
	}
	return err
}

// RunDigests looks for due digests now, as the periodic job does.
func (r *Runner) RunDigests(ctx context.Context) (int, error) {
	return r.cfg.Store.EnqueueDueDigests(ctx, func(*models.Tx) error { return nil })
}

func decodeArgs(job *rivertype.JobRow, into any) error {
	return json.Unmarshal(job.EncodedArgs, into)
}
