package server

import (
	"bytes"
	linkedlist "container/list"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"weak"

	"github.com/labstack/echo/v4"

	"pacte/collab"
	"pacte/models"
)

// Comments on the measure page: the thread is loaded by a hook of the
// measure page and drawn by templates/partials/comments.html; the forms
// below work without JavaScript and come back to the comment they touched.

func init() {
	measurePageHooks = append(measurePageHooks, func(c echo.Context, p *Page, m models.MeasureAccess) error {
		return p.srv.loadMeasureComments(c, p, m)
	})
	extraRoutes = append(extraRoutes, func(s *Server, e *echo.Echo, api *echo.Group) {
		e.POST("/measures/:id/comments", s.pageCommentCreate)
		e.POST("/comments/:id/edit", s.pageCommentEdit)
		e.POST("/comments/:id/delete", s.pageCommentDelete)
		e.POST("/comments/:id/report", s.pageCommentReport)
		e.POST("/comments/:id/hide", s.pageCommentHide)
		e.POST("/comments/:id/restore", s.pageCommentRestore)
		e.POST("/comments/:id/dismiss", s.pageCommentDismiss)
		// The confirm pages the comment's links lead to (the comment and the
		// form, which posts to the same address).
		for _, a := range []string{"edit", "delete", "report", "hide", "restore", "dismiss"} {
			e.GET("/comments/:id/"+a, s.pageCommentConfirm(a))
		}
	})
}

// commentFlash names the message shown after a comment form, by the error's
// code; errors people cannot fix from the form (404, 403, 500) are shown as
// the error page instead.
func commentFlash(err error) (string, bool) {
	e, ok := err.(*models.Error)
	if !ok {
		return "", false
	}
	switch e.Code {
	case "measure_closed":
		return "comment_closed", true
	case "comment_hidden":
		return "comment_hidden", true
	case "already_reported":
		return "comment_already_reported", true
	case "already_hidden", "not_hidden", "no_open_reports":
		return "comment_already_handled", true
	case "invalid_fields":
		for _, f := range []string{"body", "reason", "anchor", "parent_id"} {
			if _, bad := e.Fields[f]; bad {
				return "comment_invalid_" + f, true
			}
		}
		return "comment_invalid_body", true
	}
	return "", false
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
	if next := localPath(c.FormValue("next")); next == "/moderation" || strings.HasPrefix(next, "/moderation?") {
		return next
	}
	return measureURL(measureID, commentID)
}

// commentDone redirects after a form: success leaves a flash, a problem the
// person can fix leaves a flash that says what it was.
func (s *Server) commentDone(c echo.Context, err error, okFlash, to string) error {
	if err != nil {
		key, fixable := commentFlash(err)
		if !fixable {
			return err
		}
		s.flash(c, key)
		return c.Redirect(http.StatusSeeOther, to)
	}
	s.flash(c, okFlash)
	return c.Redirect(http.StatusSeeOther, to)
}

func (s *Server) pageCommentCreate(c echo.Context) error {
	u, mid, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	in := models.NewComment{Body: c.FormValue("body")}
	parent := int64(0)
	if v := c.FormValue("parent_id"); v != "" {
		if parent, err = strconv.ParseInt(v, 10, 64); err != nil || parent <= 0 {
			return s.commentDone(c, (models.FieldErrors{"parent_id": "Not a comment."}).Err(), "", measureURL(mid, 0))
		}
		in.ParentID = &parent
	}
	if q := strings.TrimSpace(c.FormValue("anchor_quote")); q != "" {
		in.Anchor = &models.AnchorInput{Quote: q, Locate: true}
	}
	v, err := s.store.CreateComment(c.Request().Context(), u, mid, in)
	if err != nil {
		back := measureURL(mid, parent)
		if parent > 0 {
			back = "/measures/" + strconv.FormatInt(mid, 10) + "?reply_to=" + strconv.FormatInt(parent, 10) + "#reply-form"
		}
		return s.commentDone(c, err, "", back)
	}
	return s.commentDone(c, nil, "comment_posted", measureURL(mid, v.ID))
}

// commentAction finds the comment a form acts on (404 if the person cannot
// see it) and runs the action.
func (s *Server) commentAction(c echo.Context, okFlash string, act func(u *models.User, id int64) error) error {
	return s.commentActionTo(c, okFlash, true, act)
}

