// Command wsload measures Pacte's live fan-out: N websocket clients
// subscribed to one measure on one instance, comments created through the
// API at a steady rate. It reports delivered messages per second, delivery
// latency (from the API call to receipt) at p50 and p99, lost events and the
// server's resident memory per connection, and runs the same load in the same
// run against a minimal gorilla/websocket broadcaster (one PreparedMessage per
// event, a queue and a writer per client, nothing else) as the floor to
// compare with. See README.md.
//
// Everything runs on loopback: the driver starts each server as a child
// process of this same binary (so its memory is measured alone) and stops it.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	log.SetFlags(log.Ltime)
	serve := flag.String("serve", "", "internal: run a server child (pacte or baseline)")
	dataDir := flag.String("data", "", "internal: the pacte child's data directory")
	dbURL := flag.String("db", "", "PostgreSQL URL for Pacte (default: SQLite in a temporary directory)")
	clientsFlag := flag.String("clients", "1000,10000", "client counts, comma-separated")
	rate := flag.Float64("rate", 5, "events per second in the steady run")
	duration := flag.Duration("duration", 20*time.Second, "length of the steady run")
	saturate := flag.Bool("saturate", true, "after the steady run at the largest client count, raise the rate to saturation")
	rampFlag := flag.String("ramp", "8,11,14,17,20,24,28", "event rates (per second) of the saturation ramp")
	step := flag.Duration("step", 6*time.Second, "length of each saturation step")
	systemsFlag := flag.String("systems", "pacte,baseline", "systems to run, in this order, for each client count")
	msgBytes := flag.Int("msg-bytes", 0, "size of the baseline's messages (default: the size of Pacte's comment event, measured when Pacte runs first, else 440)")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	flag.Parse()
	raiseFileLimit()

	if os.Getenv("WSLOAD_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1 // exact profiles, for finding what a connection costs
	}
	serveName = *serve
	switch *serve {
	case "pacte":
		servePacte(*dataDir, *dbURL)
		return
	case "baseline":
		serveBaseline()
		return
	case "":
	default:
		log.Fatalf("unknown -serve %q", *serve)
	}

	var counts []int
	for _, s := range strings.Split(*clientsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			log.Fatalf("bad -clients %q", *clientsFlag)
		}
		counts = append(counts, n)
	}
	var ramp []float64
	for _, s := range strings.Split(*rampFlag, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || r <= 0 {
			log.Fatalf("bad -ramp %q", *rampFlag)
		}
		ramp = append(ramp, r)
	}
	d := &driver{rate: *rate, duration: *duration, ramp: ramp, step: *step, dbURL: *dbURL, msgBytes: *msgBytes}
	systems := strings.Split(*systemsFlag, ",")
	var results []*result
	for i, n := range counts {
		sat := *saturate && i == len(counts)-1
		for _, sys := range systems {
			sys = strings.TrimSpace(sys)
			r, err := d.run(sys, n, sat)
			if err != nil {
				log.Fatalf("%s with %d clients: %v", sys, n, err)
			}
			results = append(results, r)
		}
	}
	report(os.Stdout, results)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// raiseFileLimit lifts the open-file limit to the hard maximum: 10,000
// clients need 10,000 sockets in the driver and as many in the server.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// --- results ----------------------------------------------------------------

// phase is one measured stretch of load.
type phase struct {
	Rate           float64 `json:"rate"`               // events per second offered
	Events         int     `json:"events"`             // events created
	Expected       int64   `json:"expected"`           // events × clients
	Delivered      int64   `json:"delivered"`          // distinct deliveries received
	Duplicates     int64   `json:"duplicates"`         // deliveries of an event a client already had
	Lost           int64   `json:"lost"`               // expected - delivered
	PerSecond      float64 `json:"per_second"`         // deliveries received per second during the phase
	P50ms          float64 `json:"p50_ms"`             // API call → receipt
	P99ms          float64 `json:"p99_ms"`             //
	Dropped        int64   `json:"dropped_clients"`    // connections the server closed
	APIErrors      int64   `json:"api_errors"`         // event creations that failed
	MessageBytes   int     `json:"message_bytes"`      // size of one delivered message
	APIp50ms       float64 `json:"api_p50_ms"`         // how long the API call itself took
	APIp99ms       float64 `json:"api_p99_ms"`         //
	ServerCPU      float64 `json:"server_cpu_seconds"` // CPU time the server used during the phase
	CPUPerDelivery float64 `json:"server_cpu_us_per_delivery"`
	ClientsAtStart int     `json:"clients_at_start"` // live clients when it began
}

