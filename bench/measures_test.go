package bench_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"

	"pacte/bench/measuresbench"
)

// The measures benchmarks share one filled database (2,000 measures, 50,000
// comments); it is only built when benchmarks run:
//
//	go test -run '^$' -bench . ./bench/
//	go test -run '^$' -bench MeasurePage -cpuprofile cpu.out ./bench/
var env *measuresbench.Env

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	o := measuresbench.Defaults()
	o.DatabaseURL = os.Getenv("PACTE_BENCH_DATABASE_URL")
	var err error
	env, err = measuresbench.Setup(context.Background(), o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench setup:", err)
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

func get(b *testing.B, client *http.Client, path string) {
	b.Helper()
	page, err := env.Get(client, path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("GET", env.URL+path, nil)
			req.Header.Set("Accept", "text/html")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("GET %s: %d", path, resp.StatusCode)
				return
			}
		}
	})
}

// static serves a file of the size of the page at path.
func static(b *testing.B, path string) string {
	page, err := env.Get(env.Client, path)
	if err != nil {
		b.Fatal(err)
	}
	p, err := env.StaticTwin(page)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkMeasurePage(b *testing.B) { get(b, env.Client, fmt.Sprintf("/measures/%d", env.HotID)) }

func BenchmarkMeasurePageNoComments(b *testing.B) {
	get(b, env.Client, fmt.Sprintf("/measures/%d", env.QuietID))
}

func BenchmarkMeasuresList(b *testing.B) { get(b, env.Client, "/measures") }

func BenchmarkMeasureAPI(b *testing.B) {
	get(b, env.Client, fmt.Sprintf("/api/v1/measures/%d", env.HotID))
}

func BenchmarkStaticBaseline_MeasurePage(b *testing.B) {
	get(b, env.Anon, static(b, fmt.Sprintf("/measures/%d", env.HotID)))
}

func BenchmarkStaticBaseline_MeasurePageNoComments(b *testing.B) {
	get(b, env.Anon, static(b, fmt.Sprintf("/measures/%d", env.QuietID)))
}

func BenchmarkStaticBaseline_MeasuresList(b *testing.B) { get(b, env.Anon, static(b, "/measures")) }
