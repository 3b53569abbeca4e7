package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pacte/models"
	"pacte/server/servertest"
)

// TestInvitations_ExpiredUsedAndRenewed: an expired link says so and lets
// the person ask for a new one; the moderator sees the request on the
// person's page and issues a new link there; the old link then says it was
// replaced, the new one works once and then offers to sign in.
func TestInvitations_ExpiredUsedAndRenewed(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	modUser := app.User(models.RoleModerator, "apebi")
	var inv struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if st := app.Login(modUser).Do("POST", "/api/v1/invitations", map[string]any{"email": "lina@example.ma", "name": "Lina Benali",
		"organization_id": app.Org("apebi").ID, "role": models.RoleMember}, &inv); st != 201 {
		t.Fatalf("invite: %d", st)
	}
	app.Clock.Advance(8 * 24 * time.Hour)

	p := newBrowser(t, app) // the invited person, not signed in
	if st := p.Go("/invitations/" + inv.Token); st != 410 {
		t.Errorf("expired link: status %d", st)
	}
	if got := p.Text("h1"); got != "Ce lien d'invitation a expiré" {
		t.Errorf("expired heading %q", got)
	}
	p.Snapshot("invitation-expired-fr")
	phone(p)
	p.Snapshot("invitation-expired-390")
	desktop(p)
	p.ClickAndWait("#invitation-request")
	p.WaitVisible("#invitation-requested")
	p.Snapshot("invitation-requested-fr")
	chooseLanguage(p, "ar")
	p.Go("/invitations/" + inv.Token)
	p.Snapshot("invitation-expired-ar")
	// At phone size from the start (a right-to-left page shrunk after
	// loading is captured off its origin by the screenshot).
	small := p.NewWindow("P390")
	phone(small)
	small.Go("/invitations/" + inv.Token)
	chooseLanguage(small, "ar")
	small.AssertNoOverflow("invitation-expired-ar-390")
	windowShot(small, "invitation-expired-ar-390")

	m := p.NewWindow("M")
	login(m, modUser)
	var uid int64
	app.Store.Read(t.Context()).Table("users").Select("id").Where("email = ?", "lina@example.ma").Scan(&uid)
	m.Go(fmt.Sprintf("/admin/users/%d", uid))
	m.WaitVisible("[data-invitation-requested]")
	m.WaitVisible(`[data-invitation-status="expired"]`)
	m.Snapshot("user-invitation-expired")
	m.ClickAndWait("#invitation-renew")
	link := m.Text("#invitation [data-invite-url]")
	if !strings.HasPrefix(link, app.URL+"/invitations/") {
		t.Fatalf("new link %q", link)
	}
	m.WaitVisible(`[data-invitation-status="pending"]`)
	m.Snapshot("user-invitation-renewed")
	phone(m)
	m.Snapshot("user-invitation-renewed-390")
	desktop(m)
	m.Go(fmt.Sprintf("/admin/users/%d", uid))
	chooseLanguage(m, "ar")
	m.Snapshot("user-invitation-ar")

	// The old link was replaced; the new one works.
	p.Go("/invitations/" + inv.Token)
	if got := p.Attr("[data-invitation-state]", "data-invitation-state"); got != "replaced" {
		t.Errorf("old link state %q", got)
	}
	p.Snapshot("invitation-replaced-ar")
	chooseLanguage(p, "fr")
	p.Go(strings.TrimPrefix(link, app.URL))
	p.Fill("#password", "une phrase longue et rare")
	p.Fill("#password_confirm", "une phrase longue et rare")
	p.ClickAndWait(`main form button[type="submit"]`)
	if path := p.Path(); path != "/" {
		t.Fatalf("after accepting: %s", path)
	}
	// Used: the link says so and offers to sign in.
	q := p.NewWindow("Q")
	if st := q.Go(strings.TrimPrefix(link, app.URL)); st != 410 {
		t.Errorf("used link: status %d", st)
	}
	q.Snapshot("invitation-used-fr")
	q.ClickAndWait("#invitation-sign-in")
	if path := q.Path(); !strings.HasPrefix(path, "/login") {
		t.Errorf("sign in leads to %s", path)
	}
	for _, tab := range []*Tab{p, m, q} {
		tab.AssertCleanConsole()
	}
}