type result struct {
	System     string  `json:"system"`
	Clients    int     `json:"clients"`
	RSSIdleKiB int64   `json:"rss_idle_kib"`
	RSSConnKiB int64   `json:"rss_connected_kib"`
	PerConnKiB float64 `json:"rss_per_connection_kib"`
	ConnectSec float64 `json:"connect_seconds"`
	Steady     phase   `json:"steady"`
	Ramp       []phase `json:"ramp,omitempty"`
	// SaturationPerSecond is the highest delivery rate a ramp step sustained.
	SaturationPerSecond float64 `json:"saturation_per_second,omitempty"`
}

func report(w io.Writer, results []*result) {
	fmt.Fprintf(w, "\n%-8s %-9s %5s %6s %10s %6s %4s %10s %9s %9s %9s %8s %10s\n",
		"clients", "system", "rate", "events", "delivered", "lost", "dup", "deliv/s", "p50", "p99", "KiB/conn", "msg B", "cpu µs/msg")
	for _, r := range results {
		p := r.Steady
		fmt.Fprintf(w, "%-8d %-9s %5.1f %6d %10d %6d %4d %10.0f %7.1fms %7.1fms %9.1f %8d %10.2f\n",
			r.Clients, r.System, p.Rate, p.Events, p.Delivered, p.Lost, p.Duplicates, p.PerSecond, p.P50ms, p.P99ms, r.PerConnKiB, p.MessageBytes, p.CPUPerDelivery)
	}
	byKey := map[string]*result{}
	for _, r := range results {
		byKey[fmt.Sprintf("%s/%d", r.System, r.Clients)] = r
	}
	fmt.Fprintln(w)
	for _, r := range results {
		if r.System != "pacte" {
			continue
		}
		b := byKey[fmt.Sprintf("baseline/%d", r.Clients)]
		if b == nil {
			continue
		}
		fmt.Fprintf(w, "%d clients: pacte/baseline p99 %.2f×, p50 %.2f×, memory per connection %.1f vs %.1f KiB\n",
			r.Clients, ratio(r.Steady.P99ms, b.Steady.P99ms), ratio(r.Steady.P50ms, b.Steady.P50ms), r.PerConnKiB, b.PerConnKiB)
		if len(r.Ramp) > 0 && len(b.Ramp) > 0 {
			fmt.Fprintf(w, "%d clients: saturation pacte %.0f/s, baseline %.0f/s: %.0f%% of the baseline\n",
				r.Clients, r.SaturationPerSecond, b.SaturationPerSecond, 100*ratio(r.SaturationPerSecond, b.SaturationPerSecond))
		}
	}
	for _, r := range results {
		if len(r.Ramp) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nramp, %s, %d clients:\n", r.System, r.Clients)
		for _, p := range r.Ramp {
			fmt.Fprintf(w, "  %5.1f ev/s  offered %8.0f/s  delivered %8.0f/s  p50 %7.1fms  p99 %7.1fms  lost %d  dropped %d  api errors %d  api call p99 %.1fms  server cpu %.2f µs/msg\n",
				p.Rate, p.Rate*float64(p.ClientsAtStart), p.PerSecond, p.P50ms, p.P99ms, p.Lost, p.Dropped, p.APIErrors, p.APIp99ms, p.CPUPerDelivery)
		}
	}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// --- driver ----------------------------------------------------------------

type driver struct {
	rate     float64
	duration time.Duration
	ramp     []float64
	step     time.Duration
	dbURL    string
	msgBytes int // the size of a Pacte event, which the baseline's messages copy
}

// child is a server process.
type child struct {
	cmd  *exec.Cmd
	info childInfo
}

type childInfo struct {
	URL     string `json:"url"`
	Token   string `json:"token"`
	Measure int64  `json:"measure"`
}

func startChild(args ...string) (*child, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("child did not start: %w", err)
	}
	c := &child{cmd: cmd}
	if err := json.Unmarshal(line, &c.info); err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("child said %q: %w", line, err)
	}
	return c, nil
}

