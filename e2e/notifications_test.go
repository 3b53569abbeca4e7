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

// TestNotifications_CounterLightsLive: Youssef has the home page open when
// Amina adds him as a co-editor. His bell lights without a reload, says
// how many are unread to a screen reader, and leads to a real list; opening
// the item takes him to the measure and clears the count. The list is
// checked in French and Arabic, on a desktop and at a phone's width.
func TestNotifications_CounterLightsLive(t *testing.T) {
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

	y := newBrowser(t, app)
	y.Name = "youssef"
	login(y, youssef)
	y.Go("/")
	y.WaitUntil(`document.querySelector("[data-live-indicator]")?.dataset.state === "online"`)
	if y.Has(`[data-notification-count]:not([hidden])`) {
		t.Fatal("the counter shows before anything happened")
	}
	notReloaded(y)

	if _, err := app.Store.AddEditor(ctx, amina, m.ID, youssef.ID); err != nil {
		t.Fatal(err)
	}
	y.WaitUntil(`document.querySelector("[data-notification-count]:not([hidden])")?.textContent === "1"`)
	assertNotReloaded(y, "a new notification")
	if got := y.Attr("[data-notifications]", "aria-label"); got != "Notifications non lues : 1" {
		t.Errorf("the bell is labelled %q", got)
	}
	if got := y.Text("[data-notification-announce]"); !strings.Contains(got, "Nouvelle notification") {
		t.Errorf("the live region says %q", got)
	}
	y.Snapshot("notifications-counter-fr")

	y.ClickAndWait("[data-notifications]")
	if y.Path() != "/notifications" {
		t.Fatalf("the bell leads to %s", y.Path())
	}
	item := y.Text(".notification.unread .notification-text")
	if want := "Amina Benali vous a ajouté à la co-rédaction de « Cloud souverain pour les administrations »"; item != want {
		t.Errorf("the list shows %q, want %q", item, want)
	}
	y.Snapshot("notifications-list-fr")

	y.ClickAndWait(".notification .notification-open")
	if want := fmt.Sprintf("/measures/%d", m.ID); y.Path() != want {
		t.Fatalf("opening the notification leads to %s, want %s", y.Path(), want)
	}
	if y.Has(`[data-notification-count]:not([hidden])`) {
		t.Error("the counter still shows after the notification was opened")
	}

	// Arabic, desktop then phone.
	y.Go("/notifications")
	chooseLanguage(y, "ar")
	if y.Attr("html", "dir") != "rtl" {
		t.Fatal("the page did not switch to Arabic")
	}
	if got := y.Text(".notification .notification-text"); !strings.Contains(got, "أضافك Amina Benali") {
		t.Errorf("the Arabic list shows %q", got)
	}
	y.Snapshot("notifications-list-ar")
	y.step("phone width", chromedp.EmulateViewport(390, 844))
	y.Reload()
	// The full-page capture draws an RTL page emulated at phone width
	// shifted sideways (a Chromium capture quirk: the page itself is 390 px
	// wide, as Snapshot's overflow check shows); the window's own capture
	// is what a person sees.
	saveScreenshot(t, "notifications-list-ar-390-window", run(y, "window screenshot", chromedp.CaptureScreenshot()))
	y.Snapshot("notifications-list-ar-390")
	chooseLanguage(y, "fr")
	y.Snapshot("notifications-list-fr-390")
	y.AssertCleanConsole()
}
