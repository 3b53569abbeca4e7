package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// A moderator invites a member from /admin/users; the member opens the
// link in their own browser, reads the privacy notice, chooses a password,
// is signed in, switches to Arabic and signs out.
func TestAccounts_InviteAcceptLanguageLogout(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	mod := app.User(models.RoleModerator, "apebi")
	mnc := app.Org("mnc")

	a := newBrowser(t, app)
	login(a, mod)
	if p := a.Path(); p != "/" {
		t.Fatalf("after signing in the moderator is on %s, want /", p)
	}
	a.Snapshot("home-moderator")

	if st := a.Go("/admin/users"); st != 200 {
		t.Fatalf("GET /admin/users: %d", st)
	}
	a.Click("details.panel > summary")
	a.WaitVisible("#invite_email")
	a.Fill("#invite_email", "amina.benali@example.ma")
	a.Fill("#invite_name", "Amina Benali")
	a.Select("#invite_org", strconv.FormatInt(mnc.ID, 10))
	a.Select("#invite_role", models.RoleMember)
	a.Snapshot("admin-users-invite-form")
	if st := a.ClickAndWait(`form[action="/admin/users/invite"] button[type=submit]`); st != 201 {
		t.Fatalf("invite: status %d, want 201", st)
	}
	link := a.Text("[data-invite-url]")
	if !strings.HasPrefix(link, app.URL+"/invitations/") {
		t.Fatalf("invitation link %q does not point at %s/invitations/…", link, app.URL)
	}
	if row := a.Text("table.users tbody"); !strings.Contains(row, "amina.benali@example.ma") {
		t.Errorf("the invited person is not in the list: %q", row)
	}
	a.Snapshot("admin-users-invited")

	// The member, in a browser of their own.
	m := a.NewWindow("member")
	if st := m.Go(strings.TrimPrefix(link, app.URL)); st != 200 {
		t.Fatalf("invitation page: status %d", st)
	}
	if got := m.Text("main .lead"); !strings.Contains(got, "Amina Benali") {
		t.Errorf("invitation greeting %q does not name the invitee", got)
	}
	privacy := m.Text("aside.privacy")
	if !strings.Contains(privacy, "09-08") {
		t.Errorf("the privacy notice does not cite law 09-08: %q", privacy)
	}
	m.Snapshot("invitation")

	const password = "un mot de passe assez long"
	m.Fill("#password", password)
	m.Fill("#password_confirm", password)
	m.ClickAndWait(`main form button[type=submit]`)
	if p := m.Path(); p != "/" {
		t.Fatalf("after accepting, the member is on %s, want /", p)
	}
	if got := m.Text("header .me"); !strings.Contains(got, "Amina Benali") {
		t.Fatalf("the header shows %q, want the member's name", got)
	}
	if flash := m.Text(".flash"); flash == "" {
		t.Errorf("no welcome message after accepting the invitation")
	}

	// Arabic, from the header's language switch.
	chooseLanguage(m, "ar")
	if dir, lang := m.Attr("html", "dir"), m.Attr("html", "lang"); dir != "rtl" || lang != "ar" {
		t.Fatalf(`after choosing العربية the page has <html dir=%q lang=%q>, want dir="rtl" lang="ar"`, dir, lang)
	}
	if p := m.Attr(`.lang-switch button[value="ar"]`, "aria-pressed"); p != "true" {
		t.Errorf("the Arabic button is not marked pressed (aria-pressed=%q)", p)
	}
	// Mirrored: the brand sits on the right, the tools on the left.
	if !Eval[bool](m, `document.querySelector(".brand").getBoundingClientRect().left > document.querySelector(".tools").getBoundingClientRect().left`) {
		t.Errorf("the header is not mirrored in Arabic: the brand is left of the tools")
	}
	m.Snapshot("home-ar")

	m.ClickAndWait(`form[action="/logout"] button[type=submit]`)
	if p := m.Path(); p != "/login" {
		t.Fatalf("after signing out the member is on %s, want /login", p)
	}
	if m.Has("header .me") {
		t.Errorf("the header still shows a signed-in person after signing out")
	}
	if st := Eval[int](m, `fetch("/api/v1/me").then(r => r.status)`); st != 401 {
		t.Errorf("GET /api/v1/me after signing out: %d, want 401", st)
	}
	a.AssertCleanConsole()
	m.AssertCleanConsole()
}