func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// rssKiB reads the child's resident memory after asking it to collect
// garbage and return free memory to the system.
func (c *child) rssKiB(settle time.Duration) int64 {
	c.cmd.Process.Signal(syscall.SIGUSR1)
	time.Sleep(settle)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}

func (d *driver) run(system string, n int, saturate bool) (*result, error) {
	log.Printf("== %s, %d clients", system, n)
	var (
		c   *child
		err error
	)
	switch system {
	case "pacte":
		dir, derr := os.MkdirTemp("", "wsload-")
		if derr != nil {
			return nil, derr
		}
		defer os.RemoveAll(dir)
		args := []string{"-serve=pacte", "-data", dir}
		if d.dbURL != "" {
			args = append(args, "-db", d.dbURL)
		}
		c, err = startChild(args...)
	case "baseline":
		c, err = startChild("-serve=baseline")
	default:
		return nil, fmt.Errorf("unknown system %q", system)
	}
	if err != nil {
		return nil, err
	}
	defer c.stop()
	res := &result{System: system, Clients: n}
	res.RSSIdleKiB = c.rssKiB(time.Second)

	l := newLoad(system, c.info, n)
	l.pid = c.cmd.Process.Pid
	start := time.Now()
	if err := l.connect(); err != nil {
		return nil, err
	}
	res.ConnectSec = time.Since(start).Seconds()
	log.Printf("%d clients connected in %.1fs", n, res.ConnectSec)
	res.RSSConnKiB = c.rssKiB(3 * time.Second)
	res.PerConnKiB = float64(res.RSSConnKiB-res.RSSIdleKiB) / float64(n)
	log.Printf("RSS idle %d KiB, connected %d KiB: %.1f KiB per connection", res.RSSIdleKiB, res.RSSConnKiB, res.PerConnKiB)

	if system != "pacte" && d.msgBytes == 0 {
		d.msgBytes = 440
	}
	if system == "pacte" && d.msgBytes == 0 {
		// One event first: its size is what the baseline sends.
		p := l.phase(1, 1, 5*time.Second, d.msgBytes)
		if p.Delivered == 0 {
			return nil, errors.New("the calibration event never arrived")
		}
		d.msgBytes = p.MessageBytes
		log.Printf("a comment event is %d bytes on the wire", d.msgBytes)
	}
	res.Steady = l.phase(d.rate, int(d.rate*d.duration.Seconds()), 5*time.Second, d.msgBytes)
	log.Printf("steady: %+v", res.Steady)
	if saturate {
		c.cmd.Process.Signal(syscall.SIGUSR2) // profile the ramp, when WSLOAD_CPUPROFILE asks for it
		defer c.cmd.Process.Signal(syscall.SIGUSR2)
		for _, r := range d.ramp {
			p := l.phase(r, int(r*d.step.Seconds()), 3*time.Second, d.msgBytes)
			log.Printf("ramp %.0f/s: delivered %.0f/s p99 %.1fms lost %d dropped %d", r, p.PerSecond, p.P99ms, p.Lost, p.Dropped)
			res.Ramp = append(res.Ramp, p)
			best := res.SaturationPerSecond
			if p.PerSecond > best {
				res.SaturationPerSecond = p.PerSecond
			}
			// Past saturation: it loses events, or it no longer keeps up
			// and no longer delivers more than at the step before.
			if p.Lost > p.Expected/100 || (p.PerSecond < 0.9*r*float64(p.ClientsAtStart) && p.PerSecond < 1.02*best) {
				break
			}
		}
	}
	l.close()
	return res, nil
}

// --- load --------------------------------------------------------------------

const maxSeq = 1 << 14 // events per client run, for the seen bitsets

// load is N clients of one server and the event source.
type load struct {
	pid     int // the server's
	system  string
	info    childInfo
	n       int
	clients []*wsClient
	http    *http.Client
	nextSeq int
	alive   atomic.Int64
	cur     atomic.Pointer[tally]
}

