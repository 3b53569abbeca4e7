package server_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// Delivery when things break: the relay down for a while, Pacte killed
// with mail in its queue, two instances sharing one queue. In each case a
// message must arrive, and arrive once.

// mailWait is how long delivery tests wait: generous, so that a busy
// machine under -race is slow rather than red, and a restarted binary has
// time.
const mailWait = 30 * time.Second

// mailsTo counts the messages the SMTP server received for addr.
func mailsTo(t *testing.T, s *servertest.SMTPServer, addr string) int {
	t.Helper()
	n := 0
	for _, raw := range s.Messages() {
		m := parseMail(t, raw)
		to, err := mail.ParseAddress(m.Header.Get("To"))
		if err != nil {
			t.Fatalf("To: %q: %v", m.Header.Get("To"), err)
		}
		if strings.EqualFold(to.Address, addr) {
			n++
		}
	}
	return n
}

// deliveredOnce waits for addr's message, lets the queue settle, waits a
// little more for a duplicate that would follow, and fails if there is
// one.
func deliveredOnce(t *testing.T, s *servertest.SMTPServer, addr string, settle func()) {
	t.Helper()
	waitWithin(t, mailWait, "the mail to "+addr, func() bool { return mailsTo(t, s, addr) > 0 })
	settle()
	time.Sleep(300 * time.Millisecond)
	if n := mailsTo(t, s, addr); n != 1 {
		t.Fatalf("%s got %d messages, want 1", addr, n)
	}
}

var mailMetricRe = regexp.MustCompile(`pacte_mail_total\{result="(\w+)"\} (\d+)`)

// mailMetrics reads pacte_mail_total from /metrics, by result.
func mailMetrics(t *testing.T, c *servertest.Client) map[string]int {
	t.Helper()
	r := getHTML(c, "/metrics")
	if r.Status != 200 {
		t.Fatalf("/metrics: %d", r.Status)
	}
	out := map[string]int{}
	for _, m := range mailMetricRe.FindAllStringSubmatch(string(r.Body), -1) {
		out[m[1]], _ = strconv.Atoi(m[2])
	}
	return out
}

// mailJob is the River row of the mail to one address.
type mailJob struct {
	ID      int64
	State   string
	Attempt int
}

