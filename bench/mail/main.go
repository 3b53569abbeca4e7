// Command mail measures notification mail at the scale of the issue: 1,000
// people follow one measure and want comment mail at once; 100 comments are
// posted through the HTTP API. It reports the time from the comments'
// commits to the last mail accepted by a real SMTP server (in process), the
// mail throughput, and the latency of the comment call with 1,000 followers
// against the same call with none, in the same run: fan-out is enqueued in
// the comment's transaction (models/tx.go Emit) and done by a job, so the
// difference must stay under 5 ms at p99.
//
//	go run ./bench/mail                                  # SQLite in a temporary directory
//	go run ./bench/mail -engine postgres                 # a fresh schema on the local PostgreSQL
//	go run ./bench/mail -followers 1000 -events 10       # a shorter run
//	go run ./bench/mail -mail-workers 32 -poll 20ms      # other job timings (production: 8, 200ms)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

// options are the flags.
type options struct {
	followers, events int
	engine, pgURL     string
	// interval is the pause between two comments (0: one after the other).
	interval time.Duration
	// poll and mailWorkers are jobs.Config's PollInterval and MailWorkers
	// (0: the production defaults, 200 ms and 8).
	poll        time.Duration
	mailWorkers int
	timeout     time.Duration
	cpuProfile  string
	// latencyOnly stops once the comments are posted: the API figures
	// without waiting twenty minutes for the mail.
	latencyOnly bool
}

func main() {
	var o options
	flag.IntVar(&o.followers, "followers", 1000, "people following the measure, each wanting comment mail at once")
	flag.IntVar(&o.events, "events", 100, "comments posted on the followed measure (and as many on a measure nobody follows)")
	flag.StringVar(&o.engine, "engine", models.SQLite, "sqlite or postgres")
	flag.StringVar(&o.pgURL, "pg", storetest.PostgresURL(), "PostgreSQL server (-engine postgres); the bench works in a schema of its own, dropped at the end")
	flag.DurationVar(&o.interval, "interval", 0, "pause between two comments")
	flag.DurationVar(&o.poll, "poll", 0, "job poll interval (0: production default, 200ms)")
	flag.IntVar(&o.mailWorkers, "mail-workers", 0, "mail jobs at once (0: production default, 8)")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Hour, "give up waiting for the mail after this long")
	flag.BoolVar(&o.latencyOnly, "latency-only", false, "print the comment call's latency once the comments are posted, without waiting for the mail")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	flag.Parse()
	if o.engine != models.SQLite && o.engine != models.Postgres {
		fmt.Fprintln(os.Stderr, "bench: -engine is sqlite or postgres")
		os.Exit(2)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
		// An interrupted run still leaves its profile (the slow part is
		// often what makes one stop the run).
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt)
		go func() {
			<-stop
			pprof.StopCPUProfile()
			os.Exit(130)
		}()
	}
	if err := run(context.Background(), o); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	t0 := time.Now()
	e, err := start(ctx, o)
	if err != nil {
		return err
	}
	defer e.Close()
	authors, err := e.people(ctx, 1, "auteur")
	if err != nil {
		return err
	}
	author := authors[0]
	followed, err := e.measure(ctx, author, "Mesure suivie")
	if err != nil {
		return err
	}
	quiet, err := e.measure(ctx, author, "Mesure que personne ne suit")
	if err != nil {
		return err
	}
	followers, err := e.people(ctx, o.followers, "suiveur")
	if err != nil {
		return err
	}
	if err := e.follow(ctx, followers, followed); err != nil {
		return err
	}
	fmt.Printf("engine %s, %d followers, %d events, GOMAXPROCS %d (NumCPU %d), set up in %s\n",
		o.engine, o.followers, o.events, runtime.GOMAXPROCS(0), runtime.NumCPU(), time.Since(t0).Round(time.Millisecond))
	jc := e.srv.Jobs().Config()
	fmt.Printf("jobs: poll %s, %d mail workers; comments every %s\n\n", jc.PollInterval, jc.MailWorkers,
		orDefault(o.interval, "0 (one after the other)"))

	// Warm up (templates, connections, statements), then the baseline: the
	// same call on a measure nobody follows, with nothing in the background.
	for i := 0; i < 10; i++ {
		if _, err := e.comment(ctx, author, quiet, fmt.Sprintf("Échauffement %d.", i)); err != nil {
			return err
		}
	}
	if err := e.settle(ctx, "notify.fanout", time.Minute); err != nil {
		return err
	}
	idle := make([]time.Duration, 0, o.events)
	for i := 0; i < o.events; i++ {
		c, err := e.comment(ctx, author, quiet, fmt.Sprintf("Avis de référence n° %d.", i))
		if err != nil {
			return err
		}
		idle = append(idle, c.latency)
		time.Sleep(o.interval)
	}
	if err := e.settle(ctx, "notify.fanout", time.Minute); err != nil {
		return err
	}

	// The run: each comment on the followed measure is followed by one on
	// the quiet measure, which therefore meets the same background work.
	var loud, along []posted
	for i := 0; i < o.events; i++ {
		c, err := e.comment(ctx, author, followed, fmt.Sprintf("Avis n° %d sur la mesure suivie : préciser le calendrier.", i))
		if err != nil {
			return err
		}
		loud = append(loud, c)
		c, err = e.comment(ctx, author, quiet, fmt.Sprintf("Avis n° %d sur l'autre mesure.", i))
		if err != nil {
			return err
		}
		along = append(along, c)
		time.Sleep(o.interval)
	}
	if o.latencyOnly {
		printLatency(os.Stdout, o.followers, idle, latencies(loud), latencies(along))
		return nil
	}
	want := int64(o.followers) * int64(o.events)
	if err := e.waitMail(ctx, want, loud[0].committed, o.timeout); err != nil {
		return err
	}
	if err := e.settle(ctx, "mail.send", time.Minute); err != nil {
		return err
	}
	r, err := e.analyse(ctx, o, loud)
	if err != nil {
		return err
	}
	r.idle, r.along = idle, latencies(along)
	r.print(os.Stdout)
	return r.check()
}

// posted is one comment call.
type posted struct {
	id        int64
	latency   time.Duration
	committed time.Time // when the answer came: the transaction had committed
}

func (e *env) comment(ctx context.Context, p person, measureID int64, body string) (posted, error) {
	var out struct {
		ID int64 `json:"id"`
	}
	t := time.Now()
	err := e.call(ctx, p, "POST", fmt.Sprintf("/api/v1/measures/%d/comments", measureID), map[string]any{"body": body}, &out, 201)
	done := time.Now()
	return posted{id: out.ID, latency: done.Sub(t), committed: done}, err
}

// waitMail waits for the SMTP server to have accepted want messages,
// printing the progress every ten seconds.
func (e *env) waitMail(ctx context.Context, want int64, since time.Time, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	next := time.Now().Add(10 * time.Second)
	for {
		n := e.box.Count()
		if n >= want {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d mails accepted after %s", n, want, limit)
		}
		if time.Now().After(next) {
			el := time.Since(since)
			fmt.Fprintf(os.Stderr, "  %6.0fs: %d/%d mails, %.0f/s\n", el.Seconds(), n, want, float64(n)/el.Seconds())
			next = next.Add(10 * time.Second)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func latencies(ps []posted) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = p.latency
	}
	return out
}

func orDefault(d time.Duration, def string) string {
	if d == 0 {
		return def
	}
	return d.String()
}
