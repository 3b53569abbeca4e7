// Command measures fills a database with 2,000 measures and 50,000 comments,
// then measures with concurrent readers the throughput and latency of the
// measure page (a measure with 200 comments) and of the measures list, each
// against the same server serving a static file of the same size.
//
//	go run ./bench/measures                      # SQLite in a temporary directory
//	go run ./bench/measures -db postgres://…     # PostgreSQL (an empty schema)
//	go run ./bench/measures -c 32 -d 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"pacte/bench/measuresbench"
)

func main() {
	o := measuresbench.Defaults()
	flag.IntVar(&o.Measures, "measures", o.Measures, "measures in the database")
	flag.IntVar(&o.Comments, "comments", o.Comments, "comments in the database")
	flag.IntVar(&o.HotComments, "hot", o.HotComments, "comments on the measured measure")
	flag.IntVar(&o.Concurrency, "c", o.Concurrency, "concurrent readers")
	flag.DurationVar(&o.Duration, "d", o.Duration, "duration of each run")
	flag.StringVar(&o.DatabaseURL, "db", "", "PostgreSQL URL (default: SQLite in a temporary directory)")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the page runs to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var cpuProfile string

func run(o measuresbench.Options) error {
	ctx := context.Background()
	engine := "sqlite"
	if o.DatabaseURL != "" {
		engine = "postgres"
	}
	t0 := time.Now()
	env, err := measuresbench.Setup(ctx, o)
	if err != nil {
		return err
	}
	defer env.Close()
	fmt.Printf("engine %s, %d measures, %d comments (%d on measure %d), filled in %s\n",
		engine, o.Measures, o.Comments, o.HotComments, env.HotID, time.Since(t0).Round(time.Millisecond))
	fmt.Printf("%d readers, %s per run, GOMAXPROCS %d\n\n", o.Concurrency, o.Duration, runtime.GOMAXPROCS(0))
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	for _, page := range []struct{ name, path string }{
		{"measure page (200 comments)", measuresbench.PathOf("/measures/%d", env.HotID)},
		{"same page, no comments", measuresbench.PathOf("/measures/%d", env.QuietID)},
		{"measures list", "/measures"},
	} {
		c, err := env.Compare(ctx, page.name, page.path, o.Concurrency, o.Duration)
		if err != nil {
			return err
		}
		fmt.Println(c.Page)
		fmt.Println(c.Static)
		fmt.Printf("%-28s %8.1f %% of the static baseline\n\n", "ratio", 100*c.Ratio())
	}
	return nil
}