// mailJobTo finds the job of the invitation mailed to addr in the queue
// (zero if there is none): the invitee's account holds the address.
func mailJobTo(t *testing.T, db *sql.DB, engine, addr string) mailJob {
	t.Helper()
	var uid int64
	if err := db.QueryRow(`SELECT id FROM users WHERE email = $1`, addr).Scan(&uid); err != nil {
		t.Fatalf("the invitee %s: %v", addr, err)
	}
	args := "args"
	if engine == models.SQLite {
		args = "json(args)" // River keeps it as JSONB there
	}
	rows, err := db.Query(`SELECT id, state, attempt, ` + args + ` FROM river_job WHERE kind = 'mail.send'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var found []mailJob
	for rows.Next() {
		var j mailJob
		var raw []byte
		if err := rows.Scan(&j.ID, &j.State, &j.Attempt, &raw); err != nil {
			t.Fatal(err)
		}
		var a models.MailArgs
		if err := json.Unmarshal(raw, &a); err != nil {
			t.Fatalf("job %d args %q: %v", j.ID, raw, err)
		}
		if a.UserID == uid && a.Purpose == models.MailInvitation {
			found = append(found, j)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(found) > 1 {
		t.Fatalf("%d mail jobs for one invitation: %+v", len(found), found)
	}
	if len(found) == 0 {
		return mailJob{}
	}
	return found[0]
}

// waiting reports whether River still holds the job to be worked.
func (j mailJob) waiting() bool {
	return slices.Contains([]string{"available", "retryable", "scheduled", "running"}, j.State)
}

// TestMail_SMTPDownThenUp: while the relay refuses connections, an
// invitation's mail is retried, neither lost nor reported as failed; once
// the relay is back it is delivered, once.
func TestMail_SMTPDownThenUp(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			// A relay of its own per engine: the subtests run at once and
			// this one stops it.
			smtpd := servertest.NewSMTPServer(t)
			app := servertest.New(t, engine, withSMTP(smtpd.URL))
			admin := app.Login(app.User(models.RoleAdmin, ""))
			const to = "relais-en-panne@apebi.ma"
			smtpd.Stop()
			msDo(t, admin, "POST", "/api/v1/invitations", inviteBody(to, "Invitée", app.Org("apebi").ID, "member"), 201, nil)
			waitWithin(t, mailWait, "two refused attempts", func() bool { return mailMetrics(t, admin)["retried"] >= 2 })
			if j := mailJobTo(t, app.Store.SQL(), engine, to); !j.waiting() || j.Attempt < 2 {
				t.Fatalf("the mail is not waiting for another try: %+v", j)
			}
			if fails, err := app.Store.MailFailures(t.Context(), app.User(models.RoleAdmin, ""), 0, 10); err != nil || len(fails) != 0 {
				t.Fatalf("a relay that is down reported as a failed mail: %+v %v", fails, err)
			}

			if err := smtpd.Start(); err != nil {
				t.Fatal(err)
			}
			deliveredOnce(t, smtpd, to, app.SettleMail)
			if j := mailJobTo(t, app.Store.SQL(), engine, to); j.State != "completed" {
				t.Errorf("the delivered mail's job is %+v", j)
			}
			if m := mailMetrics(t, admin); m["sent"] != 1 || m["failed"] != 0 {
				t.Errorf("mail metrics after the relay came back: %v", m)
			}
		})
	}
}

// openQueue opens the database of a pacte subprocess from the test, to
// look at River's tables.
func openQueue(t *testing.T, engine, dataDir, dbURL string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", dbURL
	if engine == models.SQLite {
		driver, dsn = "sqlite3", "file:"+filepath.Join(dataDir, "pacte.db")+"?_busy_timeout=10000"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// passAnHour moves River's clocks back by an hour, as if Pacte had stayed
// down that long: a failed mail's backoff (30 s at the first retry in
// production) has run out, and so has the dead instance's hold on the
// queue's leadership (River's scheduler, which makes a retry due, runs on
// the leader only; a SIGKILLed leader keeps it for up to 15 s).
func passAnHour(t *testing.T, db *sql.DB, engine string) {
	t.Helper()
	back := func(col string) string { return col + " - interval '1 hour'" }
	if engine == models.SQLite {
		back = func(col string) string { return "datetime(" + col + ", '-1 hour', 'subsec')" }
	}
	for _, q := range []string{
		"UPDATE river_job SET scheduled_at = " + back("scheduled_at") + ", attempted_at = " + back("attempted_at") +
			" WHERE state IN ('available', 'retryable', 'scheduled', 'running')",
		"UPDATE river_leader SET elected_at = " + back("elected_at") + ", expires_at = " + back("expires_at"),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// orgOnProcess finds a seeded organisation's id through a subprocess's API.
func orgOnProcess(t *testing.T, c *apiCall, slug string) int64 {
	t.Helper()
	var orgs struct {
		Items []struct {
			ID   int64  `json:"id"`
			Slug string `json:"slug"`
		} `json:"items"`
	}
	c.do("GET", "/api/v1/organizations", nil, 200, &orgs)
	for _, o := range orgs.Items {
		if o.Slug == slug {
			return o.ID
		}
	}
	t.Fatalf("no organisation %q", slug)
	return 0
}

// TestMail_KilledWithMailQueued: the real binary is SIGKILLed while an
// invitation's mail waits for a relay that is down; restarted on the same
// database, it delivers the mail, once, with a link that works.
func TestMail_KilledWithMailQueued(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			smtpd := servertest.NewSMTPServer(t)
			smtpd.Stop()
			dataDir := t.TempDir()
			const adminEmail, adminPassword = "admin@pacte.ma", "mot de passe administrateur"
			env := []string{"PACTE_DATA_DIR=" + dataDir, "PACTE_ADMIN_EMAIL=" + adminEmail, "PACTE_ADMIN_PASSWORD=" + adminPassword,
				"PACTE_SMTP_URL=" + smtpd.URL}
			dbURL := ""
			if engine == models.Postgres {
				dbURL = storetest.NewPostgresSchema(t)
				env = append(env, "DATABASE_URL="+dbURL)
			}
			proc := startPacte(t, env...)
			admin := bearerFor(t, proc.URL, adminEmail, adminPassword)
			const to = "apres-le-crash@apebi.ma"
			admin.do("POST", "/api/v1/invitations", inviteBody(to, "Invitée", orgOnProcess(t, admin, "apebi"), "member"), 201, nil)

			// Kill once the first attempt has failed and River has written
			// so: the job then waits out its backoff as "retryable", not
			// "running" (a job killed while running waits for River's
			// rescuer, RescueAfter: 2 min).
			db := openQueue(t, engine, dataDir, dbURL)
			waitWithin(t, mailWait, "the first attempt to fail", func() bool {
				j := mailJobTo(t, db, engine, to)
				return j.State == "retryable" && j.Attempt == 1
			})
			proc.kill()
			if j := mailJobTo(t, db, engine, to); j.State != "retryable" {
				t.Fatalf("after SIGKILL the mail's job is %+v", j)
			}
			if n := len(smtpd.Messages()); n != 0 {
				t.Fatalf("a relay that is down received %d messages", n)
			}

			passAnHour(t, db, engine)
			if err := smtpd.Start(); err != nil {
				t.Fatal(err)
			}
			proc = startPacte(t, env...)
			deliveredOnce(t, smtpd, to, func() {
				waitWithin(t, mailWait, "the job to complete", func() bool { return mailJobTo(t, db, engine, to).State == "completed" })
			})
			msgs := smtpd.Messages()
			if len(msgs) != 1 {
				t.Fatalf("the relay received %d messages, want 1", len(msgs))
			}
			// Composed when sent: its link leads to the restarted server,
			// and opens the invitation.
			m := parseMail(t, msgs[0])
			link := linkRe.FindString(m.Text[max(strings.Index(m.Text, proc.URL), 0):])
			resp, err := http.Get(link)
			if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(link, proc.URL) {
				t.Fatalf("the mail's link %q: %v %v", link, err, resp)
			}
			resp.Body.Close()
		})
	}
}

// TestMail_TwoInstances: two instances work one queue on PostgreSQL; of 30
// invitations made through either, some refused for a while by the
// relay, each invitee gets one message.
func TestMail_TwoInstances(t *testing.T) {
	t.Parallel()
	if !slices.Contains(storetest.Engines(t), models.Postgres) {
		t.Skip("several instances need PostgreSQL; set PACTE_TEST_POSTGRES to run this test")
	}
	smtpd := servertest.NewSMTPServer(t)
	one := servertest.New(t, models.Postgres, withSMTP(smtpd.URL))
	two := servertest.NewOnURL(t, one.DatabaseURL, withSMTP(smtpd.URL))
	admin := one.User(models.RoleAdmin, "")
	clients := []*servertest.Client{one.Login(admin), two.Login(admin)}
	// Temporary refusals make retries, which either instance may pick up.
	smtpd.Fail(10, 451)
	const n = 30
	apebi := one.Org("apebi").ID
	var addrs []string
	for i := range n {
		addr := fmt.Sprintf("invitee%d@apebi.ma", i)
		addrs = append(addrs, addr)
		msDo(t, clients[i%2], "POST", "/api/v1/invitations", inviteBody(addr, "Invitée", apebi, "member"), 201, nil)
	}
	waitWithin(t, mailWait, fmt.Sprintf("%d messages", n), func() bool { return len(smtpd.Messages()) >= n })
	one.SettleMail()
	time.Sleep(300 * time.Millisecond)
	for _, addr := range addrs {
		if got := mailsTo(t, smtpd, addr); got != 1 {
			t.Errorf("%s got %d messages, want 1", addr, got)
		}
	}
	if got := len(smtpd.Messages()); got != n {
		t.Errorf("the relay received %d messages, want %d", got, n)
	}
	c1, c2 := &one.Server.Jobs().Counters, &two.Server.Jobs().Counters
	if sent := c1.Sent.Load() + c2.Sent.Load(); sent != n {
		t.Errorf("the instances counted %d mails sent, want %d", sent, n)
	}
	t.Logf("sent by the first instance %d, by the second %d; retried %d and %d",
		c1.Sent.Load(), c2.Sent.Load(), c1.Retried.Load(), c2.Retried.Load())
}