// tally collects one phase's receipts.
type tally struct {
	sent      [maxSeq]atomic.Int64 // send time (UnixNano) per seq; 0 = not in this phase
	hist      histogram
	apiHist   histogram
	delivered atomic.Int64
	dups      atomic.Int64
	bytes     atomic.Int64
	from, to  int // seq range of the phase
	winStart  atomic.Int64
	winEnd    atomic.Int64
	inWindow  atomic.Int64 // deliveries received between winStart and winEnd
}

type wsClient struct {
	conn *websocket.Conn
	seen [maxSeq / 64]uint64
	l    *load
}

func newLoad(system string, info childInfo, n int) *load {
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	return &load{system: system, info: info, n: n, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func wsURL(u string) string { return "ws" + strings.TrimPrefix(u, "http") + "/ws" }

func (l *load) connect() error {
	l.clients = make([]*wsClient, l.n)
	dialer := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 512, HandshakeTimeout: 60 * time.Second}
	h := http.Header{}
	if l.system == "pacte" {
		h.Set("Authorization", "Bearer "+l.info.Token)
	}
	sub, _ := json.Marshal(map[string]any{"type": "subscribe", "topic": fmt.Sprintf("measure:%d", l.info.Measure)})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		first   error
		next    atomic.Int64
		workers = 100
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= l.n {
					return
				}
				c, err := l.dialOne(dialer, h, sub)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("client %d: %w", i, err)
					}
					mu.Unlock()
					return
				}
				l.clients[i] = c
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	for _, c := range l.clients {
		l.alive.Add(1)
		go c.readLoop()
	}
	return nil
}

func (l *load) dialOne(dialer websocket.Dialer, h http.Header, sub []byte) (*wsClient, error) {
	var conn *websocket.Conn
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		conn, _, err = dialer.Dial(wsURL(l.info.URL), h)
		if err == nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	if err != nil {
		return nil, err
	}
	ready := "hello"
	if l.system == "pacte" {
		ready = "subscribed"
		if err := conn.WriteMessage(websocket.TextMessage, sub); err != nil {
			return nil, err
		}
	}
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return nil, err
		}
		if bytes.Contains(msg, []byte(`"type":"`+ready+`"`)) {
			break
		}
	}
	conn.SetReadDeadline(time.Time{})
	return &wsClient{conn: conn, l: l}, nil
}

var marker = []byte("bseq-")

// readLoop receives until the connection ends; Pacte's pings are answered
// by the library while it reads.
func (c *wsClient) readLoop() {
	defer c.l.alive.Add(-1)
	var buf bytes.Buffer
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		now := time.Now().UnixNano()
		t := c.l.cur.Load()
		if t == nil {
			continue
		}
		msg := buf.Bytes()
		i := bytes.Index(msg, marker)
		if i < 0 || i+len(marker)+6 > len(msg) {
			continue
		}
		seq, err := strconv.Atoi(string(msg[i+len(marker) : i+len(marker)+6]))
		if err != nil || seq < t.from || seq >= t.to {
			continue
		}
		sent := t.sent[seq].Load()
		if sent == 0 {
			continue
		}
		w, bit := seq/64, uint64(1)<<(seq%64)
		if c.seen[w]&bit != 0 {
			t.dups.Add(1)
			continue
		}
		c.seen[w] |= bit
		t.delivered.Add(1)
		t.bytes.Add(int64(len(msg)))
		t.hist.add(time.Duration(now - sent))
		if now >= t.winStart.Load() && now <= t.winEnd.Load() {
			t.inWindow.Add(1)
		}
	}
}

func (l *load) close() {
	for _, c := range l.clients {
		if c != nil {
			c.conn.Close()
		}
	}
}

