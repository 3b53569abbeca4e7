package models

import (
	"context"
	"fmt"
	"time"
)

// Retention (docs/SECURITY.md "Retention"): personal data that has served
// its purpose is removed on a schedule (jobs/retention.go runs Retain), and
// the co-editing log is compacted so that it stops growing without bound.
//
// Every boundary is "strictly older than the period, measured from the
// store's clock": a row exactly one period old stays until the next run.
// Nothing here touches the events table: the audit trail is kept whole, and
// no event refers to a row removed here as something it needs.

// Default retention periods (PACTE_RETAIN_TOKENS, PACTE_RETAIN_NOTIFICATIONS,
// PACTE_COLLAB_KEEP change them).
const (
	DefaultRetainTokens        = 30 * 24 * time.Hour
	DefaultRetainNotifications = 90 * 24 * time.Hour
	DefaultCollabKeep          = 300
	// signInRecordsKept is how long the records of sign-in and reset
	// attempts (addresses, client IPs) are kept: the longest window any
	// limit looks at is an hour; the day matches what the code that writes
	// them already prunes of its own keys.
	signInRecordsKept = 24 * time.Hour
	// retentionBatch bounds the rows one statement deletes, so a first run
	// on a large database holds no lock for long and builds no giant
	// transaction.
	retentionBatch = 500
)

// RetentionPolicy says what Retain keeps. Sessions follow the store's
// SessionLifetimes.
type RetentionPolicy struct {
	// Tokens: invitations, password-reset and email-change links are
	// removed this long after they were used or, unused, after they
	// expired.
	Tokens time.Duration
	// Notifications: read notifications are removed this long after they
	// were read; unread ones are kept, whatever their age.
	Notifications time.Duration
	// CollabKeep is how many co-editing updates are kept before the last
	// saved revision of each measure; every update after it is kept.
	CollabKeep int
	// Batch is the most rows one statement deletes (retentionBatch when 0).
	Batch int
}

// DefaultRetentionPolicy is the policy with the default periods.
func DefaultRetentionPolicy() RetentionPolicy {
	return RetentionPolicy{Tokens: DefaultRetainTokens, Notifications: DefaultRetainNotifications, CollabKeep: DefaultCollabKeep}
}

// Check refuses a policy that would remove too much: a zero or negative
// period would remove links still in use and notifications as they are read.
func (p RetentionPolicy) Check() error {
	if p.Tokens <= 0 {
		return fmt.Errorf("the retention of used or expired links must be positive (got %s)", p.Tokens)
	}
	if p.Notifications <= 0 {
		return fmt.Errorf("the retention of read notifications must be positive (got %s)", p.Notifications)
	}
	if p.CollabKeep < 0 {
		return fmt.Errorf("the co-editing updates kept must be zero or more (got %d)", p.CollabKeep)
	}
	return nil
}

// RetentionReport counts what one run removed.
type RetentionReport struct {
	Sessions      int64 // past their idle timeout or absolute lifetime
	Invitations   int64 // used or expired more than Tokens ago
	AccountLinks  int64 // reset and email-change links, likewise
	Notifications int64 // read more than Notifications ago
	SignIn        int64 // sign-in failures, reset requests, expired half sign-ins, forgotten devices
	CollabUpdates int64 // co-editing updates compacted away
}

// RetentionCount is one kind of removed row and how many.
type RetentionCount struct {
	Kind string
	N    int64
}

// Counts lists the report by kind, in a fixed order: the log line and the
// metrics name each kind the same way.
func (r RetentionReport) Counts() []RetentionCount {
	return []RetentionCount{{"sessions", r.Sessions}, {"invitations", r.Invitations}, {"account_links", r.AccountLinks},
		{"notifications", r.Notifications}, {"sign_in", r.SignIn}, {"collab_updates", r.CollabUpdates}}
}

