package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"pacte/models"
)

// auditVerifyWorker walks the audit chain once a day (models/audit_verify.go)
// and records the result for the audit page and /metrics. A broken chain is
// an error in the log naming the first bad event, not a failed job: the
// walk would find the same thing again, and the verdict is what matters.
// A database that cannot be read fails the job, which River retries.
type auditVerifyWorker struct {
	river.WorkerDefaults[models.AuditVerifyArgs]
	r *Runner
}

func (w *auditVerifyWorker) Work(ctx context.Context, job *river.Job[models.AuditVerifyArgs]) error {
	_, err := w.r.VerifyAuditChain(ctx)
	return err
}

// VerifyAuditChain verifies the chain now, as the daily job does, and logs
// what it found.
func (r *Runner) VerifyAuditChain(ctx context.Context) (models.AuditVerification, error) {
	started := time.Now()
	v, err := r.cfg.Store.VerifyAuditChain(ctx)
	if err != nil {
		return v, err
	}
	took := time.Since(started).Round(time.Millisecond).String()
	if !v.OK {
		r.log.Error("audit chain broken", "event", v.BadEventID, "problem", v.Problem, "checked", v.Events, "took", took)
		return v, nil
	}
	r.log.Info("audit chain intact", "events", v.Events, "head", v.HeadID, "took", took)
	return v, nil
}

// dailyAt is a River schedule: every day at the same time of day, UTC.
// Unlike an interval, it does not start again from zero when an instance
// restarts, so frequent deployments cannot put the verification off.
type dailyAt struct{ offset time.Duration }

func (d dailyAt) Next(current time.Time) time.Time {
	current = current.UTC()
	day := time.Date(current.Year(), current.Month(), current.Day(), 0, 0, 0, 0, time.UTC)
	next := day.Add(d.offset)
	if !next.After(current) {
		next = day.AddDate(0, 0, 1).Add(d.offset)
	}
	return next
}
