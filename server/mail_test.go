package server_test

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// parsedMail is a received message, decoded: headers and both parts.
type parsedMail struct {
	Header     mail.Header
	Text, HTML string
}

func parseMail(t *testing.T, raw []byte) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a mail: %v\n%s", err, raw)
	}
	out := parsedMail{Header: m.Header}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("want multipart/alternative, got %q (%v)", m.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // multipart decodes quoted-printable
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch ct {
		case "text/plain":
			out.Text = string(body)
		case "text/html":
			out.HTML = string(body)
		}
	}
	if out.Text == "" || out.HTML == "" {
		t.Fatalf("want a text and an HTML part:\n%s", raw)
	}
	return out
}

func withSMTP(smtpURL string) servertest.Option {
	return servertest.WithConfig(func(c *server.Config) { c.Mailer, c.SMTPURL = nil, smtpURL })
}

// waitSMTP waits for the n-th message at the SMTP server.
func waitSMTP(t *testing.T, s *servertest.SMTPServer, n int) [][]byte {
	t.Helper()
	for i := 0; i < 500; i++ {
		if got := s.Messages(); len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the SMTP server got %d messages, want %d", len(s.Messages()), n)
	return nil
}

var linkRe = regexp.MustCompile(`https?://[^\s"<>]+`)

// TestMail_InvitationOverSMTP: inviting someone sends a real SMTP mail:
// multipart, a Message-ID, the link built from the base URL, and the link
// opens the invitation page.
func TestMail_InvitationOverSMTP(t *testing.T) {
	smtpd := servertest.NewSMTPServer(t)
	app := servertest.New(t, models.SQLite, withSMTP(smtpd.URL))
	admin := app.Login(app.User(models.RoleAdmin, ""))
	var inv struct {
		InviteURL string `json:"invite_url"`
	}
	// A line break in a name never reaches a header: it is refused first.
	wantError(t, admin.Request("POST", "/api/v1/invitations", map[string]any{"email": "x@apebi.ma", "name": "Nadia\r\nBcc: evil@example.com",
		"organization_id": app.Org("apebi").ID, "role": "member"}), 422, "invalid_fields", "name")
	msDo(t, admin, "POST", "/api/v1/invitations", map[string]any{"email": "nadia@apebi.ma", "name": "Nadia Bennani",
		"organization_id": app.Org("apebi").ID, "role": "member"}, 201, &inv)
	m := parseMail(t, waitSMTP(t, smtpd, 1)[0])
	if m.Header.Get("Message-Id") == "" || m.Header.Get("Bcc") != "" {
		t.Errorf("headers: %v", m.Header)
	}
	if to := m.Header.Get("To"); !strings.Contains(to, "nadia@apebi.ma") || strings.Contains(to, "\n") {
		t.Errorf("To: %q", to)
	}
	if !strings.Contains(m.Text, inv.InviteURL) || !strings.Contains(m.HTML, inv.InviteURL) || !strings.HasPrefix(inv.InviteURL, app.URL) {
		t.Fatalf("the mail lacks the invitation link %s:\n%s", inv.InviteURL, m.Text)
	}
	link := linkRe.FindString(m.Text[strings.Index(m.Text, app.URL):])
	resp, err := http.Get(link)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("following the mail's link: %v %v", err, resp)
	}
	resp.Body.Close()
}

// TestMail_RetriedThenDeliveredOnce: a server that answers 451 twice gets
// the mail on the third try, once; a 550 stops at once and is reported.
func TestMail_RetriedThenDeliveredOnce(t *testing.T) {
	smtpd := servertest.NewSMTPServer(t)
	app := servertest.New(t, models.SQLite, withSMTP(smtpd.URL))
	admin := app.Login(app.User(models.RoleAdmin, ""))
	smtpd.Fail(2, 451)
	msDo(t, admin, "POST", "/api/v1/invitations", map[string]any{"email": "retry@apebi.ma", "name": "Retry",
		"organization_id": app.Org("apebi").ID, "role": "member"}, 201, nil)
	waitSMTP(t, smtpd, 1)
	app.SettleMail()
	time.Sleep(300 * time.Millisecond)
	if n := len(smtpd.Messages()); n != 1 {
		t.Fatalf("delivered %d times, want once", n)
	}
	smtpd.Fail(1, 550)
	msDo(t, admin, "POST", "/api/v1/invitations", map[string]any{"email": "bounce@apebi.ma", "name": "Bounce",
		"organization_id": app.Org("apebi").ID, "role": "member"}, 201, nil)
	app.SettleMail()
	fails, err := app.Store.MailFailures(t.Context(), app.User(models.RoleAdmin, ""), 0, 10)
	if err != nil || len(fails) != 1 || fails[0].ToAddress != "bounce@apebi.ma" || !strings.Contains(fails[0].Detail, "550") {
		t.Fatalf("the 550 is not reported: %+v %v", fails, err)
	}
	if n := len(smtpd.Messages()); n != 1 {
		t.Fatalf("a refused mail was retried: %d messages", n)
	}
	users := string(getHTML(admin, "/admin/users").Body)
	if !strings.Contains(users, "Courriels non distribués") || !strings.Contains(users, "bounce@apebi.ma") {
		t.Errorf("the admins' page does not show the undelivered mail")
	}
	metrics := getHTML(admin, "/metrics")
	if !strings.Contains(string(metrics.Body), `pacte_mail_total{result="failed"} 1`) ||
		!strings.Contains(string(metrics.Body), `pacte_mail_total{result="retried"} 2`) {
		t.Errorf("metrics do not count mail:\n%s", metrics.Body)
	}
}

