package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// Second factor (docs/SECURITY.md 6.3.3): enrolment on the profile page, the code
// step of the sign-in form, and the setting that makes it compulsory for
// some roles. The API side of the sign-in is in apiLogin (the totp field).

// checkTOTPRoles accepts only the roles that can turn on a second factor:
// requiring it of members would lock them out.
func checkTOTPRoles(roles []string) error {
	for _, r := range roles {
		if !slices.Contains(models.TOTPRoles, r) {
			return fmt.Errorf("require TOTP: %q is not a role that can use two-step sign-in (use %s)", r, strings.Join(models.TOTPRoles, ", "))
		}
	}
	return nil
}

// totpRequired reports whether the deployment requires a second factor of
// this person's role.
func (s *Server) totpRequired(u *models.User) bool {
	return u != nil && slices.Contains(s.cfg.RequireTOTPRoles, u.Role)
}

// ErrTOTPEnrolmentRequired answers the API while a required second factor
// is not on.
var errTOTPEnrolmentRequired = models.CodedError(models.EForbidden, "totp_enrolment_required",
	"Your role requires two-step sign-in. Turn it on from your profile page first.")

// totpExempt lists what a person who must still enrol may reach: the
// profile and the enrolment, signing out, the language, the assets, and
// the description of the API.
func totpExempt(method, path string) bool {
	switch path {
	case "/profile", "/logout", "/language", "/login", "/login/totp", "/healthz", "/metrics":
		return true
	}
	if strings.HasPrefix(path, "/profile/totp/") || strings.HasPrefix(path, "/static/") {
		return true
	}
	switch method + " " + path {
	case "GET /api/v1/me", "DELETE /api/v1/session", "POST /api/v1/session", "GET /api/v1/openapi.json":
		return true
	}
	return false
}

// requireTOTP keeps people whose role requires a second factor, and who
// have not turned it on, to their profile: pages redirect there, the API
// and the websocket answer 403 totp_enrolment_required. It applies to
// bearer tokens too, or a token made earlier would dodge the rule.
func (s *Server) requireTOTP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := ctxUser(c)
		if u == nil || u.TOTPEnabled || !s.totpRequired(u) {
			return next(c)
		}
		r := c.Request()
		if totpExempt(r.Method, r.URL.Path) {
			return next(c)
		}
		if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/ws" {
			return errTOTPEnrolmentRequired
		}
		return c.Redirect(http.StatusSeeOther, "/profile#totp")
	}
}

// secondFactor checks the code of a person whose password was right, with
// its failures logged like password failures.
func (s *Server) secondFactor(c echo.Context, u *models.User, code string) (*models.User, error) {
	nu, err := s.store.SecondFactor(c.Request().Context(), u, code, s.loginClient(c))
	if err != nil {
		if me, ok := err.(*models.Error); ok && (me.Kind == models.EUnauthorized || me.Kind == models.ETooMany) {
			s.log.Warn("sign-in failed", "ip", c.RealIP(), "user_id", u.ID, "why", me.Code)
		}
		return nil, err
	}
	return nu, nil
}

// loginSecondStep shows the code form of the sign-in. The password step is
// remembered server-side as a pending sign-in whose random id travels in a
// hidden field: single-use (a new one replaces it after a wrong code) and
// ending at expires, five minutes after the password.
func (s *Server) loginSecondStep(c echo.Context, u *models.User, next string, expires time.Time, failure error) error {
	raw, err := s.store.CreatePendingLogin(c.Request().Context(), u.ID, expires)
	if err != nil {
		return err
	}
	p := s.newPage(c, "login-totp", "totp.login_title")
	p.Form["pending"], p.Form["next"] = raw, next
	if failure != nil {
		return s.formFailed(c, p, failure)
	}
	return s.render(c, p)
}

func (s *Server) pageLoginTOTPSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	next := safeNext(c.FormValue("next"))
	backToPassword := func(email string, err error) error {
		p := s.newPage(c, "login", "login.title")
		p.Form["next"], p.Form["email"] = next, email
		return s.formFailed(c, p, err)
	}
	u, expires, err := s.store.TakePendingLogin(ctx, c.FormValue("pending"))
	if err != nil {
		return backToPassword("", err)
	}
	nu, err := s.secondFactor(c, u, c.FormValue("code"))
	if err != nil {
		if me, ok := err.(*models.Error); ok && (me.Code == models.ErrInvalidTOTP.Code || me.Code == models.ErrTOTPRequired.Code) {
			return s.loginSecondStep(c, u, next, expires, err)
		}
		return backToPassword(u.Email, err)
	}
	if _, _, err := s.startSession(c, nu); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// totpPanel is what the profile page shows about the second factor.
