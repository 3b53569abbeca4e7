package server

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"pacte/collab"
	"pacte/models"
)

// Comments on the measure page: the thread is loaded by a hook of the
// measure page and drawn by templates/partials/comments.html; the forms
// below work without JavaScript and come back to the comment they touched.

// commentErrorKey names the message shown above a comment form for a
// problem that is not one field's (the measure closed, the comment already
// reported or handled).
func commentErrorKey(code string) string {
	switch code {
	case "measure_closed":
		return "flash.comment_closed"
	case "comment_hidden":
		return "flash.comment_hidden"
	case "already_reported":
		return "flash.comment_already_reported"
	case "already_hidden", "not_hidden", "no_open_reports":
		return "flash.comment_already_handled"
	}
	return ""
}

// formProblem sorts an error from a comment form: a problem the person can
// fix from the form (a field, a conflict) comes back as its status and body;
// anything else (404, 403, 5xx) is returned to go to the error page.
func (s *Server) formProblem(c echo.Context, err error) (int, apiError, error) {
	status, body := s.toAPIError(c, err)
	if status != http.StatusUnprocessableEntity && status != http.StatusConflict {
		return 0, body, err
	}
	return status, body, nil
}

// setCommentErrors puts an error's messages on the page: each field's
// beside its field (renamed by fields: store name → form name), anything
// else above the form.
func (s *Server) setCommentErrors(p *Page, status int, body apiError, fields map[string]string) {
	p.Status = status
	for k, v := range body.Fields {
		if to, ok := fields[k]; ok {
			k = to
		}
		p.Errors[k] = s.translateMessage(p.Locale, v)
	}
	if len(body.Fields) == 0 {
		if key := commentErrorKey(body.Code); key != "" {
			p.Error = p.T(key)
		} else {
			p.Error = s.translateMessage(p.Locale, body.Message)
		}
	}
}

// measureURL is where a comment lives on its measure's page.
func measureURL(measureID, commentID int64) string {
	u := "/measures/" + strconv.FormatInt(measureID, 10)
	if commentID > 0 {
		return u + "#comment-" + strconv.FormatInt(commentID, 10)
	}
	return u + "#comments"
}

// backTo is where a moderation form returns: the queue when it came from
// there (a fixed list of local addresses, never a URL from the form), else
// the comment on its measure.
func backTo(c echo.Context, measureID, commentID int64) string {
	if next := moderationNext(c); next != "" {
		return next
	}
	return measureURL(measureID, commentID)
}

// moderationNext is the form's "next" when it is the moderation queue, else "".
func moderationNext(c echo.Context) string {
	if next := localPath(c.FormValue("next")); next == "/moderation" || strings.HasPrefix(next, "/moderation?") {
		return next
	}
	return ""
}

// replyToKey holds, in the request's context, the comment whose reply form
// a failed reply shows again (instead of ?reply_to=).
const replyToKey = "comments.reply_to"

// commentFormKey holds, in the request's context, a func that puts a failed
// comment form's values and errors on the measure page.
const commentFormKey = "comments.form"

func (s *Server) pageCommentCreate(c echo.Context) error {
	u := ctxUser(c)
	mid, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in := models.NewComment{Body: c.FormValue("body")}
	parent := int64(0)
	quote := c.FormValue("anchor_quote")
	if v := c.FormValue("parent_id"); v != "" {
		if parent, err = strconv.ParseInt(v, 10, 64); err != nil || parent <= 0 {
			parent = 0
			err = (models.FieldErrors{"parent_id": "The comment you reply to is not on this measure."}).Err()
			return s.commentCreateFailed(c, mid, 0, in.Body, quote, err)
		}
		in.ParentID = &parent
	}
	if q := strings.TrimSpace(quote); q != "" {
		in.Anchor = &models.AnchorInput{Quote: q, Locate: true}
	}
	v, err := s.store.CreateComment(c.Request().Context(), u, mid, in)
	if err != nil {
		return s.commentCreateFailed(c, mid, parent, in.Body, quote, err)
	}
	s.flash(c, "comment_posted")
	return c.Redirect(http.StatusSeeOther, measureURL(mid, v.ID))
}

