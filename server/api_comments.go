package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// commentJSON is a comment of docs/API.md. One the caller may not read (hidden,
// or a deleted comment kept because replies hang under it) is only
// {id, parent_id, status, replies}; moderators also get hidden_reason,
// hidden_by and open_reports.
func commentJSON(v *models.CommentView) map[string]any {
	out := map[string]any{"id": v.ID, "parent_id": v.ParentID, "status": v.Status}
	if !v.Redacted {
		out["measure_id"] = v.MeasureID
		out["body"] = v.Body
		out["body_html"] = v.BodyHTML
		author := models.PersonJSON(v.Author.ID, v.Author.Name)
		author["organization_id"] = v.Author.OrganizationID
		out["author"] = author
		out["anchor"] = anchorJSON(v.Anchor())
		out["created_at"] = jsonTime(v.CreatedAt)
		out["edited_at"] = jsonTimePtr(v.EditedAt)
		if v.Status == models.CommentHidden {
			out["hidden_reason"] = v.HiddenReason
			if v.HiddenByRef != nil {
				out["hidden_by"] = models.PersonJSON(v.HiddenByRef.ID, v.HiddenByRef.Name)
			}
		}
		if v.Can.Dismiss || v.OpenReports > 0 {
			out["open_reports"] = v.OpenReports
		}
	}
	replies := make([]map[string]any, 0, len(v.Replies))
	for _, r := range v.Replies {
		replies = append(replies, commentJSON(r))
	}
	out["replies"] = replies
	return out
}

func anchorJSON(a *models.Anchor) any {
	if a == nil {
		return nil
	}
	return map[string]any{"quote": a.Quote, "from": a.From, "to": a.To, "detached": a.Detached}
}

// measureAccess loads what visibility depends on; a measure the caller
// cannot see is not found.
func (s *Server) measureAccess(c echo.Context, u *models.User) (models.MeasureAccess, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return models.MeasureAccess{}, err
	}
	m, err := s.store.MeasureAccessByID(c.Request().Context(), id)
	if err != nil && models.ErrorKind(err) != models.ENotFound {
		return models.MeasureAccess{}, err
	}
	if err != nil || !models.CanSeeMeasure(u, m) {
		return models.MeasureAccess{}, models.NotFound("Measure")
	}
	return m, nil
}

// apiListComments gives every thread of a measure, unpaged: a measure's
// discussion is read whole (next_cursor is always empty).
func (s *Server) apiListComments(c echo.Context) error {
	u := ctxUser(c)
	m, err := s.measureAccess(c, u)
	if err != nil {
		return err
	}
	t, err := s.store.CommentThread(c.Request().Context(), u, m)
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, v := range t.Items {
		items = append(items, commentJSON(v))
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "next_cursor": "", "count": t.Count,
		"closed": t.Closed, "can_comment": t.CanComment})
}

type commentRequest struct {
	Body     string `json:"body"`
	ParentID *int64 `json:"parent_id"`
	Anchor   *struct {
		Quote string `json:"quote"`
		From  *int   `json:"from"`
		To    *int   `json:"to"`
	} `json:"anchor"`
}

func (r commentRequest) toNew() (models.NewComment, error) {
	in := models.NewComment{Body: r.Body, ParentID: r.ParentID}
	if r.Anchor != nil {
		if r.Anchor.From == nil || r.Anchor.To == nil {
			return in, (models.FieldErrors{"anchor": "An anchor needs quote, from and to."}).Err()
		}
		in.Anchor = &models.AnchorInput{Quote: r.Anchor.Quote, From: *r.Anchor.From, To: *r.Anchor.To}
	}
	return in, nil
}

func (s *Server) apiCreateComment(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req commentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in, err := req.toNew()
	if err != nil {
		return err
	}
	v, err := s.store.CreateComment(c.Request().Context(), u, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, commentJSON(v))
}

func (s *Server) apiGetComment(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.store.CommentByID(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, commentJSON(v))
}

func (s *Server) apiEditComment(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	v, err := s.store.EditComment(c.Request().Context(), u, id, req.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, commentJSON(v))
}

func (s *Server) apiDeleteComment(c echo.Context) error {
	return userIDAction(c, "id", s.store.DeleteComment)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

// readReason reads {reason}; an empty body counts as no reason.
func readReason(c echo.Context) (string, error) {
	var req reasonRequest
	if c.Request().ContentLength == 0 {
		return "", nil
	}
	if err := decodeJSON(c, &req); err != nil {
		return "", err
	}
	return req.Reason, nil
}

func (s *Server) apiReportComment(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	reason, err := readReason(c)
	if err != nil {
		return err
	}
	r, err := s.store.ReportComment(c.Request().Context(), u, id, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"id": r.ID, "comment_id": r.CommentID, "reason": r.Reason, "created_at": jsonTime(r.CreatedAt)})
}

// moderateAPI runs a moderator action and answers with the comment as the
// moderator now sees it.
func (s *Server) moderateAPI(c echo.Context, act func(u *models.User, id int64, reason string) (*models.CommentView, error), withReason bool) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	reason := ""
	if withReason {
		if reason, err = readReason(c); err != nil {
			return err
		}
	}
	v, err := act(u, id, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, commentJSON(v))
}

func (s *Server) apiHideComment(c echo.Context) error {
	return s.moderateAPI(c, func(u *models.User, id int64, reason string) (*models.CommentView, error) {
		return s.store.HideComment(c.Request().Context(), u, id, reason)
	}, true)
}

func (s *Server) apiRestoreComment(c echo.Context) error {
	return s.moderateAPI(c, func(u *models.User, id int64, _ string) (*models.CommentView, error) {
		return s.store.RestoreComment(c.Request().Context(), u, id)
	}, false)
}

func (s *Server) apiDismissReports(c echo.Context) error {
	return s.moderateAPI(c, func(u *models.User, id int64, _ string) (*models.CommentView, error) {
		return s.store.DismissReports(c.Request().Context(), u, id)
	}, false)
}

// apiModerationQueue lists reported and hidden comments for moderators
// (?show=reported|hidden, paged).
func (s *Server) apiModerationQueue(c echo.Context) error {
	u := ctxUser(c)
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	page, err := s.store.ModerationQueue(c.Request().Context(), u, models.ModerationFilter{
		Show: c.QueryParam("show"), Cursor: c.QueryParam("cursor"), Limit: int(limit)})
	if err != nil {
		return err
	}
	out := list[map[string]any]{Items: []map[string]any{}, NextCursor: page.NextCursor}
	for _, it := range page.Items {
		item := commentJSON(it.Comment)
		delete(item, "replies")
		item["measure_title"] = it.MeasureTitle
		reports := []map[string]any{}
		for _, r := range it.Reports {
			reports = append(reports, map[string]any{"reporter": models.PersonJSON(r.Reporter.ID, r.Reporter.Name),
				"reason": r.Reason, "created_at": jsonTime(r.CreatedAt)})
		}
		item["reports"] = reports
		out.Items = append(out.Items, item)
	}
	return c.JSON(http.StatusOK, out)
}
