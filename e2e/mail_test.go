package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

// TestPasswordReset_FromSignInPage: Karima forgot her password. From the
// sign-in page she asks for a link, reads the mail, chooses a new password
// (a weak one first: the form says why and keeps her on the field), and
// signs in with it. The pages are checked in French, and in Arabic at a
// phone's width.
func TestPasswordReset_FromSignInPage(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	karima := person(t, app, models.RoleMember, "ausim", "Karima Tazi")
	k := newBrowser(t, app)
	k.Go("/login")
	k.ClickAndWait(`a[href="/password-reset"]`)
	k.Snapshot("reset-request-fr")
	k.Fill("#email", karima.Email)
	k.ClickAndWait(`main form[action="/password-reset"] button[type=submit]`)
	if got := k.Text(".notice"); !strings.Contains(got, "Si un compte actif utilise cette adresse") {
		t.Fatalf("after asking, the page says %q", got)
	}
	k.Snapshot("reset-sent-fr")

	mail := app.WaitMail(karima.Email, "Réinitialiser votre mot de passe")
	link, err := url.Parse(mail.Link)
	if err != nil || !strings.HasPrefix(link.Path, "/password-reset/") {
		t.Fatalf("the mail's link: %q", mail.Link)
	}
	k.Go(link.Path)
	if got := k.Text("main .lead"); !strings.Contains(got, karima.Email) {
		t.Errorf("the page does not say whose password: %q", got)
	}
	k.Fill("#password", "court")
	k.Fill("#password_confirm", "court")
	k.ClickAndWait(`main form button[type=submit]`)
	if k.Attr("#password", "aria-invalid") != "true" || !Eval[bool](k, `document.activeElement?.id === "password"`) {
		t.Error("a weak password is not pointed out on its field")
	}
	k.Snapshot("reset-weak-fr")
	k.Fill("#password", "une nouvelle phrase de passe")
	k.Fill("#password_confirm", "une nouvelle phrase de passe")
	k.ClickAndWait(`main form button[type=submit]`)
	if k.Path() != "/login" || !strings.Contains(k.Text(".flash"), "Votre mot de passe est changé") {
		t.Fatalf("after the reset: %s, %q", k.Path(), k.Text(".flash"))
	}
	loginWith(k, karima.Email, "une nouvelle phrase de passe")
	if got := k.Text("header .me"); !strings.Contains(got, "Karima Tazi") {
		t.Fatalf("not signed in with the new password: %q", got)
	}
	// The link served once.
	k.Go(link.Path)
	if !strings.Contains(k.Text("main"), "n'est plus valable") || !k.Has(`main a[href="/password-reset"]`) {
		t.Errorf("a used link: %q", k.Text("main"))
	}
	k.Snapshot("reset-used-fr")

	// (One browser per test: the suite runs two at a time.)
	chooseLanguage(k, "ar")
	k.step("phone width", chromedp.EmulateViewport(390, 844))
	k.Go("/password-reset")
	if got := k.Attr("html", "dir"); got != "rtl" {
		t.Errorf("dir=%q", got)
	}
	phoneSnapshot(k, "reset-request-ar-390")
	k.Go(link.Path)
	phoneSnapshot(k, "reset-used-ar-390")
}