// A member's open page stops working as soon as a moderator suspends them:
// the next request from it asks them to sign in, and the API refuses it.
func TestAccounts_SuspendedMemberRefused(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	mod := app.User(models.RoleModerator, "")
	mem := app.User(models.RoleMember, "mnc")

	a := newBrowser(t, app)
	login(a, mod)
	b := a.NewWindow("member")
	login(b, mem)
	if st := b.Go("/profile"); st != 200 {
		t.Fatalf("GET /profile: %d", st)
	}
	if got := b.Value("#name"); got != mem.Name {
		t.Fatalf("profile name field %q, want %q", got, mem.Name)
	}
	b.Snapshot("profile")

	if st := a.Go(fmt.Sprintf("/admin/users/%d", mem.ID)); st != 200 {
		t.Fatalf("GET /admin/users/%d: %d", mem.ID, st)
	}
	a.Snapshot("admin-user")
	a.ClickAndWait(`form input[name="status"][value="suspended"] ~ button[type=submit]`)
	// Suspension asks first, naming the person.
	if q := a.Text(".confirm-page .lead"); !strings.Contains(q, "Suspendre le compte de") {
		t.Fatalf("suspending did not ask first: %q", q)
	}
	a.ClickAndWait(".confirm-page button[type=submit]")
	if cls := a.Attr("[data-user-status]", "class"); !strings.Contains(cls, "status-suspended") {
		t.Fatalf("after suspending, the status shows class %q", cls)
	}
	a.WaitVisible(`form input[name="status"][value="active"] ~ button[type=submit]`)
	if h := a.Text(".audit-list"); !strings.Contains(h, "suspendu") && !strings.Contains(h, "Suspendu") {
		t.Errorf("the account history does not tell of the suspension: %q", h)
	}
	a.Snapshot("admin-user-suspended")

	// The member's page is still open from before; its calls are refused.
	if st := Eval[int](b, `fetch("/api/v1/me", {headers: {Accept: "application/json"}}).then(r => r.status)`); st != 401 {
		t.Errorf("API call from the suspended member's open page: %d, want 401", st)
	}
	b.Fill("#name", "Nouveau nom")
	b.ClickAndWait(`form[action="/profile"] button[type=submit]`)
	if p := b.Path(); !strings.HasPrefix(p, "/login") {
		t.Errorf("after submitting the profile form, the suspended member is on %s, want /login", p)
	}
	if b.Has("header .me") {
		t.Errorf("the suspended member still appears signed in")
	}
	if st := b.Go("/profile"); st != 200 || !strings.HasPrefix(b.Path(), "/login") {
		t.Errorf("opening /profile again as a suspended member: status %d at %s, want the login page", st, b.Path())
	}
	// Signing in again is refused too.
	loginWith(b, mem.Email, servertest.DefaultPassword)
	if b.Has("header .me") || !strings.HasPrefix(b.Path(), "/login") {
		t.Errorf("a suspended member could sign in again (now at %s)", b.Path())
	}
	a.AssertCleanConsole()
	b.AssertCleanConsole()
}