// commentCreateFailed shows the measure page again (422, or 409 for a
// closed measure) with the comment form keeping what was typed, the error
// beside its field and that field focused: the reply form under its comment
// for a reply, the new comment form otherwise (also when the comment
// answered is gone, so the text is not lost).
func (s *Server) commentCreateFailed(c echo.Context, mid, parent int64, body, quote string, err error) error {
	status, e, err := s.formProblem(c, err)
	if err != nil {
		return err
	}
	_, parentGone := e.Fields["parent_id"]
	reply := parent > 0 && !parentGone
	// The comments hook renders the reply form with the thread, so what
	// the form keeps is set on the page before the hook runs.
	c.Set(commentFormKey, func(p *Page) {
		fields := map[string]string{"anchor": "anchor_quote", "parent_id": "body"}
		if reply {
			p.Form["reply_body"] = body
			fields = map[string]string{"body": "reply_body", "anchor": "reply_body"}
		} else {
			p.Form["body"], p.Form["anchor_quote"] = body, quote
		}
		s.setCommentErrors(p, status, e, fields)
	})
	if reply {
		c.Set(replyToKey, parent)
	}
	p, perr := s.measurePage(c, mid)
	if perr != nil {
		return perr
	}
	return s.render(c, p)
}

// commentAction finds the comment a form acts on (404 if the person cannot
// see it) and runs the action. A problem the person can fix shows the
// action's page again with the error (and what was typed).
func (s *Server) commentAction(c echo.Context, action, okFlash string, act func(u *models.User, id int64) error) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.store.CommentByID(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	if err := act(u, id); err != nil {
		status, e, err := s.formProblem(c, err)
		if err != nil {
			return err
		}
		p := s.commentActionPage(c, action, v)
		p.Form["body"], p.Form["reason"] = c.FormValue("body"), c.FormValue("reason")
		p.Data.(*commentActionData).Submitted = true
		s.setCommentErrors(p, status, e, nil)
		return s.render(c, p)
	}
	target := id
	if action == "delete" {
		target = 0
	}
	s.flash(c, okFlash)
	return c.Redirect(http.StatusSeeOther, backTo(c, v.MeasureID, target))
}

func (s *Server) pageCommentEdit(c echo.Context) error {
	return s.commentAction(c, "edit", "comment_saved", func(u *models.User, id int64) error {
		_, err := s.store.EditComment(c.Request().Context(), u, id, c.FormValue("body"))
		return err
	})
}

func (s *Server) pageCommentDelete(c echo.Context) error {
	return s.commentAction(c, "delete", "comment_deleted", func(u *models.User, id int64) error {
		return s.store.DeleteComment(c.Request().Context(), u, id)
	})
}

func (s *Server) pageCommentReport(c echo.Context) error {
	return s.commentAction(c, "report", "comment_reported", func(u *models.User, id int64) error {
		_, err := s.store.ReportComment(c.Request().Context(), u, id, c.FormValue("reason"))
		return err
	})
}

func (s *Server) pageCommentHide(c echo.Context) error {
	return s.commentAction(c, "hide", "comment_hidden_done", func(u *models.User, id int64) error {
		_, err := s.store.HideComment(c.Request().Context(), u, id, c.FormValue("reason"))
		return err
	})
}

func (s *Server) pageCommentRestore(c echo.Context) error {
	return s.commentAction(c, "restore", "comment_restored", func(u *models.User, id int64) error {
		_, err := s.store.RestoreComment(c.Request().Context(), u, id)
		return err
	})
}

func (s *Server) pageCommentDismiss(c echo.Context) error {
	return s.commentAction(c, "dismiss", "comment_dismissed", func(u *models.User, id int64) error {
		_, err := s.store.DismissReports(c.Request().Context(), u, id)
		return err
	})
}

// commentActionPage is the page of one action on one comment.
func (s *Server) commentActionPage(c echo.Context, action string, v *models.CommentView) *Page {
	p := s.newPage(c, "comment-action", "comments."+action)
	p.MeasureID = v.MeasureID
	back := measureURL(v.MeasureID, v.ID)
	next := moderationNext(c)
	if next != "" {
		back = next
	}
	p.Data = &commentActionData{Action: action, Comment: v, Back: back, Next: next}
	return p
}

// commentActionData is what the page of one action on a comment shows.
type commentActionData struct {
	Action     string // edit, delete, report, hide, restore, dismiss
	Comment    *models.CommentView
	Back, Next string // where "back" leads; where to go after (moderation)
	Submitted  bool   // the form was sent and refused: show what was typed
}

// pageCommentConfirm shows one comment with the form of an action on it:
// where the comment's links lead. Whoever may not take the action gets a
// 403, whoever cannot see the comment a 404.
func (s *Server) pageCommentConfirm(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := ctxUser(c)
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		v, err := s.store.CommentByID(c.Request().Context(), u, id)
		if err != nil {
			return err
		}
		allowed := map[string]bool{"edit": v.Can.Edit, "delete": v.Can.Delete, "report": v.Can.Report,
			"hide": v.Can.Hide, "restore": v.Can.Restore, "dismiss": v.Can.Dismiss}[action]
		if !allowed {
			return models.CodedError(models.EForbidden, "forbidden", "You cannot do this with this comment.")
		}
		return s.render(c, s.commentActionPage(c, action, v))
	}
}

