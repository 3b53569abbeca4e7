package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// target is one thing the readers ask for: a path, the headers they send
// and the status they expect.
type target struct {
	name    string
	path    string
	headers map[string]string
	status  int
}

// result is one target's load, all rounds together.
type result struct {
	name     string
	requests int
	errors   int
	bytes    int64 // of one answer's body
	elapsed  time.Duration
	lat      []time.Duration // sorted
}

func (r *result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r *result) pct(p int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, len(r.lat)*p/100)]
}

func (r *result) String() string {
	return fmt.Sprintf("%-34s %7.0f req/s  p50 %7.2f ms  p99 %7.2f ms  %7d B  (%d requests, %d errors)",
		r.name, r.rps(), ms(r.pct(50)), ms(r.pct(99)), r.bytes, r.requests, r.errors)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// merge adds a round to r.
func (r *result) merge(o *result) {
	r.name = o.name
	r.requests += o.requests
	r.errors += o.errors
	r.bytes = max(r.bytes, o.bytes)
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
}

// load has c readers, each on its own kept-alive connection, ask for the
// target one request after the other for d.
func (e *env) load(ctx context.Context, t target, c int, d time.Duration) *result {
	var mu sync.Mutex
	var lat []time.Duration
	var errs, size atomic.Int64
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				n, status, err := e.get(ctx, t.path, t.headers)
				if err != nil || status != t.status {
					errs.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
				size.Store(n)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return &result{name: t.name, requests: len(lat), errors: int(errs.Load()), bytes: size.Load(),
		elapsed: time.Since(start), lat: lat}
}

// compare loads the targets in interleaved rounds, so that whatever else
// the machine does meanwhile weighs on each alike; a short warm-up first.
func (e *env) compare(ctx context.Context, targets []target, c int, d time.Duration, rounds int) []*result {
	for _, t := range targets {
		e.load(ctx, t, c, d/10)
	}
	out := make([]*result, len(targets))
	for i := range out {
		out[i] = &result{}
	}
	for round := 0; round < rounds; round++ {
		for i, t := range targets {
			out[i].merge(e.load(ctx, t, c, d/time.Duration(rounds)))
		}
	}
	for _, r := range out {
		slices.Sort(r.lat)
	}
	return out
}

// get reads a path to the end and returns the body's size and the status.
func (e *env) get(ctx context.Context, path string, headers map[string]string) (int64, int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", e.url+path, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Accept", "text/html")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return n, resp.StatusCode, err
}
