package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// userJSON is the user object of docs/API.md; the email only for the person,
// moderators and admins.
type userJSON struct {
	ID             int64  `json:"id"`
	Email          string `json:"email,omitempty"`
	Name           string `json:"name"`
	OrganizationID *int64 `json:"organization_id"`
	Role           string `json:"role"`
	Status         string `json:"status"`
	Locale         string `json:"locale,omitempty"`
	TimeZone       string `json:"time_zone,omitempty"`
	CreatedAt      string `json:"created_at"`
	// Erased: the account was erased (law 09-08); Name is its pseudonym
	// and it has no email.
	Erased bool `json:"erased,omitempty"`
}

func toUserJSON(viewer, u *models.User) userJSON {
	out := userJSON{ID: u.ID, Name: u.Name, OrganizationID: u.OrganizationID, Role: u.Role, Status: u.Status, CreatedAt: jsonTime(u.CreatedAt), Erased: u.Erased()}
	if models.Can(viewer, models.ActViewUserEmail, u) && !u.Erased() {
		out.Email = u.Email
		out.Locale = u.Locale
		out.TimeZone = u.Location().String()
	}
	return out
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// TOTP is the second factor (a 6-digit code or a recovery code), for
	// accounts that have it on.
	TOTP string `json:"totp"`
}

// login signs a person in and rotates the session: whatever session the
// browser had before is ended, so a planted cookie is worthless afterwards.
// An account with a second factor also needs its code (totp).
func (s *Server) login(c echo.Context, email, password, totp string) (*models.User, *models.Session, error) {
	u, err := s.checkPassword(c, email, password)
	if err != nil {
		return nil, nil, err
	}
	if u.TOTPEnabled {
		// Said only now that the password is known to be right.
		if strings.TrimSpace(totp) == "" {
			return nil, nil, models.ErrTOTPRequired
		}
		if u, err = s.secondFactor(c, u, totp); err != nil {
			return nil, nil, err
		}
	}
	return s.startSession(c, u)
}

// checkPassword is the first step of a sign-in, with its failures logged.
func (s *Server) checkPassword(c echo.Context, email, password string) (*models.User, error) {
	u, err := s.store.SignIn(c.Request().Context(), email, password, s.loginClient(c))
	if err != nil {
		if models.ErrorKind(err) == models.EUnauthorized || models.ErrorKind(err) == models.ETooMany {
			s.log.Warn("sign-in failed", "ip", c.RealIP(), "why", err.(*models.Error).Code)
		}
		return nil, err
	}
	return u, nil
}

// loginClient is who is signing in: address and device cookie.
func (s *Server) loginClient(c echo.Context) models.LoginClient {
	cl := models.LoginClient{IP: c.RealIP()}
	if ck, err := c.Cookie(deviceCookie); err == nil {
		cl.Device = ck.Value
	}
	return cl
}

// rememberDevice gives the browser (or keeps) the device cookie of the
// account it just signed in to.
func (s *Server) rememberDevice(c echo.Context, u *models.User) error {
	raw, err := s.store.RememberDevice(c.Request().Context(), u.ID, s.loginClient(c).Device)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: raw, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(models.DeviceLifetime.Seconds())})
	return nil
}

func (s *Server) startSession(c echo.Context, u *models.User) (*models.User, *models.Session, error) {
	ctx := c.Request().Context()
	if err := s.rememberDevice(c, u); err != nil {
		return nil, nil, err
	}
	if old := ctxSession(c); old != nil {
		// The session signed in before goes (no fixation); if it cannot,
		// neither is a new one made.
		if err := s.store.DeleteSession(ctx, old.ID); err != nil {
			return nil, nil, err
		}
		s.hub.SessionEnded(old.ID)
	}
	raw, sess, err := s.store.CreateSession(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	s.setSessionCookie(c, raw)
	c.Set("user", u)
	c.Set("session", sess)
	return u, sess, nil
}

func (s *Server) apiLogin(c echo.Context) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	fe := models.FieldErrors{}
	if strings.TrimSpace(req.Email) == "" {
		fe.Add("email", "Email is required.")
	}
	if req.Password == "" {
		fe.Add("password", "Password is required.")
	}
	if len(req.Password) > 4*models.MaxPasswordLen {
		return models.ErrInvalidCredentials
	}
	if err := fe.Err(); err != nil {
		return err
	}
	u, sess, err := s.login(c, req.Email, req.Password, req.TOTP)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUserJSON(u, u), "csrf_token": sess.CSRFToken})
}