// TestPasswordReset_Flow: the same answer for any address, a one-hour
// single-use link by mail, every session ended, and a second factor never
// bypassed.
func TestPasswordReset_Flow(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		u := app.User(models.RoleMember, "apebi")
		old := app.Login(u)
		anon := app.Anonymous()
		var known, unknown map[string]any
		msDo(t, anon, "POST", "/api/v1/password-reset", map[string]any{"email": u.Email}, 202, &known)
		msDo(t, anon, "POST", "/api/v1/password-reset", map[string]any{"email": "nobody@nowhere.ma"}, 202, &unknown)
		if fmt.Sprint(known) != fmt.Sprint(unknown) {
			t.Errorf("answers differ: %v / %v", known, unknown)
		}
		wantError(t, anon.Request("POST", "/api/v1/password-reset", map[string]any{"email": "not an address"}), 422, "invalid_fields", "email")
		m := app.WaitMail(u.Email, "")
		token := strings.TrimPrefix(linkRe.FindString(m.Text[strings.Index(m.Text, "/password-reset/")-len(app.URL):]), app.URL+"/password-reset/")
		if token == "" {
			t.Fatalf("no reset link in:\n%s", m.Text)
		}
		wantError(t, anon.Request("POST", "/api/v1/password-reset/"+token, map[string]any{"password": "short"}), 422, "invalid_fields", "password")
		msDo(t, anon, "POST", "/api/v1/password-reset/"+token, map[string]any{"password": "a brand new passphrase 42"}, 204, nil)
		wantError(t, anon.Request("POST", "/api/v1/password-reset/"+token, map[string]any{"password": "another new passphrase 43"}), 410, "reset_invalid")
		wantError(t, anon.Request("POST", "/api/v1/password-reset/nonsense", map[string]any{"password": "another new passphrase 43"}), 410, "reset_invalid")
		if st := old.Do("GET", "/api/v1/me", nil, nil); st != 401 {
			t.Errorf("the old session survived the reset: %d", st)
		}
		msDo(t, anon, "POST", "/api/v1/session", map[string]any{"email": u.Email, "password": "a brand new passphrase 42"}, 200, nil)
		for i := 0; i < models.ResetsPerAddress+2; i++ {
			anon.Do("POST", "/api/v1/password-reset", map[string]any{"email": u.Email}, nil)
		}
		app.SettleMail()
		if n := len(app.Mail.To(u.Email)); n > models.ResetsPerAddress {
			t.Errorf("%d reset mails to one address within the hour", n)
		}
		// Thousands of requests from one client: told to wait, with a time.
		var last *servertest.Response
		flood := app.Anonymous()
		for i := 0; i < models.ResetsPerClient; i++ {
			last = flood.Request("POST", "/api/v1/password-reset", map[string]any{"email": fmt.Sprintf("someone%d@nowhere.ma", i)})
		}
		wantError(t, last, 429, "too_many_attempts")
		if last.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	})
}

// TestMentions: a mention of someone who cannot see the measure is
// refused; one who can is told, and the mention renders as a link.
func TestMentions(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		colleague := app.User(models.RoleMember, "apebi")
		outsider := app.User(models.RoleMember, "ausim")
		ca := app.Login(author)
		m := msCreate(t, ca, "Mentions")
		body := fmt.Sprintf("Qu'en penses-tu @[%s](user:%d) ?", outsider.Name, outsider.ID)
		wantError(t, ca.Request("POST", commentsPath(m.ID), map[string]any{"body": body}), 422, "mention_not_allowed", "body")
		body = fmt.Sprintf("Qu'en penses-tu @[%s](user:%d) ?", colleague.Name, colleague.ID)
		var c struct {
			BodyHTML string `json:"body_html"`
		}
		msDo(t, ca, "POST", commentsPath(m.ID), map[string]any{"body": body}, 201, &c)
		if !strings.Contains(c.BodyHTML, fmt.Sprintf(`href="/people/%d"`, colleague.ID)) {
			t.Errorf("the mention is not a link: %s", c.BodyHTML)
		}
		got := notificationsOf(t, app.Login(colleague), "")
		if len(got.Items) != 1 || got.Items[0].Type != "mention" {
			t.Fatalf("the mentioned colleague got %v", notifTypes(got))
		}
		var people struct {
			Items []struct{ ID int64 } `json:"items"`
		}
		msDo(t, ca, "GET", msPath(m.ID, "/mentionable?q="+colleague.Name[:3]), nil, 200, &people)
		for _, p := range people.Items {
			if p.ID == outsider.ID {
				t.Error("the autocomplete offers someone who cannot see the draft")
			}
		}
	})
}