// phase creates events at rate for count events, waits up to drain for the
// last deliveries, and tallies.
func (l *load) phase(rate float64, count int, drain time.Duration, msgBytes int) phase {
	cpu0 := l.serverCPU()
	if l.nextSeq+count > maxSeq {
		count = maxSeq - l.nextSeq
	}
	t := &tally{from: l.nextSeq, to: l.nextSeq + count}
	l.nextSeq += count
	l.cur.Store(t)
	clients := int(l.alive.Load())
	p := phase{Rate: rate, Events: count, ClientsAtStart: clients}
	var apiErrors atomic.Int64
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	t.winStart.Store(start.UnixNano())
	t.winEnd.Store(start.Add(time.Duration(count) * interval).UnixNano())
	var wg sync.WaitGroup
	for i := 0; i < count; i++ {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		seq := t.from + i
		wg.Add(1)
		go func() {
			defer wg.Done()
			callStart := time.Now()
			t.sent[seq].Store(callStart.UnixNano())
			err := l.create(seq, msgBytes)
			t.apiHist.add(time.Since(callStart))
			if err != nil {
				t.sent[seq].Store(0)
				if apiErrors.Add(1) == 1 {
					log.Printf("creating event %d: %v", seq, err)
				}
			}
		}()
	}
	wg.Wait()
	sentOK := int64(count) - apiErrors.Load()
	// Wait for the stragglers: until everything arrived or nothing more does.
	deadline := time.Now().Add(drain)
	last, lastChange := t.delivered.Load(), time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		d := t.delivered.Load()
		if d >= sentOK*int64(clients) {
			break
		}
		if d != last {
			last, lastChange = d, time.Now()
		} else if time.Since(lastChange) > time.Second && d > 0 {
			break
		}
	}
	l.cur.Store(nil)
	elapsed := time.Duration(t.winEnd.Load() - t.winStart.Load())
	p.Expected = sentOK * int64(clients)
	p.Delivered = t.delivered.Load()
	p.Duplicates = t.dups.Load()
	p.Lost = p.Expected - p.Delivered
	p.PerSecond = float64(t.inWindow.Load()) / elapsed.Seconds()
	p.P50ms = t.hist.quantile(0.50).Seconds() * 1000
	p.P99ms = t.hist.quantile(0.99).Seconds() * 1000
	p.APIp50ms = t.apiHist.quantile(0.50).Seconds() * 1000
	p.APIp99ms = t.apiHist.quantile(0.99).Seconds() * 1000
	p.Dropped = int64(clients) - l.alive.Load()
	p.APIErrors = apiErrors.Load()
	if p.Delivered > 0 {
		p.MessageBytes = int(t.bytes.Load() / p.Delivered)
	}
	p.ServerCPU = l.serverCPU() - cpu0
	if p.Delivered > 0 {
		p.CPUPerDelivery = p.ServerCPU / float64(p.Delivered) * 1e6
	}
	return p
}

// serverCPU is the CPU time (user + system) the server child has used, in
// seconds: a figure less at the mercy of other work on the machine than
// latency.
func (l *load) serverCPU() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", l.pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // clock ticks (USER_HZ = 100 on Linux)
}

