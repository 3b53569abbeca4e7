package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"pacte/models"
)

// budget is what fan-out may add to the p99 of the call that causes it.
const budget = 5 * time.Millisecond

// result is what one run measured.
type result struct {
	o                       options
	mails                   []accepted
	firstCommit, lastCommit time.Time
	// Per event (comment on the followed measure), in posting order.
	loud      []time.Duration // the comment call
	firstMail []time.Duration // commit → its first mail accepted
	lastMail  []time.Duration // commit → its last mail accepted
	fanWait   []time.Duration // commit → its fan-out job starts
	fanRun    []time.Duration // the fan-out job, start → commit
	fanDone   time.Time       // the last fan-out committed
	// The same call on a measure nobody follows: alone before the run,
	// and interleaved with the run.
	idle, along []time.Duration
	// Checks.
	perRecipient  map[string]int
	unattributed  int
	duplicates    int
	retried       int64
	mailLog       map[string]int64
	warnings      int
	firstWarnings []string
}

// analyse ties each accepted mail to its event through the database: the
// Message-ID names the mail job, whose arguments name the notification,
// which names the comment.
func (e *env) analyse(ctx context.Context, o options, loud []posted) (*result, error) {
	db := e.store.SQL()
	r := &result{o: o, mails: e.box.Mails(), firstCommit: loud[0].committed, lastCommit: loud[len(loud)-1].committed,
		perRecipient: map[string]int{}, mailLog: map[string]int64{}}
	event := map[int64]int{} // comment id → event number
	for i, p := range loud {
		event[p.id] = i
		r.loud = append(r.loud, p.latency)
	}
	commentOf := map[int64]int64{}      // notification → comment
	commentOfEvent := map[int64]int64{} // event row → comment
	rows, err := db.QueryContext(ctx, `SELECT id, event_id, comment_id FROM notifications WHERE comment_id IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, ev, c int64
		if err := rows.Scan(&id, &ev, &c); err != nil {
			rows.Close()
			return nil, err
		}
		commentOf[id], commentOfEvent[ev] = c, c
	}
	rows.Close()
	notificationOf := map[int64]int64{} // mail job → notification
	err = e.eachJob(ctx, "mail.send", func(j job) error {
		var a struct {
			NotificationID int64 `json:"notification_id"`
		}
		if err := json.Unmarshal(j.args, &a); err != nil {
			return err
		}
		notificationOf[j.id] = a.NotificationID
		if j.attempt > 1 {
			r.retried++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := len(loud)
	r.firstMail, r.lastMail = make([]time.Duration, n), make([]time.Duration, n)
	r.fanWait, r.fanRun = make([]time.Duration, n), make([]time.Duration, n)
	seen := map[int64]bool{}
	for _, m := range r.mails {
		r.perRecipient[m.To]++
		if seen[m.JobID] {
			r.duplicates++
		}
		seen[m.JobID] = true
		i, ok := event[commentOf[notificationOf[m.JobID]]]
		if !ok {
			r.unattributed++
			continue
		}
		d := m.At.Sub(loud[i].committed)
		if r.firstMail[i] == 0 || d < r.firstMail[i] {
			r.firstMail[i] = d
		}
		r.lastMail[i] = max(r.lastMail[i], d)
	}
	err = e.eachJob(ctx, "notify.fanout", func(j job) error {
		var a struct {
			EventID int64 `json:"event_id"`
		}
		if err := json.Unmarshal(j.args, &a); err != nil {
			return err
		}
		i, ok := event[commentOfEvent[a.EventID]]
		if !ok || !j.attempted.Valid || !j.finalized.Valid {
			return nil // a comment on the quiet measure
		}
		r.fanWait[i] = j.attempted.Time.Sub(loud[i].committed)
		r.fanRun[i] = j.finalized.Time.Sub(j.attempted.Time)
		if j.finalized.Time.After(r.fanDone) {
			r.fanDone = j.finalized.Time
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, err = db.QueryContext(ctx, `SELECT status, count(*) FROM mail_log GROUP BY status`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var st string
		var c int64
		if err := rows.Scan(&st, &c); err != nil {
			rows.Close()
			return nil, err
		}
		r.mailLog[st] = c
	}
	rows.Close()
	r.warnings, r.firstWarnings = e.logs.summary()
	return r, rows.Err()
}

// job is a River job row, as far as the report needs it.
type job struct {
	id, attempt          int64
	args                 []byte
	attempted, finalized sql.NullTime
}

// eachJob reads the jobs of a kind. River keeps arguments as JSONB on both
// engines; SQLite's is binary, json() spells it out.
func (e *env) eachJob(ctx context.Context, kind string, fn func(job) error) error {
	args := "args::text"
	if e.store.Dialect == models.SQLite {
		args = "json(args)"
	}
	rows, err := e.store.SQL().QueryContext(ctx, `SELECT id, attempt, `+args+`, attempted_at, finalized_at FROM river_job WHERE kind = $1`, kind)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.id, &j.attempt, &j.args, &j.attempted, &j.finalized); err != nil {
			return fmt.Errorf("river_job: %w", err)
		}
		if err := fn(j); err != nil {
			return err
		}
	}
	return rows.Err()
}

// pct is the nearest-rank percentile p (0–100) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string  { return fmt.Sprintf("%8.2f ms", float64(d.Microseconds())/1000) }
func sec(d time.Duration) string { return fmt.Sprintf("%8.2f s", d.Seconds()) }

func (r *result) print(w io.Writer) {
	total := len(r.mails)
	last := r.mails[total-1].At
	fmt.Fprintf(w, "mail: %d accepted by the SMTP server (%d followers × %d events)\n", total, r.o.followers, r.o.events)
	fmt.Fprintf(w, "  first commit → last mail accepted  %s\n", sec(last.Sub(r.firstCommit)))
	fmt.Fprintf(w, "  last commit  → last mail accepted  %s\n", sec(last.Sub(r.lastCommit)))
	fmt.Fprintf(w, "  first commit → first mail accepted %s\n", ms(r.mails[0].At.Sub(r.firstCommit)))
	fmt.Fprintf(w, "  throughput (first commit → last mail) %8.0f mails/s\n", float64(total)/last.Sub(r.firstCommit).Seconds())
	fmt.Fprintf(w, "  per event, commit → its first mail: p50 %s  max %s\n", sec(pct(r.firstMail, 50)), sec(pct(r.firstMail, 100)))
	fmt.Fprintf(w, "  per event, commit → its last mail:  p50 %s  max %s\n", sec(pct(r.lastMail, 50)), sec(pct(r.lastMail, 100)))
	var fanTotal time.Duration
	for _, d := range r.fanRun {
		fanTotal += d
	}
	fmt.Fprintf(w, "fan-out (notify.fanout job, %d rows each):\n", r.o.followers)
	fmt.Fprintf(w, "  one job runs  p50 %s  max %s  (first %s, last %s; %s in all)\n",
		ms(pct(r.fanRun, 50)), ms(pct(r.fanRun, 100)), ms(r.fanRun[0]), ms(r.fanRun[len(r.fanRun)-1]), sec(fanTotal))
	fmt.Fprintf(w, "  commit → job starts  p50 %s  max %s\n", ms(pct(r.fanWait, 50)), ms(pct(r.fanWait, 100)))
	fmt.Fprintf(w, "  first commit → last fan-out committed %s\n", sec(r.fanDone.Sub(r.firstCommit)))
	printLatency(w, r.o.followers, r.idle, r.loud, r.along)
	fmt.Fprintf(w, "checks: %d recipients, %d duplicates, %d not tied to an event, %d mail jobs retried, mail_log %v, %d warnings logged\n",
		len(r.perRecipient), r.duplicates, r.unattributed, r.retried, r.mailLog, r.warnings)
	for _, l := range r.firstWarnings {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// printLatency compares the comment call with and without followers.
func printLatency(w io.Writer, followers int, idle, loud, along []time.Duration) {
	fmt.Fprintf(w, "comment API call (POST /api/v1/measures/:id/comments), %d calls each:\n", len(loud))
	row := func(name string, ds []time.Duration) {
		fmt.Fprintf(w, "  %-40s p50 %s  p99 %s  max %s\n", name, ms(pct(ds, 50)), ms(pct(ds, 99)), ms(pct(ds, 100)))
	}
	row("0 followers, nothing in the background", idle)
	row(fmt.Sprintf("%d followers", followers), loud)
	row("0 followers, interleaved with the run", along)
	extra := pct(loud, 99) - pct(idle, 99)
	verdict := "within"
	if extra >= budget {
		verdict = "OVER"
	}
	fmt.Fprintf(w, "  extra p99 with followers: %s (%s the %s budget)\n", ms(extra), verdict, budget)
	fmt.Fprintf(w, "  same, against the interleaved calls: %s\n", ms(pct(loud, 99)-pct(along, 99)))
}

// check fails the run when the mail is not what the product's rules say:
// each follower gets one mail per event, once.
func (r *result) check() error {
	want := r.o.followers * r.o.events
	if len(r.mails) != want || len(r.perRecipient) != r.o.followers || r.duplicates > 0 || r.unattributed > 0 {
		return fmt.Errorf("%d mails to %d people (%d duplicates, %d unattributed), want %d to %d",
			len(r.mails), len(r.perRecipient), r.duplicates, r.unattributed, want, r.o.followers)
	}
	for to, n := range r.perRecipient {
		if n != r.o.events {
			return fmt.Errorf("%s got %d mails, want %d", to, n, r.o.events)
		}
	}
	return nil
}