// TestMailPages_ProfileFollowPersonUnsubscribe: Youssef chooses how he is
// told, follows a measure, opens the page of a person a comment mentions,
// and stops one kind of mail from a mail's link. Every page in French and
// in Arabic at a phone's width.
func TestMailPages_ProfileFollowPersonUnsubscribe(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	youssef := person(t, app, models.RoleMember, "mnc", "Youssef El Idrissi")
	ctx := context.Background()
	m, err := app.Store.CreateMeasure(ctx, amina, models.NewMeasure{Title: "Cloud souverain pour les administrations",
		Summary: "Un cloud national.", Body: measureBody, Pillar: "enablers", Axis: "cloud_computing"})
	if err != nil {
		t.Fatal(err)
	}
	open := models.VisibilityPlatform
	if _, err := app.Store.UpdateMeasure(ctx, amina, m.ID, models.MeasureChange{Visibility: &open, Revision: 1}); err != nil {
		t.Fatal(err)
	}

	y := newBrowser(t, app)
	login(y, youssef)
	y.Go("/profile")
	if got := Eval[string](y, `document.querySelector('input[name="notify_comment"]:checked')?.value`); got != "digest" {
		t.Errorf("new comments default to %q", got)
	}
	y.Click(`input[name="notify_comment"][value="immediate"]`)
	y.ClickAndWait(`form[action="/profile/notifications"] button[type=submit]`)
	if got := Eval[string](y, `document.querySelector('input[name="notify_comment"]:checked')?.value`); got != "immediate" {
		t.Errorf("the choice was not kept: %q", got)
	}
	y.Snapshot("profile-notifications-fr")

	y.Go(fmt.Sprintf("/measures/%d", m.ID))
	y.ClickAndWait(fmt.Sprintf(`form[action="/measures/%d/follow"] button`, m.ID))
	if !strings.Contains(y.Text(".flash"), "Vous suivez désormais cette mesure") || !y.Has(`button[aria-pressed="true"]`) {
		t.Errorf("following: %q", y.Text(".flash"))
	}
	y.Snapshot("measure-following-fr")

	if _, err := app.Store.CreateComment(ctx, amina, m.ID, models.NewComment{
		Body: fmt.Sprintf("Merci @[%s](user:%d) pour la relecture.", youssef.Name, youssef.ID)}); err != nil {
		t.Fatal(err)
	}
	y.Reload()
	y.ClickAndWait(fmt.Sprintf(`.comment a[href="/people/%d"]`, youssef.ID))
	if got := y.Text("h1"); got != "Youssef El Idrissi" {
		t.Errorf("the mention leads to %q", got)
	}
	y.Snapshot("person-fr")

	mail := app.WaitMail(youssef.Email, "vous a mentionné")
	if mail.Unsubscribe == "" {
		t.Fatal("no unsubscribe link")
	}
	// The link works without signing in (server TestNotificationSettingsAndFollow
	// posts it with no cookie); here it is the page a person sees.
	u, _ := url.Parse(mail.Unsubscribe)
	y.Go(u.Path)
	y.Snapshot("unsubscribe-fr")
	y.ClickAndWait("main form button[type=submit]")
	if !strings.Contains(y.Text(".notice"), "C'est fait") {
		t.Errorf("after unsubscribing: %q", y.Text("main"))
	}
	y.Snapshot("unsubscribed-fr")

	// Arabic, at a phone's width.
	chooseLanguage(y, "ar")
	y.step("phone width", chromedp.EmulateViewport(390, 844))
	for _, pg := range []struct{ path, name string }{
		{"/profile#notifications", "profile-notifications-ar-390"},
		{fmt.Sprintf("/measures/%d", m.ID), "measure-following-ar-390"},
		{fmt.Sprintf("/people/%d", youssef.ID), "person-ar-390"},
		{u.Path, "unsubscribe-ar-390"},
	} {
		y.Go(pg.path)
		phoneSnapshot(y, pg.name)
	}

	// A new address, confirmed from the mail sent to it (still in Arabic).
	y.Go("/profile#email")
	y.Fill("#new_email", "youssef@mnc.ma")
	y.ClickAndWait(`form[action="/profile/email"] button[type=submit]`)
	if !y.Has(".flash") || !strings.Contains(y.Text("#email"), "youssef@mnc.ma") {
		t.Errorf("after asking for a new address: %q", y.Text("#email"))
	}
	phoneSnapshot(y, "profile-email-pending-ar-390")
	if old := app.WaitMail(youssef.Email, "Pacte"); old == nil {
		t.Fatal("the old address was not told")
	}
	confirm := app.WaitMail("youssef@mnc.ma", "")
	cu, _ := url.Parse(confirm.Link)
	y.Go(cu.Path)
	if !strings.Contains(y.Text("main .lead"), "youssef@mnc.ma") {
		t.Errorf("the confirmation page does not say which address: %q", y.Text("main"))
	}
	phoneSnapshot(y, "email-change-ar-390")
	y.ClickAndWait("main form button[type=submit]")
	if !strings.Contains(y.Text(".notice"), "youssef@mnc.ma") {
		t.Errorf("after confirming: %q", y.Text("main"))
	}
	phoneSnapshot(y, "email-changed-ar-390")
}

// TestMailPages_UndeliveredMail: mail the server refused for good shows on
// the admins' account pages, in French and in Arabic at a phone's width.
func TestMailPages_UndeliveredMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	smtpd := servertest.NewSMTPServer(t)
	bad := servertest.New(t, models.SQLite, servertest.WithConfig(func(c *server.Config) { c.Mailer, c.SMTPURL = nil, smtpd.URL }))
	smtpd.Fail(1, 550)
	admin := person(t, bad, models.RoleAdmin, "", "Nadia Admin")
	if _, _, err := bad.Store.Invite(ctx, admin, models.InviteRequest{Email: "introuvable@apebi.ma", Name: "Personne Introuvable",
		OrganizationID: bad.Org("apebi").ID, Role: models.RoleMember}); err != nil {
		t.Fatal(err)
	}
	bad.SettleMail()
	ad := newBrowser(t, bad)
	login(ad, admin)
	ad.Go("/admin/users")
	if !strings.Contains(ad.Text("#mail-failures"), "introuvable@apebi.ma") {
		t.Errorf("undelivered mail not shown: %q", ad.Text("main"))
	}
	ad.Snapshot("users-mail-failures-fr")
	chooseLanguage(ad, "ar")
	ad.step("phone width", chromedp.EmulateViewport(390, 844))
	phoneSnapshot(ad, "users-mail-failures-ar-390")
}

// phoneSnapshot checks a page at a phone's width and also saves what the
// window shows: a full-page capture of a right-to-left page at this width
// comes out shifted sideways (a Chromium capture quirk).
func phoneSnapshot(tab *Tab, name string) {
	tab.T.Helper()
	tab.Snapshot(name)
	saveScreenshot(tab.T, name+"-window", run(tab, "window screenshot", chromedp.CaptureScreenshot()))
}