func (s *Server) apiLogout(c echo.Context) error {
	if sess := ctxSession(c); sess != nil {
		if err := s.store.DeleteSession(c.Request().Context(), sess.ID); err != nil {
			return err
		}
		s.hub.SessionEnded(sess.ID)
	} else if ctxUser(c) == nil {
		return models.CodedError(models.EUnauthorized, "unauthorized", "Please sign in.")
	}
	s.clearSessionCookie(c)
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiMe(c echo.Context) error {
	u := ctxUser(c)
	token := ""
	if sess := ctxSession(c); sess != nil {
		token = sess.CSRFToken
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUserJSON(u, u), "csrf_token": token})
}

type profileRequest struct {
	Name     *string `json:"name"`
	Locale   *string `json:"locale"`
	TimeZone *string `json:"time_zone"`
	Email    *string `json:"email"`
}

// apiUpdateMe: PATCH /api/v1/me. {email} asks for a change confirmed at
// the new address (202); the other fields change at once (200).
func (s *Server) apiUpdateMe(c echo.Context) error {
	u := ctxUser(c)
	var req profileRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Email != nil {
		if req.Name != nil || req.Locale != nil || req.TimeZone != nil {
			return models.Errorf(models.EMalformed, "Change the email address on its own: it waits for a confirmation.")
		}
		if err := s.store.RequestEmailChange(c.Request().Context(), u, *req.Email); err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, map[string]any{})
	}
	nu, err := s.store.UpdateProfile(c.Request().Context(), u, models.ProfileChange{Name: req.Name, Locale: req.Locale, TimeZone: req.TimeZone})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"user": toUserJSON(nu, nu)})
}

func (s *Server) apiExportMe(c echo.Context) error {
	u := ctxUser(c)
	data, err := s.store.PersonalData(c.Request().Context(), u)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="pacte-personal-data.json"`)
	return c.JSONPretty(http.StatusOK, data, "  ")
}

type tokenJSON struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	Token      string  `json:"token,omitempty"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
}

