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
		actor = models.PersonJSON(e.Actor.ID, e.Actor.Name)
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

// auditHeadJSON is GET /api/v1/audit/head: the chain's head now (event_id
// and hash null while the log is empty) and its last verification
// (verified_at, intact and problem null if it was never verified).
func auditHeadJSON(h models.AuditHead) map[string]any {
	out := map[string]any{"event_id": nil, "hash": nil, "verified_at": nil, "intact": nil, "problem": nil}
	if h.EventID != 0 {
		out["event_id"], out["hash"] = h.EventID, h.Hash
	}
	if v := h.Verified; v != nil {
		out["verified_at"], out["intact"] = jsonTime(v.At), v.OK
		if !v.OK {
			out["problem"] = v.Problem
		}
	}
	return out
}

func (s *Server) apiAuditHead(c echo.Context) error {
	h, err := s.store.AuditChainHead(c.Request().Context(), ctxUser(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, auditHeadJSON(h))
}
