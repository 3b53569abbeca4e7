package models

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// AuditVerification is what a walk of the audit chain found.
type AuditVerification struct {
	At     time.Time
	OK     bool
	Events int64 // rows checked
	// HeadID and HeadHash are the last row of the chain when it was
	// walked (0 and "" for an empty log).
	HeadID   int64
	HeadHash string
	// BadEventID and Problem name the first row that does not match, as
	// "event 1234: …", when the chain is broken.
	BadEventID int64
	Problem    string
}

// AuditHead is the chain's head now and its last verification.
type AuditHead struct {
	EventID int64 // 0 when the log is empty
	Hash    string
	// Verified is the last verification, nil if the chain was never
	// verified.
	Verified *AuditVerification
}

// AuditVerifyArgs asks for the daily verification of the audit chain.
type AuditVerifyArgs struct{}

// Kind names the job for River.
func (AuditVerifyArgs) Kind() string { return "audit.verify" }

// verifyBatch is how many rows one read of the walk takes: enough that the
// round trips do not count, few enough that memory stays flat.
const verifyBatch = 5000

// auditState is the audit_chain row (migration 0016).
type auditState struct {
	Backfilled bool
	VerifiedAt *time.Time
	OK         bool
	Events     int64
	HeadID     int64
	HeadHash   string
	Problem    string
	AnchorID   int64
	AnchorHash string
}

func readAuditState(ctx context.Context, db *gorm.DB) (auditState, error) {
	var st auditState
	err := db.WithContext(ctx).Raw(`SELECT backfilled, verified_at, ok, events, head_id, head_hash, problem, anchor_id, anchor_hash
		FROM audit_chain WHERE id = 1`).Scan(&st).Error
	return st, err
}