// create makes one event: a comment through Pacte's API, or a message of
// the same size handed to the baseline broadcaster.
func (l *load) create(seq, msgBytes int) error {
	var req *http.Request
	var err error
	tag := fmt.Sprintf("bseq-%06d-", seq)
	if l.system == "pacte" {
		body, _ := json.Marshal(map[string]string{"body": tag + " Proposition de mesure: mutualiser l'hébergement cloud des administrations régionales."})
		req, err = http.NewRequest("POST", fmt.Sprintf("%s/api/v1/measures/%d/comments", l.info.URL, l.info.Measure), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+l.info.Token)
		req.Header.Set("Content-Type", "application/json")
	} else {
		msg := fmt.Sprintf(`{"type":"event","id":%d,"topic":"measure:1","event":"comment.created","data":{"tag":"%s","pad":"`, seq, tag)
		pad := msgBytes - len(msg) - len(`"}}`)
		if pad < 0 {
			pad = 0
		}
		msg += strings.Repeat("x", pad) + `"}}`
		req, err = http.NewRequest("POST", l.info.URL+"/publish", strings.NewReader(msg))
		if err != nil {
			return err
		}
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// histogram of latencies: 100 µs buckets up to 10 s.
type histogram struct {
	buckets [100000]atomic.Int64
	over    atomic.Int64
	n       atomic.Int64
}

func (h *histogram) add(d time.Duration) {
	h.n.Add(1)
	i := int(d / (100 * time.Microsecond))
	if i < 0 {
		i = 0
	}
	if i >= len(h.buckets) {
		h.over.Add(1)
		return
	}
	h.buckets[i].Add(1)
}

func (h *histogram) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	want := int64(math.Ceil(q * float64(n)))
	var acc int64
	for i := range h.buckets {
		acc += h.buckets[i].Load()
		if acc >= want {
			return time.Duration(i+1) * 100 * time.Microsecond
		}
	}
	return 10 * time.Second
}

// --- servers -----------------------------------------------------------------

// onSignals frees memory on SIGUSR1 (so the driver reads a settled RSS) and
// exits on SIGTERM.
func onSignals(stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for s := range ch {
			if s == syscall.SIGUSR2 {
				toggleProfile()
				continue
			}
			if s == syscall.SIGUSR1 {
				runtime.GC()
				debug.FreeOSMemory()
				if os.Getenv("WSLOAD_MEMSTATS") != "" {
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					log.Printf("child: goroutines %d, heap in use %d KiB, stacks %d KiB, other sys %d KiB",
						runtime.NumGoroutine(), ms.HeapInuse>>10, ms.StackInuse>>10, (ms.Sys-ms.HeapSys-ms.StackSys)>>10)
				}
				if path := os.Getenv("WSLOAD_HEAPPROFILE"); path != "" {
					if f, err := os.Create(fmt.Sprintf("%s.%d.%d", path, os.Getpid(), time.Now().Unix())); err == nil {
						pprof.WriteHeapProfile(f)
						f.Close()
					}
				}
				continue
			}
			stopProfile()
			stop()
			os.Exit(0)
		}
	}()
}

var stopProfile = func() {}

// toggleProfile starts a CPU profile (WSLOAD_CPUPROFILE.<pid>) or stops the
// running one: the driver brackets the saturation ramp with it.
func toggleProfile() {
	path := os.Getenv("WSLOAD_CPUPROFILE")
	if path == "" {
		return
	}
	if profiling {
		stopProfile()
		stopProfile, profiling = func() {}, false
		return
	}
	f, err := os.Create(fmt.Sprintf("%s.%s", path, serveName))
	if err == nil && pprof.StartCPUProfile(f) == nil {
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		profiling = true
	}
}

var (
	profiling bool
	serveName string // pacte or baseline, in a server child
)

func announce(info childInfo) {
	b, _ := json.Marshal(info)
	os.Stdout.Write(append(b, '\n'))
}

// serveBaseline is the floor: a minimal gorilla/websocket broadcaster. One
// PreparedMessage per event, a bounded queue and a writer goroutine per
// client, and nothing else: no authentication, topics, permissions, log or
// presence.
func serveBaseline() {
	type client struct {
		conn *websocket.Conn
		send chan *websocket.PreparedMessage
	}
	var (
		mu      sync.Mutex
		clients = map[*client]struct{}{}
	)
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	hello, _ := websocket.NewPreparedMessage(websocket.TextMessage, []byte(`{"type":"hello"}`))
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		c := &client{conn: conn, send: make(chan *websocket.PreparedMessage, 256)}
		c.send <- hello
		mu.Lock()
		clients[c] = struct{}{}
		mu.Unlock()
		go func() {
			for pm := range c.send {
				conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := conn.WritePreparedMessage(pm); err != nil {
					break
				}
			}
			conn.Close()
		}()
		for {
			_, r, err := conn.NextReader()
			if err != nil {
				break
			}
			io.Copy(io.Discard, r)
		}
		mu.Lock()
		if _, ok := clients[c]; ok {
			delete(clients, c)
			close(c.send)
		}
		mu.Unlock()
	})
	mux.HandleFunc("/publish", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, body)
		if err != nil {
			return
		}
		mu.Lock()
		for c := range clients {
			select {
			case c.send <- pm:
			default: // too slow: dropped
				delete(clients, c)
				close(c.send)
			}
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	onSignals(func() { srv.Close() })
	announce(childInfo{URL: "http://" + ln.Addr().String()})
	srv.Serve(ln)
	select {} // the signal handler exits
}
