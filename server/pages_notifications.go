package server

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"pacte/jobs"
	"pacte/models"
)

// notificationItem is one line of the notifications page.
type notificationItem struct {
	models.NotificationView
	Text string
}

// notificationsPage is what templates/pages/notifications.html shows.
type notificationsPage struct {
	Items      []notificationItem
	UnreadOnly bool
	Unread     int
	NextURL    string
}

// pageNotifications lists the person's notifications, newest first; unread
// ones stand out. ?unread=1 keeps only those.
func (s *Server) pageNotifications(c echo.Context) error {
	u := ctxUser(c)
	unreadOnly := c.QueryParam("unread") == "1"
	page, unread, err := s.store.Notifications(c.Request().Context(), u,
		models.NotificationFilter{UnreadOnly: unreadOnly, Cursor: c.QueryParam("cursor")})
	if err != nil {
		return err
	}
	p := s.newPage(c, "notifications", "notifications.title")
	data := notificationsPage{UnreadOnly: unreadOnly, Unread: unread}
	for i := range page.Items {
		data.Items = append(data.Items, notificationItem{NotificationView: page.Items[i], Text: jobs.NotificationText(s.i18n, p.Locale, &page.Items[i])})
	}
	if page.NextCursor != "" {
		q := url.Values{"cursor": {page.NextCursor}}
		if unreadOnly {
			q.Set("unread", "1")
		}
		data.NextURL = "/notifications?" + q.Encode()
	}
	p.Data = data
	return s.render(c, p)
}

// pageNotificationOpen marks a notification read and goes to what it is
// about. It is a form post, so that no GET changes state.
func (s *Server) pageNotificationOpen(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	n, err := s.store.OpenNotification(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, jobs.NotificationPath(n))
}

// pageNotificationsRead marks every notification read.
func (s *Server) pageNotificationsRead(c echo.Context) error {
	u := ctxUser(c)
	if _, err := s.store.MarkNotificationsRead(c.Request().Context(), u, nil, true); err != nil {
		return err
	}
	s.flash(c, "notifications_read")
	return c.Redirect(http.StatusSeeOther, "/notifications")
}