func (s *Server) commentActionTo(c echo.Context, okFlash string, toComment bool, act func(u *models.User, id int64) error) error {
	u, id, err := userAndID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.store.CommentByID(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	target := id
	if !toComment {
		target = 0
	}
	return s.commentDone(c, act(u, id), okFlash, backTo(c, v.MeasureID, target))
}

func (s *Server) pageCommentEdit(c echo.Context) error {
	return s.commentAction(c, "comment_saved", func(u *models.User, id int64) error {
		_, err := s.store.EditComment(c.Request().Context(), u, id, c.FormValue("body"))
		return err
	})
}

func (s *Server) pageCommentDelete(c echo.Context) error {
	return s.commentActionTo(c, "comment_deleted", false, func(u *models.User, id int64) error {
		return s.store.DeleteComment(c.Request().Context(), u, id)
	})
}

func (s *Server) pageCommentReport(c echo.Context) error {
	return s.commentAction(c, "comment_reported", func(u *models.User, id int64) error {
		_, err := s.store.ReportComment(c.Request().Context(), u, id, c.FormValue("reason"))
		return err
	})
}

func (s *Server) pageCommentHide(c echo.Context) error {
	return s.commentAction(c, "comment_hidden_done", func(u *models.User, id int64) error {
		_, err := s.store.HideComment(c.Request().Context(), u, id, c.FormValue("reason"))
		return err
	})
}

func (s *Server) pageCommentRestore(c echo.Context) error {
	return s.commentAction(c, "comment_restored", func(u *models.User, id int64) error {
		_, err := s.store.RestoreComment(c.Request().Context(), u, id)
		return err
	})
}

func (s *Server) pageCommentDismiss(c echo.Context) error {
	return s.commentAction(c, "comment_dismissed", func(u *models.User, id int64) error {
		_, err := s.store.DismissReports(c.Request().Context(), u, id)
		return err
	})
}

// pageCommentConfirm shows one comment with the form of an action on it:
// where the comment's links lead. Whoever may not take the action gets a
// 403, whoever cannot see the comment a 404.
func (s *Server) pageCommentConfirm(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		u, id, err := userAndID(c, "id")
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
		p := s.newPage(c, "comment-action", "comments."+action)
		p.MeasureID = v.MeasureID
		p.Data = map[string]any{"Action": action, "Comment": v, "Back": measureURL(v.MeasureID, id)}
		return s.render(c, p)
	}
}

// The rendered comments of a measure page, per viewer. The key holds
// everything the rendering depends on: the measure's newest event (every
// change to a comment, a report or the measure writes one), its status, its
// co-editing version (anchors move with the text), the viewer (permissions,
// hidden bodies for moderators, their own reports) and the language. A
// moderator's entry is therefore never served to anyone else.
type commentsKey struct {
	srv                     weak.Pointer[Server]
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

// commentsCache is a bounded LRU: at most commentsCacheEntries entries and
// about commentsCacheBytes of HTML.
type commentsCache struct {
	mu    sync.Mutex
	ll    *linkedlist.List
	items map[commentsKey]*linkedlist.Element
	bytes int
}

const (
	commentsCacheEntries = 512
	commentsCacheBytes   = 64 << 20
)

var renderedComments = &commentsCache{ll: linkedlist.New(), items: map[commentsKey]*linkedlist.Element{}}

func (e *commentsEntry) size() int { return len(e.general) + len(e.anchored) + 256 }

func (cc *commentsCache) get(k commentsKey) (*commentsEntry, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	el, ok := cc.items[k]
	if !ok {
		return nil, false
	}
	cc.ll.MoveToFront(el)
	return el.Value.(*commentsEntry), true
}

func (cc *commentsCache) put(e *commentsEntry) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if el, ok := cc.items[e.key]; ok {
		cc.bytes -= el.Value.(*commentsEntry).size()
		el.Value = e
		cc.ll.MoveToFront(el)
	} else {
		cc.items[e.key] = cc.ll.PushFront(e)
	}
	cc.bytes += e.size()
	for cc.ll.Len() > commentsCacheEntries || (cc.bytes > commentsCacheBytes && cc.ll.Len() > 1) {
		last := cc.ll.Back()
		old := last.Value.(*commentsEntry)
		cc.ll.Remove(last)
		delete(cc.items, old.key)
		cc.bytes -= old.size()
	}
}

// loadMeasureComments is the measure page's hook: it loads the thread as the
// viewer may see it for the "measure-comments" partial, with its comments
// rendered (from the cache when nothing changed), and marks the quoted
// spans in the rendered body.
func (s *Server) loadMeasureComments(c echo.Context, p *Page, m models.MeasureAccess) error {
	if p.User == nil {
		return nil
	}
	data, ok := p.Data.(map[string]any)
	if !ok {
		return nil
	}
	ctx := c.Request().Context()
	d, _ := data["Measure"].(*models.MeasureDetail)
	replyTo, _ := strconv.ParseInt(c.QueryParam("reply_to"), 10, 64)
	var entry *commentsEntry
	var key commentsKey
	cacheable := replyTo <= 0 && d != nil && d.Measure != nil
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
		key = commentsKey{srv: weak.Make(s), measure: m.ID, version: version, status: m.Status, collab: d.CollabVersion,
			viewer: u.ID, org: org, role: u.Role, userStatus: u.Status, local: p.Locale}
		entry, _ = renderedComments.get(key)
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
			renderedComments.put(entry)
		}
	}
	t := entry.thread
	data["Comments"] = t
	data["CommentsGeneral"] = entry.general
	data["CommentsAnchored"] = entry.anchored
	// Mark the quoted words in the rendered body (the anchors' offsets
	// count in the current body, which is what the page shows first).
	if body, ok := data["BodyHTML"].(string); ok {
		n := 0
		if d != nil && d.Measure != nil {
			n = collab.UTF16Len(d.Body)
		}
		data["BodyHTML"] = markAnchors(body, anchorMarks(t, n))
	}
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