// CheckAuditChain walks the event log in id order, in batches, recomputes
// each row's hash from its content and the previous row's hash, and stops
// at the first row that does not match. The error is for a database that
// could not be read; a broken chain is a result (OK false).
//
// Rows are read by keyset on id while events may still be written: ids
// become visible in commit order, so a batch never skips a row that
// commits later. Gaps in ids are normal (a rolled-back transaction on
// PostgreSQL) and are not flagged.
//
// The walk is a pipeline, so that 100,000 events take well under 2 s on
// two cores: one goroutine reads the next batch while the current one is
// checked; each batch's payloads are made canonical in parallel (the
// costly part: personal values are blanked by decoding and re-encoding),
// and only the chaining itself, one SHA-256 per row, is sequential.
func (s *Store) CheckAuditChain(ctx context.Context) (AuditVerification, error) {
	v := AuditVerification{At: s.Now()}
	st, err := readAuditState(ctx, s.rdb)
	if err != nil {
		return v, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the reader when the walk stops early
	batches, err := s.readChain(ctx)
	if err != nil {
		return v, err
	}
	var (
		c          chainer
		prevID     int64
		prevHash   string
		anchorSeen = st.AnchorID == 0
	)
	broken := func(id int64, format string, args ...any) (AuditVerification, error) {
		v.BadEventID = id
		v.Problem = fmt.Sprintf("event %d: ", id) + fmt.Sprintf(format, args...)
		return v, nil
	}
	for b := range batches {
		if b.err != nil {
			return v, b.err
		}
		payloads := chainPayloads(b.rows)
		for i := range b.rows {
			e := &b.rows[i]
			if !anchorSeen && e.ID > st.AnchorID {
				return broken(st.AnchorID, "missing: it was the last event when the chain was last found intact, so events were deleted%s", anchorAfter(prevID))
			}
			want := c.hashWith(prevHash, e, payloads[i])
			switch {
			case e.Hash == "":
				return broken(e.ID, "has no hash (written outside the chain, or its hash was erased)")
			case e.Hash != want && prevID == 0:
				return broken(e.ID, "its hash does not match its content as the first event (the row was changed or inserted, or events before it were deleted)")
			case e.Hash != want:
				return broken(e.ID, "its hash does not match its content and the event before it, %d (the row was changed or inserted, or an event before it was deleted)", prevID)
			}
			if e.ID == st.AnchorID {
				if e.Hash != st.AnchorHash {
					return broken(e.ID, "its hash differs from the one it had when the chain was last found intact: the log up to it was rewritten")
				}
				anchorSeen = true
			}
			prevID, prevHash = e.ID, e.Hash
			v.Events++
		}
	}
	if !anchorSeen {
		return broken(st.AnchorID, "missing: it was the last event when the chain was last found intact, so events were deleted from the end of the log")
	}
	v.OK, v.HeadID, v.HeadHash = true, prevID, prevHash
	return v, nil
}

// chainBatch is one read of the walk: rows in id order, or the error that
// ended the reading.
type chainBatch struct {
	rows []Event
	err  error
}

// readChain reads the whole log in batches of verifyBatch rows, in id
// order, one batch ahead of the walk, until the log ends, a read fails
// (the last batch carries the error) or ctx is cancelled. It reads through
// database/sql: GORM's reflection would cost more than the hashing.
func (s *Store) readChain(ctx context.Context) (<-chan chainBatch, error) {
	db, err := s.rdb.DB()
	if err != nil {
		return nil, err
	}
	query := `SELECT id, topic, type, actor_id, measure_id, subject_user_id, payload, created_at, hash
		FROM events WHERE id > ? ORDER BY id LIMIT ?`
	if s.Dialect == Postgres {
		query = strings.Replace(strings.Replace(query, "?", "$1", 1), "?", "$2", 1)
	}
	out := make(chan chainBatch, 1)
	go func() {
		defer close(out)
		var after int64
		for {
			rows, err := readEvents(ctx, db, query, after)
			select {
			case out <- chainBatch{rows: rows, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(rows) < verifyBatch {
				return
			}
			after = rows[len(rows)-1].ID
		}
	}()
	return out, nil
}

// readEvents reads one batch of the walk. The query does not take ctx's
// cancellation: with a cancellable context, mattn/go-sqlite3 starts a
// goroutine for every row it steps through, which doubled the walk's
// cost. A batch is short; the reader checks ctx between batches.
func readEvents(ctx context.Context, db *sql.DB, query string, after int64) ([]Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(context.WithoutCancel(ctx), query, after, verifyBatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]Event, 0, verifyBatch)
	for rows.Next() {
		var e Event
		var actor, measure, subject sql.NullInt64
		if err := rows.Scan(&e.ID, &e.Topic, &e.Type, &actor, &measure, &subject, &e.Payload, &e.CreatedAt, &e.Hash); err != nil {
			return nil, fmt.Errorf("read the event after %d: %w", after, err)
		}
		e.ActorID, e.MeasureID, e.SubjectUserID = nullID(actor), nullID(measure), nullID(subject)
		out = append(out, e)
	}
	return out, rows.Err()
}

// chainPayloads is ChainPayload of each row, computed on every core.
func chainPayloads(rows []Event) [][]byte {
	out := make([][]byte, len(rows))
	workers := runtime.GOMAXPROCS(0)
	chunk := (len(rows) + workers - 1) / max(workers, 1)
	var wg sync.WaitGroup
	for start := 0; start < len(rows); start += chunk {
		end := min(start+chunk, len(rows))
		wg.Add(1)
		go func(part []Event, dst [][]byte) {
			defer wg.Done()
			for i := range part {
				dst[i] = ChainPayload(part[i].Payload)
			}
		}(rows[start:end], out[start:end])
	}
	wg.Wait()
	return out
}

// anchorAfter completes the message about a missing verified head.
func anchorAfter(prevID int64) string {
	if prevID == 0 {
		return " (it and every event before it are gone)"
	}
	return fmt.Sprintf(" after event %d", prevID)
}

func nullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	id := n.Int64
	return &id
}

// VerifyAuditChain checks the chain and records the result, for the audit
// page, /api/v1/audit/head and /metrics. A verification that finds the
// chain intact moves the anchor to the head it reached; a broken one
// keeps the anchor of the last intact one.
func (s *Store) VerifyAuditChain(ctx context.Context) (AuditVerification, error) {
	v, err := s.CheckAuditChain(ctx)
	if err != nil {
		return v, dbError(err)
	}
	return v, s.RecordAuditVerification(ctx, v)
}

// RecordAuditVerification stores the result of a verification.
func (s *Store) RecordAuditVerification(ctx context.Context, v AuditVerification) error {
	q := `UPDATE audit_chain SET verified_at = ?, ok = ?, events = ?, head_id = ?, head_hash = ?, problem = ?`
	args := []any{v.At.UTC(), v.OK, v.Events, v.HeadID, v.HeadHash, v.Problem}
	if v.OK {
		q += `, anchor_id = ?, anchor_hash = ?`
		args = append(args, v.HeadID, v.HeadHash)
	}
	return dbError(s.db.WithContext(ctx).Exec(q+` WHERE id = 1`, args...).Error)
}

// AuditChainHead reads the chain's head and its last verification, for
// the readers of the audit trail.
func (s *Store) AuditChainHead(ctx context.Context, viewer *User) (AuditHead, error) {
	var h AuditHead
	if err := Check(viewer, ActViewAudit, nil); err != nil {
		return h, err
	}
	var last struct {
		ID   int64
		Hash string
	}
	if err := s.Read(ctx).Raw("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").Scan(&last).Error; err != nil {
		return h, dbError(err)
	}
	h.EventID, h.Hash = last.ID, last.Hash
	var err error
	h.Verified, err = s.LastAuditVerification(ctx)
	return h, err
}

// LastAuditVerification is the last recorded verification of the chain,
// nil if there was none: a fact about the installation, for /metrics.
func (s *Store) LastAuditVerification(ctx context.Context) (*AuditVerification, error) {
	st, err := readAuditState(ctx, s.rdb)
	if err != nil || st.VerifiedAt == nil {
		return nil, dbError(err)
	}
	v := &AuditVerification{At: st.VerifiedAt.UTC(), OK: st.OK, Events: st.Events, HeadID: st.HeadID, HeadHash: st.HeadHash, Problem: st.Problem}
	if !st.OK {
		v.BadEventID = problemEvent(st.Problem)
	}
	return v, nil
}

// problemEvent reads the event id back from "event 1234: …".
func problemEvent(p string) int64 {
	var id int64
	if _, err := fmt.Sscanf(p, "event %d:", &id); err != nil {
		return 0
	}
	return id
}

// backfillBatch is how many rows one statement of the backfill updates.
const backfillBatch = 500

// backfillAuditChain gives the rows written before the chain existed their
// hashes, once (the migration marks it to do): in id order, in one
// transaction under the events lock, so that an upgraded database starts
// with an intact chain. It never runs again, so a row whose hash is later
// erased is reported by the verifier instead of being given a new one.
func (s *Store) backfillAuditChain(ctx context.Context) error {
	st, err := readAuditState(ctx, s.db)
	if err != nil {
		return fmt.Errorf("audit chain: %w", err)
	}
	if st.Backfilled {
		return nil
	}
	started := time.Now()
	var n int
	err = s.db.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		if s.Dialect == Postgres {
			if err := g.Exec("SELECT pg_advisory_xact_lock(7411002)").Error; err != nil {
				return err
			}
			// Another instance may have done it while this one waited.
			if st, err := readAuditState(ctx, g); err != nil || st.Backfilled {
				return err
			}
		}
		var (
			c      chainer
			prevID int64
			prev   string
		)
		for {
			var rows []Event
			if err := g.Where("id > ?", prevID).Order("id").Limit(verifyBatch).Find(&rows).Error; err != nil {
				return err
			}
			changed := make([]Event, 0, len(rows))
			for i := range rows {
				if rows[i].Hash == "" {
					rows[i].Hash = c.hash(prev, &rows[i])
					changed = append(changed, rows[i])
				}
				prevID, prev = rows[i].ID, rows[i].Hash
			}
			if err := updateHashes(g, changed); err != nil {
				return err
			}
			n += len(changed)
			if len(rows) < verifyBatch {
				break
			}
		}
		return g.Exec("UPDATE audit_chain SET backfilled = ? WHERE id = 1", true).Error
	})
	if err != nil {
		return fmt.Errorf("audit chain backfill: %w", err)
	}
	if n > 0 {
		s.log.Info("audit chain: hashes written for existing events", "events", n, "took", time.Since(started).Round(time.Millisecond).String())
	}
	return nil
}

// updateHashes writes rows' hashes, many rows per statement.
func updateHashes(g *gorm.DB, rows []Event) error {
	for start := 0; start < len(rows); start += backfillBatch {
		part := rows[start:min(start+backfillBatch, len(rows))]
		values := make([]string, len(part))
		args := make([]any, 0, 2*len(part))
		for i, r := range part {
			values[i] = "(CAST(? AS BIGINT), CAST(? AS TEXT))"
			args = append(args, r.ID, r.Hash)
		}
		q := `WITH v(id, hash) AS (VALUES ` + strings.Join(values, ", ") + `) UPDATE events SET hash = v.hash FROM v WHERE events.id = v.id`
		if err := g.Exec(q, args...).Error; err != nil {
			return err
		}
	}
	return nil
}
