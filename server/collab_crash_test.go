package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

// The crash test runs the real binary as a subprocess and kills it with
// SIGKILL in the middle of a stream of pushes: every push it acknowledged
// must be there after a restart, and the database must be intact.

// pacteProc is a running pacte binary.
type pacteProc struct {
	t    testing.TB
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
	done chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// buildPacte compiles the binary once per test run.
func buildPacte(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pacte-crash-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "pacte")
		cmd := exec.Command("go", "build", "-o", buildPath, ".")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startPacte runs the binary with env and waits until /healthz answers.
func startPacte(t testing.TB, env ...string) *pacteProc {
	t.Helper()
	bin := buildPacte(t)
	addr := freeAddr(t)
	p := &pacteProc{t: t, URL: "http://" + addr, logs: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(os.Environ(), "PACTE_ADDR="+addr, "PACTE_BASE_URL="+p.URL, "PACTE_LOG_LEVEL=warn")
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("pacte exited at start:\n%s", p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pacte did not answer /healthz within 30 s:\n%s", p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *pacteProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// apiCall is a small JSON client for the subprocess: bearer token, or a
// cookie jar with the CSRF token.
type apiCall struct {
	t      testing.TB
	base   string
	http   *http.Client
	bearer string
	csrf   string
}

func newAPICall(t testing.TB, base string) *apiCall {
	jar, _ := cookiejar.New(nil)
	return &apiCall{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
}

func (a *apiCall) do(method, path string, body any, want int, out any) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if a.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	} else if a.csrf != "" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// bearerFor signs in and returns a client holding a fresh bearer token.
func bearerFor(t testing.TB, base, email, password string) *apiCall {
	t.Helper()
	a := newAPICall(t, base)
	var s struct {
		CSRF string `json:"csrf_token"`
	}
	a.do("POST", "/api/v1/session", map[string]string{"email": email, "password": password}, 200, &s)
	a.csrf = s.CSRF
	var tok struct {
		Token string `json:"token"`
	}
	a.do("POST", "/api/v1/tokens", map[string]string{"name": "crash test"}, 201, &tok)
	b := newAPICall(t, base)
	b.bearer = tok.Token
	return b
}

// memberOnProcess creates a federation member through an invitation, as a
// real deployment would, and returns their bearer client.
func memberOnProcess(t testing.TB, base, adminEmail, adminPassword string) *apiCall {
	t.Helper()
	admin := bearerFor(t, base, adminEmail, adminPassword)
	var orgs struct {
		Items []struct {
			ID   int64  `json:"id"`
			Slug string `json:"slug"`
		} `json:"items"`
	}
	admin.do("GET", "/api/v1/organizations", nil, 200, &orgs)
	var apebi int64
	for _, o := range orgs.Items {
		if o.Slug == "apebi" {
			apebi = o.ID
		}
	}
	email := fmt.Sprintf("editrice%d@apebi.ma", rand.IntN(1e9))
	var inv struct {
		Token string `json:"token"`
	}
	admin.do("POST", "/api/v1/invitations", map[string]any{"email": email, "name": "Salma Editrice",
		"organization_id": apebi, "role": "member"}, 201, &inv)
	const pw = "une phrase de passe assez longue"
	newAPICall(t, base).do("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": pw}, 201, nil)
	return bearerFor(t, base, email, pw)
}

// TestCollab_CrashSafety: pushes acknowledged before a SIGKILL are all
// there after a restart, on each engine; the SQLite file passes
// integrity_check; the restarted server serves the text and takes pushes;
// the editing burst cut short is still saved as a revision.
func TestCollab_CrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			dataDir := t.TempDir()
			env := []string{"PACTE_DATA_DIR=" + dataDir, "PACTE_ADMIN_EMAIL=admin@pacte.ma", "PACTE_ADMIN_PASSWORD=mot de passe administrateur"}
			dbURL := ""
			if engine == models.Postgres {
				dbURL = storetest.NewPostgresSchema(t)
				env = append(env, "DATABASE_URL="+dbURL)
			}
			proc := startPacte(t, env...)
			member := memberOnProcess(t, proc.URL, "admin@pacte.ma", "mot de passe administrateur")
			initial := "Texte initial — مرحبا 😀\n"
			var m struct {
				ID int64 `json:"id"`
			}
			member.do("POST", "/api/v1/measures", map[string]any{"title": "Résilience", "summary": "Survivre à un kill -9.",
				"body": initial, "pillar": "enablers", "axis": "digital_sovereignty"}, 201, &m)

			ws := coDial(t, proc.URL, member.bearer)
			if d := ws.join(m.ID); d.Doc != initial || d.version() != 0 {
				t.Fatalf("join: %s", d.Raw)
			}
			// Push one marker at a time, each after the previous ack, and kill
			// the server at a random moment while pushes are in flight.
			marker := func(i int) string { return fmt.Sprintf("<%d ✓>", i) }
			textAt := func(v int) string {
				var b strings.Builder
				b.WriteString(initial)
				for i := 1; i <= v; i++ {
					b.WriteString(marker(i))
				}
				return b.String()
			}
			acked := 0
			killAt := time.Now().Add(time.Duration(300+rand.IntN(500)) * time.Millisecond)
			for v := 0; ; v++ {
				ws.push(m.ID, int64(v), coEdit("crash", textAt(v), textAt(v+1)))
				if time.Now().After(killAt) {
					proc.kill() // with this push in flight
					break
				}
				if a := ws.expect("collab.ack"); a.version() != int64(v+1) {
					t.Fatalf("ack %s, want version %d", a.Raw, v+1)
				}
				acked = v + 1
			}
			if acked < 10 {
				t.Fatalf("only %d pushes acknowledged before the kill", acked)
			}

			// The database as the crash left it.
			st, err := models.Open(context.Background(), models.Options{DataDir: dataDir, DatabaseURL: dbURL})
			if err != nil {
				t.Fatalf("reopen after kill: %v", err)
			}
			if engine == models.SQLite {
				var check string
				if err := st.SQL().QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
					t.Fatalf("integrity_check: %q %v", check, err)
				}
			}
			text, version, err := st.CollabDoc(context.Background(), m.ID)
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			if version < int64(acked) || version > int64(acked)+1 || text != textAt(int(version)) {
				t.Fatalf("after the kill: version %d (acknowledged %d), text matches: %v", version, acked, text == textAt(int(version)))
			}
			t.Logf("%d pushes acknowledged before SIGKILL; %d stored", acked, version)

			// Restart: the API and the websocket give the same text, and editing goes on.
			proc = startPacte(t, env...)
			var got struct {
				Body string `json:"body"`
			}
			member.base = proc.URL
			member.do("GET", fmt.Sprintf("/api/v1/measures/%d", m.ID), nil, 200, &got)
			if got.Body != text {
				t.Fatalf("GET after restart differs from the stored text")
			}
			ws = coDial(t, proc.URL, member.bearer)
			if d := ws.join(m.ID); d.Doc != text || d.version() != version {
				t.Fatalf("join after restart: version %d", d.version())
			}
			ws.push(m.ID, version, coEdit("crash", text, text+"!"))
			if a := ws.expect("collab.ack"); a.version() != version+1 {
				t.Fatalf("push after restart: %s", a.Raw)
			}
			// The burst the crash cut short is saved as a revision by the
			// restarted server once the measure is idle.
			deadline := time.Now().Add(15 * time.Second)
			for {
				var revs struct {
					Items []struct {
						Reason        string `json:"reason"`
						CollabVersion int64  `json:"collab_version"`
					} `json:"items"`
				}
				member.do("GET", fmt.Sprintf("/api/v1/measures/%d/revisions", m.ID), nil, 200, &revs)
				if len(revs.Items) > 0 && revs.Items[0].Reason == models.RevisionCollab {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no co-editing revision after restart: %+v", revs.Items)
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
}
