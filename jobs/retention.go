package jobs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"pacte/mail"
	"pacte/models"
)

// Retention (docs/SECURITY.md "Retention") runs as a periodic job, like the
// digest: River's leader enqueues it every RetentionEvery (and once at
// start), so with several instances on one database it runs once per
// period, not once per instance. A run is idempotent and bounded in
// batches; one cut short by a restart is finished by the next.

// retentionTimeout bounds one run: longer than a mail's attempt, because
// a first run on an old database may have much to delete.
const retentionTimeout = 10 * time.Minute

// MailFilesKind names the .eml files in the retention counters.
const MailFilesKind = "mail_files"

// DefaultRetainMail is how long written .eml files are kept unless
// PACTE_RETAIN_MAIL says otherwise.
const DefaultRetainMail = 30 * 24 * time.Hour

// RetentionCounters add up what retention removed since start, by kind,
// for /metrics.
type RetentionCounters struct {
	mu sync.Mutex
	n  map[string]int64
}

func newRetentionCounters() *RetentionCounters {
	c := &RetentionCounters{n: map[string]int64{MailFilesKind: 0}}
	for _, k := range (models.RetentionReport{}).Counts() {
		c.n[k.Kind] = 0 // every kind shows from the start, at zero
	}
	return c
}

func (c *RetentionCounters) add(kind string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[kind] += n
}

// Snapshot returns the totals by kind.
func (c *RetentionCounters) Snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// retentionWorker runs the retention policy.
type retentionWorker struct {
	river.WorkerDefaults[models.RetentionArgs]
	r *Runner
}

func (w *retentionWorker) Timeout(*river.Job[models.RetentionArgs]) time.Duration {
	return retentionTimeout
}

func (w *retentionWorker) Work(ctx context.Context, _ *river.Job[models.RetentionArgs]) error {
	_, err := w.r.RunRetention(ctx)
	return err
}

// RunRetention applies the retention policy now, as the periodic job
// does: rows through the store, then the written mail files. What was
// removed is counted and logged even when a step fails.
func (r *Runner) RunRetention(ctx context.Context) (models.RetentionReport, error) {
	report, err := r.cfg.Store.Retain(ctx, r.cfg.Retention)
	attrs := []any{}
	for _, c := range report.Counts() {
		r.Retained.add(c.Kind, c.N)
		attrs = append(attrs, c.Kind, c.N)
	}
	if r.cfg.MailDir != "" {
		// Files are pruned even if the database step failed: they do not
		// depend on it.
		n, ferr := mail.PruneDir(r.cfg.MailDir, r.cfg.Store.Now().Add(-r.cfg.RetainMail))
		r.Retained.add(MailFilesKind, int64(n))
		attrs = append(attrs, MailFilesKind, n)
		err = errors.Join(err, ferr)
	}
	if err != nil {
		r.log.Warn("retention stopped early; the next run continues", append(attrs, "err", err.Error())...)
		return report, err
	}
	r.log.Info("retention", attrs...)
	return report, nil
}
