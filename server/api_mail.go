package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// The JSON side of reaching people (docs/API.md "Mail, notifications…"):
// password reset, notification settings, following, the @ autocomplete.

type resetRequestJSON struct {
	Email string `json:"email"`
}

// apiPasswordReset: POST /api/v1/password-reset {email} → 202 whether or
// not the address has an account.
func (s *Server) apiPasswordReset(c echo.Context) error {
	var req resetRequestJSON
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.store.RequestPasswordReset(c.Request().Context(), req.Email, c.RealIP()); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{})
}

type resetJSON struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// apiPasswordResetUse: POST /api/v1/password-reset/:token {password,
// code?} → 204; every session of the account ends.
func (s *Server) apiPasswordResetUse(c echo.Context) error {
	var req resetJSON
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.store.ResetPassword(c.Request().Context(), c.Param("token"), req.Password, req.Code, c.RealIP())
	if err != nil {
		return err
	}
	s.hub.SessionsEndedFor(u.ID)
	return c.NoContent(http.StatusNoContent)
}

// apiNotificationSettings: GET /api/v1/me/notification-settings.
func (s *Server) apiNotificationSettings(c echo.Context) error {
	set, err := s.store.NotificationSettings(c.Request().Context(), ctxUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"settings": set})
}

type settingsJSON struct {
	Settings map[string]string `json:"settings"`
}

// apiPutNotificationSettings: PUT /api/v1/me/notification-settings.
func (s *Server) apiPutNotificationSettings(c echo.Context) error {
	var req settingsJSON
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Settings == nil {
		return (models.FieldErrors{"settings": "Send {\"settings\": {kind: \"immediate\" | \"digest\" | \"off\"}}."}).Err()
	}
	set, err := s.store.SetNotificationSettings(c.Request().Context(), ctxUser(c), req.Settings)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"settings": set})
}

// apiFollow: POST/DELETE /api/v1/measures/:id/follow → 204.
func (s *Server) apiFollow(on bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if err := s.store.SetFollowing(c.Request().Context(), ctxUser(c), id, on); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}

type mentionableJSON struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Organization string `json:"organization"`
}

// apiMentionable: GET /api/v1/measures/:id/mentionable?q= → the people who
// can see the measure whose name starts with q, for the @ autocomplete.
func (s *Server) apiMentionable(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	people, err := s.store.Mentionable(c.Request().Context(), ctxUser(c), id, c.QueryParam("q"))
	if err != nil {
		return err
	}
	refs, err := s.measureRefs(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]mentionableJSON, 0, len(people))
	for _, p := range people {
		j := mentionableJSON{ID: p.ID, Name: p.Name}
		if p.OrganizationID != nil {
			j.Organization = strings.ToUpper(refs.OrgByID[*p.OrganizationID].Slug)
		}
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": out})
}