// Retain removes what the policy no longer keeps, in batches. It may be
// run at any time, by any instance, concurrently with everything else:
// each batch is its own short transaction, and a run cut short is simply
// continued by the next one. On error, the report counts what was removed
// before it.
func (s *Store) Retain(ctx context.Context, p RetentionPolicy) (RetentionReport, error) {
	var r RetentionReport
	if err := p.Check(); err != nil {
		return r, err
	}
	batch := p.Batch
	if batch <= 0 {
		batch = retentionBatch
	}
	now := s.Now()
	tokens := now.Add(-p.Tokens)
	steps := []struct {
		n     *int64
		table string
		where string
		args  []any
	}{
		{&r.Sessions, "sessions", "last_seen_at < ? OR created_at < ?",
			[]any{now.Add(-s.Sessions.Idle), now.Add(-s.Sessions.Absolute)}},
		// A link is done with once used (used_at) or, never used, once
		// expired (expires_at); the period runs from then.
		{&r.Invitations, "invitations", "(used_at IS NOT NULL AND used_at < ?) OR (used_at IS NULL AND expires_at < ?)",
			[]any{tokens, tokens}},
		{&r.AccountLinks, "account_links", "(used_at IS NOT NULL AND used_at < ?) OR (used_at IS NULL AND expires_at < ?)",
			[]any{tokens, tokens}},
		{&r.Notifications, "notifications", "read_at IS NOT NULL AND read_at < ?", []any{now.Add(-p.Notifications)}},
		{&r.SignIn, "login_failures", "at < ?", []any{now.Add(-signInRecordsKept)}},
		{&r.SignIn, "reset_requests", "created_at < ?", []any{now.Add(-signInRecordsKept)}},
		{&r.SignIn, "pending_logins", "expires_at < ?", []any{now}},
		{&r.SignIn, "login_devices", "last_used_at < ?", []any{now.Add(-DeviceLifetime)}},
	}
	for _, st := range steps {
		n, err := s.deleteBatched(ctx, st.table, st.where, st.args, batch)
		*st.n += n
		if err != nil {
			return r, fmt.Errorf("retention of %s: %w", st.table, err)
		}
	}
	n, err := s.compactCollab(ctx, p.CollabKeep, batch)
	r.CollabUpdates = n
	if err != nil {
		return r, fmt.Errorf("co-editing compaction: %w", err)
	}
	return r, nil
}

// deleteBatched deletes the rows of table matching where, at most batch per
// statement, until none is left. The key column is looked up so that the
// same statement works on tables keyed by id or by a hash.
func (s *Store) deleteBatched(ctx context.Context, table, where string, args []any, batch int) (int64, error) {
	key := "id"
	switch table {
	case "pending_logins", "login_devices":
		key = "id_hash"
	}
	// Table and column names come from the list in Retain, never from input.
	q := "DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key + " FROM " + table + " WHERE " + where + " LIMIT ?)"
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res := s.db.WithContext(ctx).Exec(q, append(append([]any(nil), args...), batch)...)
		if res.Error != nil {
			return total, dbError(res.Error)
		}
		total += res.RowsAffected
		if res.RowsAffected < int64(batch) {
			return total, nil
		}
	}
}

// compactCollab folds away, for every measure, the co-editing updates older
// than its last saved revision except the last keep of them, and raises the
// measure's collab_floor to match. Updates after the last revision are all
// kept: they are what the next revision folds (FoldCollab reads their
// authors), and what every editor still typing needs.
func (s *Store) compactCollab(ctx context.Context, keep, batch int) (int64, error) {
	var ids []int64
	if err := s.Read(ctx).Raw(`SELECT m.id FROM measures m
		JOIN revisions r ON r.measure_id = m.id AND r.number = m.revision
		WHERE r.collab_version - ? > m.collab_floor ORDER BY m.id`, keep).Scan(&ids).Error; err != nil {
		return 0, dbError(err)
	}
	var total int64
	for _, id := range ids {
		for {
			n, more, err := s.compactCollabStep(ctx, id, keep, batch)
			total += n
			if err != nil {
				return total, err
			}
			if !more {
				break
			}
		}
	}
	return total, nil
}

// compactCollabStep deletes at most batch versions of one measure's log
// under the measure's row lock, the lock every push takes
// (lockCollabMeasure), so a push never sees the floor and the rows
// disagree. more tells whether versions remain to compact.
func (s *Store) compactCollabStep(ctx context.Context, measureID int64, keep, batch int) (n int64, more bool, err error) {
	err = s.Write(ctx, func(tx *Tx) error {
		m, err := tx.lockCollabMeasure(measureID)
		if err != nil {
			if ErrorKind(err) == ENotFound {
				return nil // deleted meanwhile: its log went with it
			}
			return err
		}
		// The revision is read again under the lock: the target never
		// passes a revision that is not saved.
		var saved []int64
		if err := tx.Raw(`SELECT r.collab_version FROM revisions r JOIN measures m ON m.id = r.measure_id AND r.number = m.revision
			WHERE m.id = ?`, measureID).Scan(&saved).Error; err != nil {
			return err
		}
		if len(saved) == 0 {
			return nil
		}
		target := min(saved[0]-int64(keep), m.CollabVersion)
		if target <= m.CollabFloor {
			return nil
		}
		floor := min(target, m.CollabFloor+int64(batch))
		res := tx.Exec("DELETE FROM collab_updates WHERE measure_id = ? AND version <= ?", measureID, floor)
		if res.Error != nil {
			return res.Error
		}
		if err := tx.Exec("UPDATE measures SET collab_floor = ? WHERE id = ?", floor, measureID).Error; err != nil {
			return err
		}
		n, more = res.RowsAffected, floor < target
		return nil
	})
	return n, more, err
}

// RetentionArgs asks for one retention run (jobs/retention.go), enqueued
// periodically by the job runner.
type RetentionArgs struct{}

// Kind names the job for River.
func (RetentionArgs) Kind() string { return "retention.run" }
