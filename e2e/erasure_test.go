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

// TestErasure_FromProfileAndByAdmin: Zineb erases her account from her
// profile (a wrong password first: the field is marked and focused, the
// form stays); she lands on the sign-in page with a last word. Amina,
// who co-wrote with her, still reads Zineb's comment, signed with the
// pseudonym, in French and in Arabic, on a phone too. An admin erases
// another account from its page, after a confirmation.
func TestErasure_FromProfileAndByAdmin(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	ctx := context.Background()
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	zineb := person(t, app, models.RoleMember, "apebi", "Zineb El Ouazzani")
	omar := person(t, app, models.RoleMember, "mnc", "Omar Tazi")
	admin := person(t, app, models.RoleAdmin, "", "Nadia Admin")
	m, err := app.Store.CreateMeasure(ctx, amina, models.NewMeasure{Title: "Former 50 000 jeunes au numérique",
		Summary: "Un programme national.", Body: measureBody, Pillar: "digital_economy", Axis: "youth_it_training"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.AddEditor(ctx, amina, m.ID, zineb.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.CreateComment(ctx, zineb, m.ID, models.NewComment{Body: "Ajoutons un calendrier par région."}); err != nil {
		t.Fatal(err)
	}

	z := newBrowser(t, app)
	login(z, zineb)
	z.Go("/profile")
	if got := z.Text("#erase"); !strings.Contains(got, models.ErasedName(zineb.ID)) || !strings.Contains(got, "reste dans l'historique") {
		t.Errorf("the erasure section does not say what stays and under which name: %q", got)
	}
	z.Snapshot("profile-erase-fr")
	z.Fill("#erase_password", "pas le bon")
	if st := z.ClickAndWait(`form[action="/profile/erase"] button[type=submit]`); st != 422 {
		t.Fatalf("wrong password: status %d, want 422", st)
	}
	if focused := z.Focused("erase_password"); focused != "erase_password" {
		t.Errorf("after a wrong password the focus is on %q, want the password field", focused)
	}
	if got := z.Text("#erase"); !strings.Contains(got, "Votre mot de passe est incorrect") {
		t.Errorf("the wrong password is not explained beside the field: %q", got)
	}
	z.Snapshot("profile-erase-wrong-password-fr")
	Eval[bool](z, `(() => { document.getElementById("erase").scrollIntoView({block: "center", behavior: "instant"}); return true; })()`)
	saveScreenshot(t, "profile-erase-wrong-password-fr-window", run(z, "window screenshot", chromedp.CaptureScreenshot()))
	z.Fill("#erase_password", servertest.DefaultPassword)
	z.ClickAndWait(`form[action="/profile/erase"] button[type=submit]`)
	if p := z.Path(); p != "/login" {
		t.Fatalf("after erasure Zineb is on %s, want /login", p)
	}
	if flash := z.Text(".flash"); !strings.Contains(flash, "effacé") {
		t.Errorf("no last word after erasure: %q", flash)
	}
	z.Snapshot("login-after-erasure-fr")
	if st := loginWith(z, zineb.Email, servertest.DefaultPassword); st == 303 || z.Path() == "/" {
		t.Error("the erased account can still sign in")
	}

	a := z.NewWindow("amina")
	login(a, amina)
	page := fmt.Sprintf("/measures/%d", m.ID)
	a.Go(page)
	if got := a.Text(".comment-author"); !strings.Contains(got, models.ErasedName(zineb.ID)) {
		t.Errorf("Zineb's comment is signed %q, want the pseudonym", got)
	}
	if strings.Contains(a.Text("main"), "Zineb") {
		t.Error("the measure page still names Zineb")
	}
	a.Snapshot("measure-erased-author-fr")
	chooseLanguage(a, "ar")
	a.Go(page)
	if got := a.Text(".comment-author"); !strings.Contains(got, fmt.Sprintf("عضو سابق رقم %d", zineb.ID)) {
		t.Errorf("in Arabic the comment is signed %q", got)
	}
	a.step("phone width", chromedp.EmulateViewport(390, 844))
	a.Reload()
	a.Snapshot("measure-erased-author-ar-390")
	a.AssertNoOverflow("measure-erased-author-ar-390")

	// The admin erases Omar, after saying yes.
	ad := z.NewWindow("admin")
	login(ad, admin)
	chooseLanguage(ad, "ar")
	ad.Go(fmt.Sprintf("/admin/users/%d", omar.ID))
	ad.Snapshot("admin-user-erase-ar")
	ad.ClickAndWait(`form[action$="/erase"] button[type=submit]`)
	if !ad.Has(".confirm-page") {
		t.Fatalf("erasing did not ask first (at %s)", ad.Path())
	}
	ad.step("phone width", chromedp.EmulateViewport(390, 844))
	ad.Reload()
	ad.Snapshot("admin-user-erase-confirm-ar-390")
	saveScreenshot(t, "admin-user-erase-confirm-ar-390-window", run(ad, "window screenshot", chromedp.CaptureScreenshot()))
	ad.AssertNoOverflow("admin-user-erase-confirm-ar-390")
	ad.ClickAndWait(".confirm-page button[type=submit]")
	if got := ad.Text("[data-user-status]"); !strings.Contains(got, "محذوف") {
		t.Errorf("after erasure the account's status reads %q", got)
	}
	ad.Snapshot("admin-user-erased-ar-390")
	ad.AssertNoOverflow("admin-user-erased-ar-390")
	z.AssertCleanConsole()
	a.AssertCleanConsole()
	ad.AssertCleanConsole()
}
