package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"pacte/collab"
	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// nodeForCollab finds node and the web/ modules the convergence script
// needs (the real @codemirror/state and @codemirror/collab), or skips: CI
// installs them and sets PACTE_REQUIRE_NODE=1, which turns a skip into a
// failure.
func nodeForCollab(t *testing.T) (node, webDir string) {
	t.Helper()
	webDir, _ = filepath.Abs(filepath.Join("..", "web"))
	missing := ""
	node, err := exec.LookPath("node")
	if err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(webDir, "node_modules", "@codemirror", "collab")); err != nil {
		missing = "web/node_modules is missing (run npm ci in web/)"
	}
	if missing != "" {
		if os.Getenv("PACTE_REQUIRE_NODE") == "1" {
			t.Fatalf("convergence test needs Node: %s", missing)
		}
		t.Skipf("convergence test skipped: %s", missing)
	}
	return node, webDir
}

// convergenceResult is the script's JSON line.
type convergenceResult struct {
	Texts   []string `json:"texts"`
	Version int64    `json:"version"`
	Acked   []string `json:"acked"`
	Seed    int64    `json:"seed"`
	// With PACTE_SUGGESTIONS=1: the markers of the suggestions accepted
	// and rejected, and how many were made.
	Accepted  []string `json:"accepted"`
	Rejected  []string `json:"rejected"`
	Suggested int      `json:"suggested"`
	// Gone lists the clients told "gone" (once per time), HandedOver the
	// unsent markers they handed to their host before rejoining.
	Gone       []int    `json:"gone"`
	HandedOver []string `json:"handedOver"`
}

// runConvergence runs web/test/convergence.mjs against wsURLs (clients are
// spread over them in turn) and returns its result.
func runConvergence(t *testing.T, wsURLs []string, tokens []string, measure int64, extraEnv ...string) convergenceResult {
	t.Helper()
	node, webDir := nodeForCollab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "test/convergence.mjs")
	cmd.Dir = webDir
	cmd.Env = append(os.Environ(),
		"PACTE_WS_URL="+strings.Join(wsURLs, ","),
		"PACTE_TOKENS="+strings.Join(tokens, ","),
		"PACTE_MEASURE="+strconv.FormatInt(measure, 10),
		"PACTE_TIMEOUT_MS=90000",
	)
	if seed := os.Getenv("PACTE_CONVERGENCE_SEED"); seed != "" {
		cmd.Env = append(cmd.Env, "PACTE_SEED="+seed)
	}
	cmd.Env = append(cmd.Env, extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var res convergenceResult
	if line := strings.TrimSpace(stdout.String()); line != "" {
		if jerr := json.Unmarshal([]byte(line), &res); jerr != nil {
			t.Fatalf("convergence output is not JSON: %v\n%s\nstderr:\n%s", jerr, line, tail(stderr.String(), 4000))
		}
	}
	if err != nil {
		t.Fatalf("convergence script failed: %v (seed %d; replay with PACTE_CONVERGENCE_SEED)\nstderr:\n%s", err, res.Seed, tail(stderr.String(), 6000))
	}
	if s := stderr.String(); s != "" {
		t.Logf("convergence stderr:\n%s", tail(s, 3000))
	}
	return res
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

var markerRe = regexp.MustCompile(`<c\d+e\d+>`)

// checkConverged verifies the script's result against the server: every
// client's text equals GET's body and the text the stored log replays to,
// at the stored version, versions have no gaps, and every acknowledged
// marker is there exactly once. A compacted log is replayed from the
// oldest revision at or after its floor.
func checkConverged(t *testing.T, res convergenceResult, store *models.Store, api *servertest.Client, measure int64, initial string) {
	t.Helper()
	if len(res.Texts) == 0 {
		t.Fatal("the script reported no client")
	}
	text := res.Texts[0]
	for i, got := range res.Texts {
		if got != text {
			t.Fatalf("client %d's text differs from client 0's (seed %d)", i, res.Seed)
		}
	}
	if body := coGet(t, api, measure).Body; body != text {
		t.Fatalf("server text differs from the clients' (seed %d):\nserver %q\nclient %q", res.Seed, body, text)
	}
	ctx := context.Background()
	stored, version, err := store.CollabDoc(ctx, measure)
	if err != nil {
		t.Fatal(err)
	}
	if version != res.Version || stored != text {
		t.Fatalf("stored version %d (clients %d), stored text equal: %v", version, res.Version, stored == text)
	}
	floor, err := store.CollabFloor(ctx, measure)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Version int64
		Changes string
	}
	if err := store.Read(ctx).Raw("SELECT version, changes FROM collab_updates WHERE measure_id = ? ORDER BY version", measure).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	doc, base := collab.NewDoc(initial), int64(0)
	if floor > 0 {
		var rev []struct {
			Body          string
			CollabVersion int64
		}
		if err := store.Read(ctx).Raw("SELECT body, collab_version FROM revisions WHERE measure_id = ? AND collab_version >= ? ORDER BY collab_version LIMIT 1",
			measure, floor).Scan(&rev).Error; err != nil || len(rev) == 0 {
			t.Fatalf("no revision at or after the floor %d: %v", floor, err)
		}
		doc, base = collab.NewDoc(rev[0].Body), rev[0].CollabVersion
	}
	for i, r := range rows {
		if r.Version != floor+int64(i+1) {
			t.Fatalf("stored versions have a gap at %d (floor %d)", r.Version, floor)
		}
		if r.Version <= base {
			continue
		}
		cs, err := collab.ParseChangeSet(json.RawMessage(r.Changes))
		if err == nil {
			doc, err = cs.Apply(doc)
		}
		if err != nil {
			t.Fatalf("stored update %d: %v", r.Version, err)
		}
	}
	if floor+int64(len(rows)) != version || doc.String() != text {
		t.Fatalf("replaying %d stored updates after the floor %d does not give the text", len(rows), floor)
	}
	counts := map[string]int{}
	for _, m := range markerRe.FindAllString(text, -1) {
		counts[m]++
	}
	for _, m := range res.Acked {
		if counts[m] != 1 {
			t.Fatalf("acknowledged marker %s appears %d times (seed %d)", m, counts[m], res.Seed)
		}
	}
	for m, n := range counts {
		if n != 1 {
			t.Fatalf("marker %s appears %d times", m, n)
		}
	}
	if len(res.Acked) < 5 {
		t.Fatalf("only %d acknowledged markers: the run did little", len(res.Acked))
	}
	t.Logf("converged: %d clients, version %d, %d units, %d acknowledged markers, seed %d",
		len(res.Texts), version, collab.UTF16Len(text), len(res.Acked), res.Seed)
}

