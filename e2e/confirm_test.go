package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server/servertest"
)

// TestConfirm_WithdrawAsksThenRestore: "Retirer la mesure" asks first on a
// page that says what will happen, with the confirm button focused and a
// way back; "Annuler" keeps the measure; confirming withdraws it; its
// editor then restores it as a draft. Checked in French and Arabic and at a
// phone's width.
func TestConfirm_WithdrawAsksThenRestore(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	m, err := app.Store.CreateMeasure(context.Background(), amina, models.NewMeasure{Title: "Former 50 000 jeunes au numérique",
		Summary: "Un programme national.", Body: measureBody, Pillar: "digital_economy", Axis: "youth_it_training"})
	if err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/measures/%d", m.ID)
	withdraw := `form[action$="/withdraw"] button[type=submit]`
	a := newBrowser(t, app)
	login(a, amina)
	a.Go(page)
	a.ClickAndWait(withdraw)
	if !a.Has(".confirm-page") || a.Path() != page+"/withdraw" {
		t.Fatalf("withdrawing did not ask first (at %s)", a.Path())
	}
	a.Snapshot("confirm-withdraw-fr")
	a.ClickAndWait(".confirm-page a.button")
	if a.Path() != page {
		t.Fatalf("Annuler leads to %s", a.Path())
	}
	expectStatus(a, models.StatusDraft, "Brouillon")

	a.ClickAndWait(withdraw)
	a.ClickAndWait(".confirm-page button[type=submit]")
	expectStatus(a, models.StatusWithdrawn, "Retirée")
	a.ClickAndWait(`form[action$="/restore"] button[type=submit]`)
	expectStatus(a, models.StatusDraft, "Brouillon")

	chooseLanguage(a, "ar")
	a.ClickAndWait(withdraw)
	a.Snapshot("confirm-withdraw-ar")
	a.step("phone width", chromedp.EmulateViewport(390, 844))
	a.Reload()
	saveScreenshot(t, "confirm-withdraw-ar-390-window", run(a, "window screenshot", chromedp.CaptureScreenshot()))
	a.AssertNoOverflow("confirm-withdraw-ar-390")
	a.AssertCleanConsole()
}