// A form that fails keeps what was typed and says what is wrong beside the
// field.
func TestAccounts_FormErrorsKeepInput(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	mod := app.User(models.RoleModerator, "")
	mem := app.User(models.RoleMember, "ausim")

	a := newBrowser(t, app)
	login(a, mod)
	a.Go("/admin/users")
	a.Click("details.panel > summary")
	a.Fill("#invite_email", "pas-une-adresse")
	a.Fill("#invite_name", "Youssef Alaoui")
	a.Select("#invite_org", strconv.FormatInt(app.Org("ausim").ID, 10))
	if st := a.ClickAndWait(`form[action="/admin/users/invite"] button[type=submit]`); st != 422 {
		t.Errorf("invite with a bad email: status %d, want 422", st)
	}
	if !a.Has("details.panel[open]") {
		t.Errorf("the invite form closed after the error")
	}
	if got := a.Value("#invite_name"); got != "Youssef Alaoui" {
		t.Errorf("the name field holds %q after the error, want it kept", got)
	}
	if got := a.Value("#invite_email"); got != "pas-une-adresse" {
		t.Errorf("the email field holds %q after the error, want it kept", got)
	}
	if got := a.Value("#invite_org"); got != strconv.FormatInt(app.Org("ausim").ID, 10) {
		t.Errorf("the organisation select holds %q after the error, want it kept", got)
	}
	if msg := a.Text("#invite_email ~ .field-error"); msg == "" {
		t.Errorf("no error message beside the email field")
	}
	if inv := a.Attr("#invite_email", "aria-invalid"); inv != "true" {
		t.Errorf("the email field is not marked invalid (aria-invalid=%q)", inv)
	}
	if a.Has("#invite_name ~ .field-error") {
		t.Errorf("an error shows beside the name, which was fine")
	}
	if a.Has("[data-invite-url]") {
		t.Errorf("an invitation link shows although the invitation failed")
	}
	a.Snapshot("admin-users-invite-error")

	// The login form, in a fresh browser.
	b := a.NewWindow("visitor")
	if st := loginWith(b, mem.Email, "not the password"); st != 401 && st != 422 {
		t.Errorf("login with a wrong password: status %d, want 401 or 422", st)
	}
	if p := b.Path(); p != "/login" {
		t.Errorf("after a wrong password the visitor is on %s, want /login", p)
	}
	if got := b.Value("#email"); got != mem.Email {
		t.Errorf("the email field holds %q after the error, want %q", got, mem.Email)
	}
	if got := b.Value("#password"); got != "" {
		t.Errorf("the password field was filled back in after the error")
	}
	if msg := b.Text(".form-error"); msg == "" {
		t.Errorf("no error message on the login form")
	}
	b.Snapshot("login-error")
	a.AssertCleanConsole()
	b.AssertCleanConsole()
}

// The login form works from the keyboard, and focus can be seen.
func TestAccounts_KeyboardLogin(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	a := newBrowser(t, app)
	if st := a.Go("/login"); st != 200 {
		t.Fatalf("GET /login: %d", st)
	}
	a.Snapshot("login")

	type focused struct {
		ID      string `json:"id"`
		Tag     string `json:"tag"`
		Type    string `json:"type"`
		InMain  bool   `json:"inMain"`
		Outline string `json:"outline"`
		Width   string `json:"width"`
	}
	const probe = `(() => { const el = document.activeElement, cs = getComputedStyle(el);
	  return {id: el.id || "", tag: el.tagName.toLowerCase(), type: el.getAttribute("type") || "",
	    inMain: !!el.closest("main"), outline: cs.outlineStyle, width: cs.outlineWidth}; })()`

	var got focused
	for i := 0; i < 30 && got.ID != "email"; i++ {
		a.Press(keyTab)
		got = Eval[focused](a, probe)
	}
	if got.ID != "email" {
		t.Fatalf("30 presses of Tab never reached the email field (last focus: %+v)", got)
	}
	want := []func(f focused) bool{
		func(f focused) bool { return f.ID == "email" },
		func(f focused) bool { return f.ID == "password" },
		func(f focused) bool { return f.Tag == "button" && f.Type == "submit" && f.InMain },
	}
	names := []string{"the email field", "the password field", "the submit button"}
	for i, ok := range want {
		if i > 0 {
			a.Press(keyTab)
			got = Eval[focused](a, probe)
		}
		if !ok(got) {
			t.Fatalf("Tab %d after the email field reached %+v, want %s", i, got, names[i])
		}
		if got.Outline == "none" || got.Width == "0px" {
			t.Errorf("%s has no visible focus style (outline %s %s)", names[i], got.Outline, got.Width)
		}
	}
	a.AssertCleanConsole()
}

// An unknown address shows the friendly error page, with a way home.
func TestAccounts_NotFoundPage(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	a := newBrowser(t, app)
	if st := a.Go("/"); st != 200 {
		t.Fatalf("GET /: %d", st)
	}
	if a.Has("header .me") {
		t.Fatalf("a visitor appears signed in")
	}
	a.Snapshot("home-signed-out")

	if st := a.Go("/nope"); st != 404 {
		t.Errorf("GET /nope: status %d, want 404", st)
	}
	if code := a.Text(".error-page .error-code"); code != "404" {
		t.Errorf("the error page shows code %q, want 404", code)
	}
	if h := a.Text(".error-page h1"); h == "" {
		t.Errorf("the error page has no heading")
	}
	if href := a.Attr(".error-page a.button", "href"); href != "/" {
		t.Errorf("the error page's button goes to %q, want /", href)
	}
	a.Snapshot("404")
	a.AssertCleanConsole()
}