// coEditors makes n editors of a new measure with body and their tokens.
func coEditors(t *testing.T, app *servertest.App, n int, body string) (api *servertest.Client, measure int64, tokens []string) {
	t.Helper()
	users := make([]*models.User, n)
	orgs := []string{"apebi", "ausim", "mnc", "msec"}
	for i := range users {
		users[i] = app.User(models.RoleMember, orgs[i%len(orgs)])
	}
	tokens = make([]string, n)
	for i, u := range users {
		c, tok := coToken(t, app, u)
		if i == 0 {
			api = c
		}
		tokens[i] = tok
	}
	measure = app.Measure(t, users[0], servertest.MeasureSpec{Body: body, Pillar: "enablers", Axis: "cloud_computing", Editors: users[1:]})
	return api, measure, tokens
}

var suggestedRe = regexp.MustCompile(`<s\d+n\d+>`)

// TestCollab_ConvergenceWithSuggestions: the same random co-editing, while
// the clients also suggest changes (unique markers) and accept or reject
// open suggestions through the API. Every editor ends with the server's
// text; each accepted suggestion's marker is in it exactly once, and no
// other suggestion's marker is.
func TestCollab_ConvergenceWithSuggestions(t *testing.T) {
	nodeForCollab(t)
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			app.Server.SetCollabIdle(200 * time.Millisecond)
			initial := "# Mesure\n\nالرقمنة ⴰⵣⵓⵍ 🇲🇦 café, des mots à remplacer ici et là.\n"
			api, measure, tokens := coEditors(t, app, 5, initial)
			url := "ws" + strings.TrimPrefix(app.URL, "http") + "/ws"
			res := runConvergence(t, []string{url}, tokens, measure, "PACTE_CLIENTS=5", "PACTE_EDITS=40",
				"PACTE_DISCONNECTS=2", "PACTE_SUGGESTIONS=1", "PACTE_MAX_DELAY_MS=80")
			checkConverged(t, res, app.Store, api, measure, initial)
			text := res.Texts[0]
			for _, m := range res.Accepted {
				if n := strings.Count(text, m); n != 1 {
					t.Errorf("accepted suggestion %s appears %d times (seed %d)", m, n, res.Seed)
				}
			}
			accepted := map[string]bool{}
			for _, m := range res.Accepted {
				accepted[m] = true
			}
			for _, m := range suggestedRe.FindAllString(text, -1) {
				if !accepted[m] {
					t.Errorf("suggestion %s is in the text but was never accepted (seed %d)", m, res.Seed)
				}
			}
			for _, m := range res.Rejected {
				if strings.Contains(text, m) {
					t.Errorf("rejected suggestion %s is in the text (seed %d)", m, res.Seed)
				}
			}
			if res.Suggested < 5 || len(res.Accepted) == 0 {
				t.Fatalf("the run suggested %d and accepted %d: too little to say anything", res.Suggested, len(res.Accepted))
			}
			t.Logf("%d suggestions made, %d accepted, %d rejected", res.Suggested, len(res.Accepted), len(res.Rejected))
		})
	}
}