// The rendered comments of a measure page, per viewer. The key holds
// everything the rendering depends on: the measure's newest event (every
// change to a comment, a report or the measure writes one), its status, its
// co-editing version (anchors move with the text), the viewer (permissions,
// hidden bodies for moderators, their own reports) and the language. A
// moderator's entry is therefore never served to anyone else.
type commentsKey struct {
	measure, version        int64
	status                  string
	collab                  int64
	viewer, org             int64
	role, userStatus, local string
}

type commentsEntry struct {
	key               commentsKey
	thread            *models.CommentThread // shared, read only
	general, anchored template.HTML
}

const (
	commentsCacheEntries = 512
	commentsCacheBytes   = 64 << 20
)

func newCommentsCache() *cache[commentsKey, *commentsEntry] {
	return newCache[commentsKey, *commentsEntry](commentsCacheEntries, commentsCacheBytes, (*commentsEntry).size)
}

func (e *commentsEntry) size() int { return len(e.general) + len(e.anchored) + 256 }

// loadMeasureComments is the measure page's hook: it loads the thread as the
// viewer may see it for the "measure-comments" partial, with its comments
// rendered (from the cache when nothing changed), and marks the quoted
// spans in the rendered body.
func (s *Server) loadMeasureComments(c echo.Context, p *Page, data *measurePageData) error {
	ctx := c.Request().Context()
	d := data.Measure
	m := d.Access()
	replyTo, _ := strconv.ParseInt(c.QueryParam("reply_to"), 10, 64)
	if v, ok := c.Get(replyToKey).(int64); ok {
		replyTo = v
	}
	if fill, ok := c.Get(commentFormKey).(func(*Page)); ok {
		fill(p)
	}
	var entry *commentsEntry
	var key commentsKey
	cacheable := replyTo <= 0
	if cacheable {
		version, err := s.store.MeasureEventVersion(ctx, m.ID)
		if err != nil {
			return err
		}
		u := p.User
		var org int64
		if u.OrganizationID != nil {
			org = *u.OrganizationID
		}
		key = commentsKey{measure: m.ID, version: version, status: m.Status, collab: d.CollabVersion,
			viewer: u.ID, org: org, role: u.Role, userStatus: u.Status, local: p.Locale}
		entry, _ = s.comments.get(key)
	}
	if entry == nil {
		t, err := s.store.CommentThread(ctx, p.User, m)
		if err != nil {
			return err
		}
		entry = &commentsEntry{key: key, thread: t}
		if entry.general, err = s.renderCommentItems(p, t, t.General(), replyTo); err != nil {
			return err
		}
		if entry.anchored, err = s.renderCommentItems(p, t, t.Anchored(), replyTo); err != nil {
			return err
		}
		if cacheable {
			s.comments.put(key, entry)
		}
	}
	t := entry.thread
	data.Comments, data.CommentsGeneral, data.CommentsAnchored = t, entry.general, entry.anchored
	// Mark the quoted words in the rendered body (the anchors' offsets
	// count in the current body, which is what the page shows first).
	data.BodyHTML = markAnchors(data.BodyHTML, anchorMarks(t, collab.UTF16Len(d.Body)))
	return nil
}

// renderCommentItems renders comments with the "comment-items" partial.
func (s *Server) renderCommentItems(p *Page, t *models.CommentThread, items []*models.CommentView, replyTo int64) (template.HTML, error) {
	if len(items) == 0 {
		return "", nil
	}
	tpl, ok := s.views.pages["measure"]
	if !ok {
		return "", nil
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "comment-items", map[string]any{"P": p, "L": items, "T": t, "R": replyTo}); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// pageCommentItem is one comment as the measure page draws it for this
// viewer (the "comment-item" partial, without the layout): the page fetches
// it to show a comment that arrived live, so live and reloaded comments
// come from one template, with this viewer's actions. Whoever cannot see
// the comment gets a 404.
func (s *Server) pageCommentItem(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.store.CommentByID(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	tpl, ok := s.views.pages["measure"]
	if !ok {
		return models.NotFound("Comment")
	}
	p := s.basePage(c, "measure")
	p.MeasureID = v.MeasureID
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "comment-item", map[string]any{"P": p, "C": v, "T": nil, "R": int64(0)}); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Content-Language", p.Locale)
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}
