package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// auditFilter reads the audit query: actor=<user id>, object=measure:12 |
// user:5 | comment:9, from/to as RFC 3339 times or YYYY-MM-DD dates (a date
// as "to" includes its whole day), limit, cursor. The pages also send
// measure=<id>, a shorthand for object=measure:<id>.
func auditFilter(c echo.Context) (models.AuditFilter, error) {
	var f models.AuditFilter
	actor, err := queryInt(c, "actor")
	if err != nil {
		return f, err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return f, err
	}
	f.ActorID, f.Limit, f.Cursor = actor, int(limit), c.QueryParam("cursor")
	if f.Object, err = models.ParseAuditObject(c.QueryParam("object")); err != nil {
		return f, err
	}
	if f.Object.Kind == "" {
		mid, err := queryInt(c, "measure")
		if err != nil {
			return f, err
		}
		if mid > 0 {
			f.Object = models.AuditObject{Kind: "measure", ID: mid}
		}
	}
	if f.From, err = models.ParseAuditTime("from", c.QueryParam("from"), false); err != nil {
		return f, err
	}
	if f.Before, err = models.ParseAuditTime("to", c.QueryParam("to"), true); err != nil {
		return f, err
	}
	return f, nil
}

// auditEntryJSON is one line of GET /api/v1/audit.
func auditEntryJSON(e models.AuditEntry) map[string]any {
	var actor any
	if e.Actor != nil {
		actor = map[string]any{"id": e.Actor.ID, "name": e.Actor.Name}
	}
	return map[string]any{"id": e.ID, "topic": e.Topic, "event": e.Type, "actor": actor,
		"measure_id": e.MeasureID, "subject_user_id": e.SubjectUserID, "data": e.Data, "at": jsonTime(e.At)}
}

func (s *Server) apiAudit(c echo.Context) error {
	u := ctxUser(c)
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	page, err := s.store.Audit(c.Request().Context(), u, f)
	if err != nil {
		return err
	}
	out := list[map[string]any]{Items: []map[string]any{}, NextCursor: page.NextCursor}
	for _, e := range page.Items {
		out.Items = append(out.Items, auditEntryJSON(e))
	}
	return c.JSON(http.StatusOK, out)
}
