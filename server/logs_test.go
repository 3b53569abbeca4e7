package server_test

import (
	"net/url"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// The logs of a whole account scenario hold no password, session token,
// CSRF token, bearer token or invitation token.
func TestLogs_NoSecrets(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		secrets := map[string]string{"fixture password": servertest.DefaultPassword}
		modUser := app.User(models.RoleModerator, "apebi")

		// Sign in through the API and through the form, with a wrong try.
		wrong := "an-incorrect-Passw0rd"
		secrets["wrong password"] = wrong
		script(app).Request("POST", "/api/v1/session", map[string]string{"email": modUser.Email, "password": wrong})
		mod := app.Login(modUser)
		secrets["session cookie"] = sessionValue(t, mod)
		secrets["session CSRF token"] = mod.CSRF
		b := browser(t, app)
		secrets["anonymous CSRF token"] = b.CSRF
		for _, ck := range b.Cookies() {
			if ck.Name == "pacte_csrf" {
				secrets["anonymous CSRF cookie"] = ck.Value
			}
		}
		postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {modUser.Email}, "password": {wrong}})
		postForm(b, "/login", url.Values{"csrf_token": {b.CSRF}, "email": {modUser.Email}, "password": {servertest.DefaultPassword}})
		secrets["form session cookie"] = sessionValue(t, b)

		// A bearer token, used, misused, and revoked.
		var tok tokenOut
		mod.Do("POST", "/api/v1/tokens", map[string]string{"name": "logs"}, &tok)
		secrets["bearer token"] = tok.Token
		bearer := script(app)
		bearer.Bearer = tok.Token
		bearer.Request("GET", "/api/v1/me", nil)
		bad := script(app)
		bad.Bearer = "pct_not-a-valid-token-but-secret-looking"
		bad.Request("GET", "/api/v1/me", nil)
		secrets["bad bearer token"] = bad.Bearer
		mod.Request("DELETE", idPath("/api/v1/tokens/", tok.ID), nil)

		// A refused cross-site request and a CSRF failure carry tokens too.
		mod.Headers["Sec-Fetch-Site"] = "cross-site"
		mod.Request("POST", "/api/v1/tokens", map[string]string{"name": "x"})
		delete(mod.Headers, "Sec-Fetch-Site")
		withCookie(app, "pacte_session", secrets["session cookie"]).Request("POST", "/api/v1/tokens", map[string]string{"name": "x"})

		// Invitation, shown, failed and accepted, by API and page.
		inv := invite(t, mod, "logs@example.ma", app.Org("apebi").ID, models.RoleMember)
		secrets["invitation token"] = inv.Token
		script(app).Request("GET", "/api/v1/invitations/"+inv.Token, nil)
		getHTML(app.Anonymous(), "/invitations/"+inv.Token)
		script(app).Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": "password123"})
		chosen := "the invitee's own long phrase"
		secrets["chosen password"] = chosen
		script(app).Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": chosen})
		script(app).Request("POST", "/api/v1/invitations/"+inv.Token+"/accept", map[string]string{"password": chosen})
		inv2 := invite(t, mod, "logs2@example.ma", app.Org("apebi").ID, models.RoleMember)
		secrets["second invitation token"] = inv2.Token
		ib := app.Anonymous()
		ib.CSRF = csrfFromHTML(t, getHTML(ib, "/invitations/"+inv2.Token).Body)
		postForm(ib, "/invitations/"+inv2.Token, url.Values{"csrf_token": {ib.CSRF}, "password": {chosen + "!"}, "password_confirm": {chosen + "!"}})
		secrets["second chosen password"] = chosen + "!"

		// Password change.
		next := "a replacement passphrase for logs"
		secrets["new password"] = next
		postForm(mod, "/profile/password", url.Values{"csrf_token": {mod.CSRF}, "current_password": {servertest.DefaultPassword},
			"new_password": {next}, "new_password_confirm": {next}, "end_other_sessions": {"on"}})

		// The set-up link is printed for the operator, never logged.
		secrets["set-up token"] = setupToken(t, app.Console.String())
		getHTML(app.Anonymous(), "/setup/"+secrets["set-up token"])

		logs := app.Logs.String()
		if !strings.Contains(logs, "route=/api/v1/session") {
			t.Fatalf("the scenario left no request logs: %.500s", logs)
		}
		for what, v := range secrets {
			if v == "" {
				t.Errorf("%s: no value captured", what)
				continue
			}
			if strings.Contains(logs, v) || strings.Contains(logs, url.QueryEscape(v)) {
				t.Errorf("the logs contain the %s", what)
			}
		}
	})
}
