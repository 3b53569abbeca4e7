package server

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// metrics keeps the few figures /metrics exposes in Prometheus text format.
// A hand-written registry is enough for counters and one histogram, and
// spares the binary a dependency.
type metrics struct {
	mu        sync.Mutex
	requests  map[reqKey]uint64
	buckets   []float64 // seconds
	histCount map[string][]uint64
	histSum   map[string]float64
	histN     map[string]uint64

	WSConnections   atomic.Int64
	EventsPublished atomic.Uint64
	EventsDelivered atomic.Uint64
	WSDropped       atomic.Uint64
}

type reqKey struct {
	method, route string
	status        int
}

func newMetrics() *metrics {
	return &metrics{
		requests:  map[reqKey]uint64{},
		buckets:   []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		histCount: map[string][]uint64{},
		histSum:   map[string]float64{},
		histN:     map[string]uint64{},
	}
}

func (m *metrics) observeRequest(method, route string, status int, d time.Duration) {
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{method, route, status}]++
	counts := m.histCount[route]
	if counts == nil {
		counts = make([]uint64, len(m.buckets))
		m.histCount[route] = counts
	}
	for i, b := range m.buckets {
		if sec <= b {
			counts[i]++
		}
	}
	m.histSum[route] += sec
	m.histN[route]++
}

// methodLabel bounds the method label: any other method is "other", so
// that made-up methods cannot grow the series without end. (Routes are
// bounded already: the route pattern, or "unmatched".)
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// metricsAllowed: a scraper on loopback that came straight in (a reverse
// proxy on the same host would add a forwarding header), or one that sends
// the metrics token.
func (s *Server) metricsAllowed(c echo.Context) bool {
	r := c.Request()
	if tok := s.cfg.MetricsToken; tok != "" {
		if raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(raw)), []byte(tok)) == 1 {
			return true
		}
	}
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-IP") != "" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) handleMetrics(c echo.Context) error {
	if !s.metricsAllowed(c) {
		s.denied(c, "metrics from outside loopback without the token")
		return models.CodedError(models.EForbidden, "forbidden", "Metrics are served to loopback, or with the metrics token.")
	}
	m := s.metrics
	var b strings.Builder
	m.mu.Lock()
	b.WriteString("# HELP pacte_http_requests_total HTTP requests by method, route and status.\n# TYPE pacte_http_requests_total counter\n")
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		if keys[i].method != keys[j].method {
			return keys[i].method < keys[j].method
		}
		return keys[i].status < keys[j].status
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "pacte_http_requests_total{method=%q,route=%q,status=\"%d\"} %d\n", k.method, k.route, k.status, m.requests[k])
	}
	b.WriteString("# HELP pacte_http_request_duration_seconds HTTP request latency by route.\n# TYPE pacte_http_request_duration_seconds histogram\n")
	routes := make([]string, 0, len(m.histN))
	for r := range m.histN {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		for i, le := range m.buckets {
			fmt.Fprintf(&b, "pacte_http_request_duration_seconds_bucket{route=%q,le=\"%g\"} %d\n", r, le, m.histCount[r][i])
		}
		fmt.Fprintf(&b, "pacte_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", r, m.histN[r])
		fmt.Fprintf(&b, "pacte_http_request_duration_seconds_sum{route=%q} %g\n", r, m.histSum[r])
		fmt.Fprintf(&b, "pacte_http_request_duration_seconds_count{route=%q} %d\n", r, m.histN[r])
	}
	m.mu.Unlock()
	fmt.Fprintf(&b, "# HELP pacte_websocket_connections Open websocket connections.\n# TYPE pacte_websocket_connections gauge\npacte_websocket_connections %d\n", m.WSConnections.Load())
	fmt.Fprintf(&b, "# HELP pacte_events_published_total Events published to live clients.\n# TYPE pacte_events_published_total counter\npacte_events_published_total %d\n", m.EventsPublished.Load())
	fmt.Fprintf(&b, "# HELP pacte_events_delivered_total Event messages queued to websocket clients.\n# TYPE pacte_events_delivered_total counter\npacte_events_delivered_total %d\n", m.EventsDelivered.Load())
	fmt.Fprintf(&b, "# HELP pacte_websocket_dropped_total Slow websocket clients disconnected.\n# TYPE pacte_websocket_dropped_total counter\npacte_websocket_dropped_total %d\n", m.WSDropped.Load())
	mc := &s.jobs.Counters
	fmt.Fprintf(&b, "# HELP pacte_mail_total Mail by outcome: sent, retried (a temporary failure), failed (for good), dropped (no longer to send).\n# TYPE pacte_mail_total counter\n")
	for _, r := range []struct {
		name string
		n    int64
	}{{"sent", mc.Sent.Load()}, {"retried", mc.Retried.Load()}, {"failed", mc.Failed.Load()}, {"dropped", mc.Dropped.Load()}} {
		fmt.Fprintf(&b, "pacte_mail_total{result=%q} %d\n", r.name, r.n)
	}
	s.writeAuditMetrics(c.Request().Context(), &b)
	retained := s.jobs.Retained.Snapshot()
	kinds := make([]string, 0, len(retained))
	for k := range retained {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	b.WriteString("# HELP pacte_retention_removed_total Rows and mail files the retention job removed, by kind.\n# TYPE pacte_retention_removed_total counter\n")
	for _, k := range kinds {
		fmt.Fprintf(&b, "pacte_retention_removed_total{kind=%q} %d\n", k, retained[k])
	}
	return c.Blob(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}

func (s *Server) handleHealthz(c echo.Context) error {
	if err := s.store.Ping(c.Request().Context()); err != nil {
		s.log.Error("health check failed", "err", err.Error())
		c.Response().Header().Set("Retry-After", retryAfterSeconds) // as every other 503
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}
