package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/jobs"
	"pacte/models"
)

// notificationJSON is one item of GET /api/v1/notifications (docs/API.md).
type notificationJSON struct {
	ID        int64      `json:"id"`
	Type      string     `json:"type"`
	MeasureID *int64     `json:"measure_id"`
	CommentID *int64     `json:"comment_id"`
	Actor     *userRef   `json:"actor"`
	Text      string     `json:"text"`
	URL       string     `json:"url"`
	ReadAt    *time.Time `json:"read_at"`
	CreatedAt time.Time  `json:"created_at"`
}

type userRef struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Erased bool   `json:"erased,omitempty"`
}

// apiNotifications: GET /api/v1/notifications?unread=1&limit=&cursor=.
func (s *Server) apiNotifications(c echo.Context) error {
	u := ctxUser(c)
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	unreadOnly := c.QueryParam("unread") == "1" || c.QueryParam("unread") == "true"
	page, unread, err := s.store.Notifications(c.Request().Context(), u,
		models.NotificationFilter{UnreadOnly: unreadOnly, Limit: int(limit), Cursor: c.QueryParam("cursor")})
	if err != nil {
		return err
	}
	loc := s.locale(c)
	items := make([]notificationJSON, 0, len(page.Items))
	for i := range page.Items {
		n := &page.Items[i]
		j := notificationJSON{ID: n.ID, Type: n.Type, MeasureID: n.MeasureID, CommentID: n.CommentID,
			Text: jobs.NotificationText(s.i18n, loc, n), URL: jobs.NotificationPath(&n.Notification), ReadAt: n.ReadAt, CreatedAt: n.CreatedAt.UTC()}
		if n.Actor != nil {
			j.Actor = &userRef{ID: n.Actor.ID, Name: n.Actor.Name, Erased: models.IsErasedName(n.Actor.ID, n.Actor.Name)}
		}
		items = append(items, j)
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "unread_count": unread, "next_cursor": page.NextCursor})
}

type readNotificationsRequest struct {
	IDs []int64 `json:"ids"`
	All bool    `json:"all"`
}

// apiReadNotifications: POST /api/v1/notifications/read {ids} or {all: true}.
func (s *Server) apiReadNotifications(c echo.Context) error {
	u := ctxUser(c)
	var req readNotificationsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if _, err := s.store.MarkNotificationsRead(c.Request().Context(), u, req.IDs, req.All); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
