package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"pacte/models"
	"pacte/server/servertest"
)

// The sign-in page under a limit, in French and Arabic, on a phone and a
// desktop: an empty form asks for the email beside the field (focused); a
// locked account says how long to wait. The owner's browser, which signed
// in before, still gets in (its device cookie), while a stranger's does not.
func TestAuth_SignInLimitsAndDeviceCookie(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleMember, "apebi")

	owner := newBrowser(t, app)
	login(owner, u)
	owner.ClickAndWait(`header form[action="/logout"] button`)

	// Strangers lock the account for strangers.
	s := app.Anonymous()
	s.HTTP.Jar = nil
	for i := 0; i <= models.MaxFailuresPerKey; i++ {
		s.Request("POST", "/api/v1/session", map[string]string{"email": u.Email, "password": fmt.Sprintf("guess %d", i)})
	}

	stranger := owner.NewWindow("stranger")
	for _, size := range []struct {
		name string
		w, h int64
	}{{"390", 390, 844}, {"desktop", 1280, 900}} {
		stranger.step("viewport", chromedp.EmulateViewport(size.w, size.h))
		for _, loc := range []string{"fr", "ar"} {
			stranger.Go("/login")
			if stranger.Attr("html", "lang") != loc {
				chooseLanguage(stranger, loc)
			}
			if got := stranger.Attr("html", "lang"); got != loc {
				t.Fatalf("the sign-in page is in %q, want %q", got, loc)
			}
			// Empty form.
			if st := stranger.ClickAndWait(`main form[action="/login"] button[type=submit]`); st != 422 {
				t.Errorf("[%s] empty sign-in form: %d, want 422", loc, st)
			}
			if msg := stranger.Text("#email ~ .field-error"); msg == "" {
				t.Errorf("[%s] no message beside the empty email field", loc)
			}
			if id := stranger.Focused("email"); id != "email" {
				t.Errorf("[%s] focus is on %q after an empty form, want the email field", loc, id)
			}
			viewShot(stranger, "login-empty-"+loc+"-"+size.name)
			// The locked account, right password.
			stranger.Fill("#email", u.Email)
			stranger.Fill("#password", servertest.DefaultPassword)
			if st := stranger.ClickAndWait(`main form[action="/login"] button[type=submit]`); st != 429 {
				t.Errorf("[%s] locked account: %d, want 429", loc, st)
			}
			msg := stranger.Text(".form-error")
			want := map[string]string{"fr": "réessayez dans 15 minutes", "ar": "أعد المحاولة بعد 15 دقيقة"}[loc]
			if !strings.Contains(msg, want) {
				t.Errorf("[%s] the limit says %q, want it to contain %q", loc, msg, want)
			}
			if got := stranger.Value("#email"); got != u.Email {
				t.Errorf("[%s] the email field holds %q after the limit, want it kept", loc, got)
			}
			viewShot(stranger, "login-limited-"+loc+"-"+size.name)
		}
	}

	// The owner's browser signs in all the same.
	if st := loginWith(owner, u.Email, servertest.DefaultPassword); st != 200 {
		t.Errorf("the owner's browser while strangers are locked out: %d, want 200", st)
	}
	if p := owner.Path(); p != "/" {
		t.Errorf("the owner is on %s after signing in, want /", p)
	}
	owner.step("viewport", chromedp.EmulateViewport(390, 844))
	for _, loc := range []string{"ar", "fr"} {
		owner.Go("/profile")
		chooseLanguage(owner, loc)
		if !owner.Has(`input[name="revoke_tokens"]`) {
			t.Errorf("[%s] the password form does not offer to revoke API tokens", loc)
		}
		Eval[bool](owner, `(document.querySelector('input[name="revoke_tokens"]').scrollIntoView({block: "center"}), true)`)
		viewShot(owner, "profile-password-"+loc+"-390")
	}
	stranger.AssertCleanConsole()

	// The database stops answering: the page says so and the browser stays
	// signed in (no cleared cookie).
	app.Store.Close()
	for _, loc := range []string{"fr", "ar"} {
		owner.step("language cookie", chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tt, network.SetCookie, network.SetCookieParams{Name: "pacte_lang", Value: loc, URL: app.URL})
			return err
		}))
		if st := owner.Go("/profile"); st != 503 {
			t.Errorf("[%s] /profile with the database away: %d, want 503", loc, st)
		}
		if got := owner.Attr("html", "lang"); got != loc {
			t.Errorf("the 503 page is in %q, want %q", got, loc)
		}
		viewShot(owner, "db-unavailable-"+loc+"-390")
	}
	cookies := run(owner, "cookies", chromedp.Action[[]string](func(ctx context.Context, tt *chromedp.Target) ([]string, error) {
		r, err := cdp.Call(ctx, tt, network.GetCookies, network.GetCookiesParams{URLs: []string{app.URL}})
		var names []string
		for _, c := range r.Cookies {
			names = append(names, c.Name)
		}
		return names, err
	}))
	if !slices.Contains(cookies, "pacte_session") {
		t.Errorf("the browser lost its session while the database was away (cookies %v)", cookies)
	}
}

// viewShot saves what the window shows (these pages fit in it) and checks
// it like Snapshot. (The full-page capture of Snapshot shifts short
// right-to-left pages sideways in this Chromium; the page itself is fine.)
func viewShot(tab *Tab, name string) {
	tab.T.Helper()
	png := run(tab, "screenshot "+name, chromedp.CaptureScreenshot())
	tab.T.Logf("screenshot %s: %s", name, saveScreenshot(tab.T, name, png))
	tab.AssertTranslated(name)
	tab.AssertNoOverflow(name)
}
