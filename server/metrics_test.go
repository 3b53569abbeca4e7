package server_test

import (
	"fmt"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// /metrics answers loopback scrapers that came straight in, and anyone with
// the metrics token; a request a proxy forwarded (or any other) is refused.
func TestMetrics_OnlyLoopbackOrToken(t *testing.T) {
	const token = "metrics-token-0123456789"
	app := servertest.New(t, models.SQLite, servertest.WithConfig(func(c *server.Config) { c.MetricsToken = token }))
	c := script(app)
	r := c.Request("GET", "/metrics", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), "pacte_http_requests_total") {
		t.Fatalf("loopback scrape: %d", r.Status)
	}
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-IP"} {
		c := script(app)
		c.Headers[h] = "203.0.113.9"
		wantError(t, c.Request("GET", "/metrics", nil), 403, "forbidden")
		c.Bearer = "wrong-" + token
		wantError(t, c.Request("GET", "/metrics", nil), 403, "forbidden")
		c.Bearer = token
		wantStatus(t, c.Request("GET", "/metrics", nil), 200)
	}
	// Without a token configured, only loopback.
	plain := servertest.New(t, models.SQLite)
	p := script(plain)
	p.Headers["X-Forwarded-For"] = "203.0.113.9"
	p.Bearer = token
	wantError(t, p.Request("GET", "/metrics", nil), 403, "forbidden")
}

// Made-up methods and paths do not make new series: every label is bounded.
func TestMetrics_LabelsBounded(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	c := script(app)
	for i := 0; i < 300; i++ {
		c.Raw(fmt.Sprintf("M%dX", i), fmt.Sprintf("/no/such/page/%d", i), "", nil)
		c.Raw(fmt.Sprintf("Q%d", i), "/api/v1/organizations", "", nil)
		c.Raw("GET", fmt.Sprintf("/static/nothing-%d.css", i), "", nil)
	}
	r := c.Request("GET", "/metrics", nil)
	series := 0
	for _, line := range strings.Split(string(r.Body), "\n") {
		if strings.HasPrefix(line, "pacte_http_requests_total{") || strings.HasPrefix(line, "pacte_http_request_duration_seconds_count{") {
			series++
			if strings.Contains(line, "M1X") || strings.Contains(line, "/no/such/page/") || strings.Contains(line, "nothing-") {
				t.Errorf("an unbounded label value: %s", line)
			}
		}
	}
	if series > 40 {
		t.Errorf("%d request series after 900 odd requests; every label should be bounded", series)
	}
}