// TestCollab_Convergence: five simulated editors (the browser's own
// protocol code on the real @codemirror/collab, in Node) type at random,
// with random pauses and disconnections, through the real server; at the
// end every editor has the server's text, which is what was stored, with
// every acknowledged edit in it.
func TestCollab_Convergence(t *testing.T) {
	nodeForCollab(t)
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			app.Server.SetCollabIdle(200 * time.Millisecond) // revisions are folded during the run too
			initial := "# Mesure\n\nالرقمنة ⴰⵣⵓⵍ 🇲🇦 café\n"
			api, measure, tokens := coEditors(t, app, 5, initial)
			url := "ws" + strings.TrimPrefix(app.URL, "http") + "/ws"
			res := runConvergence(t, []string{url}, tokens, measure, "PACTE_CLIENTS=5", "PACTE_EDITS=40", "PACTE_DISCONNECTS=3")
			checkConverged(t, res, app.Store, api, measure, initial)
			if t.Failed() {
				return
			}
			// The run's revisions are folded with the editors as authors.
			var n int
			app.Store.Read(context.Background()).Raw("SELECT COUNT(*) FROM revisions WHERE measure_id = ? AND reason = ?", measure, models.RevisionCollab).Scan(&n)
			t.Logf("%d co-editing revisions saved during the run", n)
		})
	}
}

// TestCollab_ConvergenceWithCompaction: the same random co-editing while
// the log is folded into revisions and compacted over and over, keeping
// only two updates before the last revision, so that clients coming back
// from a disconnection are really below the floor and told "gone". Every
// editor still ends with the server's text, no acknowledged marker is lost,
// and a client that rejoins hands over its unsent edits first (checked by
// the script).
func TestCollab_ConvergenceWithCompaction(t *testing.T) {
	nodeForCollab(t)
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			app.Server.SetCollabIdle(200 * time.Millisecond)
			initial := "# Mesure\n\nالرقمنة ⴰⵣⵓⵍ 🇲🇦 café\n"
			api, measure, tokens := coEditors(t, app, 5, initial)
			url := "ws" + strings.TrimPrefix(app.URL, "http") + "/ws"
			ctx, stop := context.WithCancel(context.Background())
			var removed int64
			done := make(chan struct{})
			finish := func() { stop(); <-done }
			defer finish() // also when the run fails: no compaction outlives the test
			go func() {
				defer close(done)
				policy := models.DefaultRetentionPolicy()
				policy.CollabKeep = 2
				for ctx.Err() == nil {
					// A revision saved mid-burst (as a status change would),
					// then the compaction behind it.
					if err := app.Store.Write(ctx, func(tx *models.Tx) error { _, _, err := tx.FoldCollab(measure); return err }); err != nil && ctx.Err() == nil {
						t.Errorf("fold: %v", err)
					}
					r, err := app.Store.Retain(ctx, policy)
					if err != nil && ctx.Err() == nil {
						t.Errorf("retain: %v", err)
					}
					removed += r.CollabUpdates
					select {
					case <-ctx.Done():
					case <-time.After(100 * time.Millisecond):
					}
				}
			}()
			res := runConvergence(t, []string{url}, tokens, measure, "PACTE_CLIENTS=5", "PACTE_EDITS=40", "PACTE_DISCONNECTS=4")
			finish()
			checkConverged(t, res, app.Store, api, measure, initial)
			floor, err := app.Store.CollabFloor(context.Background(), measure)
			if err != nil {
				t.Fatal(err)
			}
			if removed == 0 || floor == 0 {
				t.Fatalf("nothing was compacted during the run (removed %d, floor %d)", removed, floor)
			}
			if len(res.Gone) == 0 {
				t.Fatalf("no client fell below the floor (%d updates compacted, seed %d): the run proves nothing about gone", removed, res.Seed)
			}
			t.Logf("%d updates compacted (floor %d of %d), %d times a client was told gone, %d unsent markers handed over",
				removed, floor, res.Version, len(res.Gone), len(res.HandedOver))
		})
	}
}