func (s *Server) apiListTokens(c echo.Context) error {
	u := ctxUser(c)
	ts, err := s.store.Tokens(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	out := list[tokenJSON]{Items: []tokenJSON{}}
	for _, t := range ts {
		out.Items = append(out.Items, tokenJSON{ID: t.ID, Name: t.Name, CreatedAt: jsonTime(t.CreatedAt), LastUsedAt: jsonTimePtr(t.LastUsedAt)})
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateToken(c echo.Context) error {
	u := ctxUser(c)
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, raw, err := s.store.CreateToken(c.Request().Context(), u, strings.TrimSpace(req.Name))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, tokenJSON{ID: t.ID, Name: t.Name, Token: raw, CreatedAt: jsonTime(t.CreatedAt)})
}

func (s *Server) apiDeleteToken(c echo.Context) error {
	return userIDAction(c, "id", s.store.DeleteToken)
}

type orgJSON struct {
	ID   int64             `json:"id"`
	Slug string            `json:"slug"`
	Name string            `json:"name"`
	Kind string            `json:"kind"`
	I18n map[string]string `json:"names"`
}

func (s *Server) apiOrganizations(c echo.Context) error {
	orgs, err := s.store.Organizations(c.Request().Context())
	if err != nil {
		return err
	}
	loc := s.locale(c)
	out := list[orgJSON]{Items: []orgJSON{}}
	for _, o := range orgs {
		out.Items = append(out.Items, orgJSON{ID: o.ID, Slug: o.Slug, Name: o.Name(loc), Kind: o.Kind,
			I18n: map[string]string{"fr": o.NameFr, "en": o.NameEn, "ar": o.NameAr}})
	}
	return c.JSON(http.StatusOK, out)
}

type axisJSON struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

type pillarJSON struct {
	Key  string     `json:"key"`
	Name string     `json:"name"`
	Axes []axisJSON `json:"axes"`
}

func (s *Server) apiTaxonomy(c echo.Context) error {
	tax, err := s.store.Taxonomy(c.Request().Context())
	if err != nil {
		return err
	}
	loc := s.locale(c)
	out := list[pillarJSON]{Items: []pillarJSON{}}
	for _, p := range tax {
		pj := pillarJSON{Key: p.Key, Name: p.Name(loc), Axes: []axisJSON{}}
		for _, a := range p.Axes {
			pj.Axes = append(pj.Axes, axisJSON{Key: a.Key, Name: a.Name(loc)})
		}
		out.Items = append(out.Items, pj)
	}
	return c.JSON(http.StatusOK, out)
}

type inviteRequest struct {
	Email          string `json:"email"`
	Name           string `json:"name"`
	OrganizationID int64  `json:"organization_id"`
	Role           string `json:"role"`
}

func (s *Server) invite(c echo.Context, req inviteRequest) (map[string]any, error) {
	u := ctxUser(c)
	inv, raw, err := s.store.Invite(c.Request().Context(), u, models.InviteRequest{
		Email: req.Email, Name: req.Name, OrganizationID: req.OrganizationID, Role: req.Role})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": inv.ID, "token": raw, "invite_url": s.URL("/invitations/" + raw), "expires_at": jsonTime(inv.ExpiresAt)}, nil
}

func (s *Server) apiInvite(c echo.Context) error {
	var req inviteRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, err := s.invite(c, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, out)
}

// apiInvitation lets a client show whom a link is for before accepting it.
func (s *Server) apiInvitation(c echo.Context) error {
	inv, u, err := s.store.Invitation(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	if inv.Purpose != "invite" || u == nil {
		return models.CodedError(models.ENotFound, "invitation_not_found", "This invitation link is not valid.")
	}
	return c.JSON(http.StatusOK, map[string]any{"name": u.Name, "email": u.Email, "role": u.Role,
		"organization_id": u.OrganizationID, "expires_at": jsonTime(inv.ExpiresAt)})
}

func (s *Server) apiAcceptInvitation(c echo.Context) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.store.AcceptInvitation(c.Request().Context(), c.Param("token"), req.Password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": toUserJSON(u, u)})
}

func (s *Server) apiListUsers(c echo.Context) error {
	u := ctxUser(c)
	f, err := userFilter(c)
	if err != nil {
		return err
	}
	page, err := s.store.ListUsers(c.Request().Context(), ctxUser(c), f)
	if err != nil {
		return err
	}
	out := list[userJSON]{Items: []userJSON{}, NextCursor: page.NextCursor}
	for i := range page.Items {
		out.Items = append(out.Items, toUserJSON(u, &page.Items[i]))
	}
	return c.JSON(http.StatusOK, out)
}

func userFilter(c echo.Context) (models.UserFilter, error) {
	org, err := queryInt(c, "organization_id")
	if err != nil {
		return models.UserFilter{}, err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return models.UserFilter{}, err
	}
	f := models.UserFilter{Query: strings.TrimSpace(c.QueryParam("q")), Role: c.QueryParam("role"), Status: c.QueryParam("status"),
		OrganizationID: org, Cursor: c.QueryParam("cursor"), Limit: int(limit)}
	if f.Role != "" && !models.ValidRole(f.Role) {
		return f, &models.Error{Kind: models.EInvalid, Code: "invalid_fields", Message: "Unknown role.", Fields: map[string]string{"role": "Unknown role."}}
	}
	if f.Status != "" && f.Status != models.StatusActive && f.Status != models.StatusInvited && f.Status != models.StatusSuspended {
		return f, &models.Error{Kind: models.EInvalid, Code: "invalid_fields", Message: "Unknown status.", Fields: map[string]string{"status": "Unknown status."}}
	}
	return f, nil
}

// visibleUser finds a user the viewer may see; anyone else is "not found".
func (s *Server) visibleUser(c echo.Context) (*models.User, *models.User, error) {
	viewer := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.UserByID(c.Request().Context(), id)
	if err != nil && models.ErrorKind(err) != models.ENotFound {
		return nil, nil, err
	}
	if err != nil || !models.Can(viewer, models.ActViewUser, u) {
		return nil, nil, models.NotFound("User")
	}
	return viewer, u, nil
}

func (s *Server) apiGetUser(c echo.Context) error {
	viewer, u, err := s.visibleUser(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toUserJSON(viewer, u))
}

type userUpdateRequest struct {
	Role   *string `json:"role"`
	Status *string `json:"status"`
}

func (s *Server) apiUpdateUser(c echo.Context) error {
	viewer := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req userUpdateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.store.UpdateUser(c.Request().Context(), viewer, id, models.UserChange{Role: req.Role, Status: req.Status})
	if err != nil {
		return err
	}
	s.hub.UserChanged(u.ID)
	return c.JSON(http.StatusOK, toUserJSON(viewer, u))
}

// apiResendInvitation issues a new link for the person an invitation was
// for (resend and renew are this one operation); the old link stops working.
func (s *Server) apiResendInvitation(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	inv, raw, err := s.store.RenewInvitation(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.invitationJSON(inv, raw))
}

// invitationJSON is the answer that hands a new link to whoever made it.
func (s *Server) invitationJSON(inv *models.Invitation, raw string) map[string]any {
	return map[string]any{"id": inv.ID, "token": raw, "invite_url": s.URL("/invitations/" + raw), "expires_at": jsonTime(inv.ExpiresAt)}
}
