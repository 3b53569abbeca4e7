package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server/servertest"
)

// TestAuditChain_Page looks at the hash chain's panel on /audit: the head,
// its hash (shortened, the whole one a click away and copyable), the last
// verification in the reader's zone, intact and then broken; in French and
// Arabic, on a desktop and a 390 px phone, without overflow.
func TestAuditChain_Page(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	ctx := context.Background()
	nadia := person(t, app, models.RoleMember, "apebi", "Nadia Alaoui")
	admin := person(t, app, models.RoleAdmin, "", "Admin Pacte")
	m, err := app.Store.CreateMeasure(ctx, nadia, models.NewMeasure{Title: "Un cloud souverain pour l'administration",
		Summary: "Héberger les données publiques au Maroc.", Body: measureBody, Pillar: "enablers", Axis: "cloud_computing"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.CreateComment(ctx, nadia, m.ID, models.NewComment{Body: "Je propose de chiffrer le coût d'hébergement."}); err != nil {
		t.Fatal(err)
	}
	v, err := app.Server.Jobs().VerifyAuditChain(ctx)
	if err != nil || !v.OK {
		t.Fatalf("verify: %+v, %v", v, err)
	}

	tab := newBrowser(t, app)
	tab.Name = "admin"
	login(tab, admin)
	look := func(l, state string) {
		t.Helper()
		if _, err := app.Store.UpdateProfile(ctx, admin, models.ProfileChange{Locale: &l}); err != nil {
			t.Fatal(err)
		}
		admin.Locale = l
		// The head now: changing the language is itself an event.
		var head models.Event
		if err := app.Store.Read(ctx).Order("id DESC").First(&head).Error; err != nil {
			t.Fatal(err)
		}
		for _, small := range []bool{false, true} {
			name := "audit-chain-" + state + "-" + l
			if small {
				tab.step("phone", chromedp.EmulateViewport(390, 844))
				name += "-390"
			} else {
				tab.step("desktop", chromedp.EmulateViewport(1280, 900))
			}
			tab.Go("/audit")
			if got := tab.Text(".audit-chain dd"); !strings.Contains(got, fmt.Sprint(head.ID)) {
				t.Errorf("[%s] the head reads %q, want event %d", name, got, head.ID)
			}
			if got := tab.Attr(".audit-hash summary code", "title"); got != head.Hash {
				t.Errorf("[%s] the hash's title is %q, want %s", name, got, head.Hash)
			}
			if n := Eval[int](tab, `document.querySelectorAll(".audit-chain time[datetime]").length`); n != 1 {
				t.Errorf("[%s] the verification time is not a <time datetime>", name)
			}
			tab.Click(".audit-hash summary")
			if got := tab.Text(".audit-hash-full"); got != head.Hash {
				t.Errorf("[%s] the full hash reads %q", name, got)
			}
			if state == "broken" {
				tab.Click(".audit-chain-problem summary")
			}
			tab.Snapshot(name) // screenshot, no untranslated text, no overflow
		}
	}
	look("fr", "intact")
	look("ar", "intact")

	// A changed row, found by the next verification.
	if err := app.Store.Write(ctx, func(tx *models.Tx) error {
		return tx.Exec("UPDATE events SET payload = REPLACE(payload, 'chiffrer', 'supprimer') WHERE type = 'comment.created'").Error
	}); err != nil {
		t.Fatal(err)
	}
	if v, err = app.Server.Jobs().VerifyAuditChain(ctx); err != nil || v.OK {
		t.Fatalf("verify after a change: %+v, %v", v, err)
	}
	look("fr", "broken")
	if got := tab.Text(".audit-chain-broken"); !strings.Contains(got, fmt.Sprint(v.BadEventID)) {
		t.Errorf("the broken badge reads %q, want event %d", got, v.BadEventID)
	}
	look("ar", "broken")
	tab.AssertCleanConsole()
}