// TestNotificationSettingsAndFollow: the settings API, following, and a
// notification mail with one-click unsubscribe.
func TestNotificationSettingsAndFollow(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		reader := app.User(models.RoleMember, "mnc")
		ca, cr := app.Login(author), app.Login(reader)
		m := msCreate(t, ca, "Suivie")
		msDo(t, ca, "PATCH", msPath(m.ID, ""), map[string]any{"visibility": "platform", "revision": 1}, 200, nil)
		var set struct {
			Settings map[string]string `json:"settings"`
		}
		msDo(t, cr, "GET", "/api/v1/me/notification-settings", nil, 200, &set)
		if set.Settings["comment"] != "digest" || set.Settings["reply"] != "immediate" {
			t.Errorf("defaults: %v", set.Settings)
		}
		wantError(t, cr.Request("PUT", "/api/v1/me/notification-settings", map[string]any{"settings": map[string]string{"comment": "sometimes"}}), 422, "invalid_fields", "comment")
		msDo(t, cr, "PUT", "/api/v1/me/notification-settings", map[string]any{"settings": map[string]string{"comment": "immediate"}}, 200, &set)
		msDo(t, cr, "POST", msPath(m.ID, "/follow"), nil, 204, nil)
		postComment(t, app.Login(app.User(models.RoleMember, "apebi")), m.ID, "Un avis.", 0)
		mail := app.WaitMail(reader.Email, "Suivie")
		if !strings.Contains(mail.Unsubscribe, "/unsubscribe/") {
			t.Fatalf("no one-click unsubscribe link: %+v", mail)
		}
		r, err := http.Post(mail.Unsubscribe, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("one-click unsubscribe: %v %v", err, r)
		}
		r.Body.Close()
		msDo(t, cr, "GET", "/api/v1/me/notification-settings", nil, 200, &set)
		if set.Settings["comment"] != "off" {
			t.Errorf("after unsubscribing: %v", set.Settings)
		}
		msDo(t, cr, "DELETE", msPath(m.ID, "/follow"), nil, 204, nil)
		wantStatus(t, cr.Request("POST", msPath(999999, "/follow"), nil), 404)
	})
}

// TestMail_DailyDigest: news chosen as a digest is not mailed at once; from
// 07:00 in the person's time zone one mail lists it, and only one that day.
func TestMail_DailyDigest(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	reader := app.User(models.RoleMember, "mnc")
	ca, cr := app.Login(author), app.Login(reader)
	m := msCreate(t, ca, "Résumé quotidien")
	msDo(t, ca, "PATCH", msPath(m.ID, ""), map[string]any{"visibility": "platform", "revision": 1}, 200, nil)
	msDo(t, cr, "POST", msPath(m.ID, "/follow"), nil, 204, nil)
	postComment(t, ca, m.ID, "Une première version.", 0)
	app.SettleMail()
	if got := app.Mail.To(reader.Email); len(got) != 0 {
		t.Fatalf("a digest kind was mailed at once: %q", got[0].Subject)
	}
	// The next morning, 08:00 in Casablanca.
	loc := reader.Location()
	now := app.Clock.Now().In(loc)
	morning := time.Date(now.Year(), now.Month(), now.Day()+1, 8, 0, 0, 0, loc)
	app.Clock.Advance(morning.Sub(now))
	if n, err := app.Server.Jobs().RunDigests(t.Context()); err != nil || n != 1 {
		t.Fatalf("digests enqueued: %d, %v", n, err)
	}
	mail := app.WaitMail(reader.Email, "Votre résumé Pacte : 1 notification")
	if !strings.Contains(mail.Text, "Résumé quotidien") || !strings.Contains(mail.Text, app.URL+"/measures/") || mail.Unsubscribe == "" {
		t.Errorf("digest:\n%s", mail.Text)
	}
	if n, _ := app.Server.Jobs().RunDigests(t.Context()); n != 0 {
		t.Errorf("a second digest the same day: %d", n)
	}
}