type totpPanel struct {
	Show     bool // the person may manage a second factor
	Enabled  bool
	Pending  bool // a secret was drawn and awaits its first code
	Required bool // the deployment requires it of the person's role
	// Notice repeats the requirement in the panel when the page's flash
	// line already carries another message.
	Notice bool
	// While pending: the secret, grouped by four for typing, and the
	// otpauth:// address for apps that take one.
	Secret    string
	URI       string
	CodesLeft int64
}

// addTOTPPanel fills the profile page's second-factor panel.
func (s *Server) addTOTPPanel(c echo.Context, p *Page) error {
	u := p.User
	panel := totpPanel{Show: models.Can(u, models.ActManageTOTP, u), Enabled: u.TOTPEnabled, Required: s.totpRequired(u)}
	if u.TOTPEnabled {
		n, err := s.store.RecoveryCodesLeft(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		panel.CodesLeft = n
	} else if u.TOTPSecret != "" && panel.Show {
		panel.Pending = true
		panel.Secret = models.GroupTOTPSecret(u.TOTPSecret)
		panel.URI = models.TOTPURI(u.Email, u.TOTPSecret)
	}
	if panel.Required && !panel.Enabled {
		if p.Flash == "" {
			p.Flash = p.T("totp.required_notice")
		} else {
			panel.Notice = true
		}
	}
	p.Data.(*profileData).TOTP = panel
	return nil
}

// totpUser is the signed-in person, if they may manage a second factor.
func totpUser(c echo.Context) (*models.User, error) {
	u := ctxUser(c)
	if !models.Can(u, models.ActManageTOTP, u) {
		return nil, models.Errorf(models.EForbidden, "Two-step sign-in is for reviewers, moderators and administrators.")
	}
	return u, nil
}

// renameFields moves a store's field errors to the names the profile form
// uses.
func renameFields(err error, names map[string]string) error {
	if me, ok := err.(*models.Error); ok && me.Fields != nil {
		renamed := map[string]string{}
		for k, v := range me.Fields {
			if n, ok := names[k]; ok {
				k = n
			}
			renamed[k] = v
		}
		me.Fields = renamed
	}
	return err
}

// pageTOTPSetup draws a secret; the profile then shows it with the form
// that confirms it.
func (s *Server) pageTOTPSetup(c echo.Context) error {
	u, err := totpUser(c)
	if err != nil {
		return err
	}
	if _, err := s.store.BeginTOTP(c.Request().Context(), u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/profile#totp")
}

func (s *Server) pageTOTPCancel(c echo.Context) error {
	u, err := totpUser(c)
	if err != nil {
		return err
	}
	if err := s.store.CancelTOTP(c.Request().Context(), u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/profile#totp")
}

// pageTOTPEnable checks the first code and shows the recovery codes, once.
func (s *Server) pageTOTPEnable(c echo.Context) error {
	u, err := totpUser(c)
	if err != nil {
		return err
	}
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	codes, err := s.store.EnableTOTP(c.Request().Context(), u, c.FormValue("totp_code"))
	if err != nil {
		return s.formFailed(c, p, renameFields(err, map[string]string{"code": "totp_code"}))
	}
	nu, err := s.store.UserByID(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	c.Set("user", nu)
	if p, err = s.profilePage(c); err != nil {
		return err
	}
	// Shown on this response only; only their hashes are stored.
	p.Data.(*profileData).RecoveryCodes = codes
	return s.render(c, p)
}

// pageTOTPDisable turns the second factor off with the password and a code.
func (s *Server) pageTOTPDisable(c echo.Context) error {
	u, err := totpUser(c)
	if err != nil {
		return err
	}
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	err = s.store.DisableTOTP(c.Request().Context(), u, c.FormValue("totp_password"), c.FormValue("totp_code"), c.RealIP())
	if err != nil {
		return s.formFailed(c, p, renameFields(err, map[string]string{"password": "totp_password", "code": "totp_code"}))
	}
	s.flash(c, "totp_disabled")
	return c.Redirect(http.StatusSeeOther, "/profile")
}
