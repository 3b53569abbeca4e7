package server

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// apiEventsMaxScan bounds the rows one request reads when most of them are
// filtered out (another federation's drafts): the cursor then points past
// what was read, and the client asks again.
const apiEventsMaxScan = 2000

// apiEvents lists the events after an id, in id order, each as the
// websocket would send it and only if the caller may see it:
// GET /api/v1/events?topic=&after=&limit=&cursor=.
func (s *Server) apiEvents(c echo.Context) error {
	u := ctxUser(c)
	ctx := c.Request().Context()
	topic := c.QueryParam("topic")
	if topic != "" {
		if err := s.topicAllowed(ctx, u, topic); err != nil {
			return err
		}
	}
	after, err := queryInt(c, "after")
	if err != nil {
		return err
	}
	if cur := c.QueryParam("cursor"); cur != "" {
		if after, err = models.DecodeCursor(cur); err != nil {
			return err
		}
	}
	n, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	limit := models.ClampLimit(int(n))
	staff := models.Can(u, models.ActModerate, nil)

	out := list[json.RawMessage]{Items: []json.RawMessage{}}
	cursor, scanned := after, 0
	for {
		scan, err := s.store.EventsAfter(ctx, topic, cursor, limit-len(out.Items))
		if err != nil {
			return err
		}
		scanned += limit - len(out.Items)
		prepared, err := s.hub.prepare(ctx, scan.Events)
		if err != nil {
			return err // a database error, never a silently shorter list
		}
		for _, he := range prepared {
			on := topic
			if on == "" {
				on = he.Topic
			}
			if he.visibleTo(u, on) {
				out.Items = append(out.Items, he.message(on, staff))
			}
		}
		cursor = scan.Next
		if !scan.More {
			break
		}
		if len(out.Items) >= limit || scanned >= apiEventsMaxScan {
			out.NextCursor = models.EncodeCursor(cursor)
			break
		}
	}
	return c.JSON(http.StatusOK, out)
}
