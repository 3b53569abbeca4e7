package models

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"pacte/collab"
	"pacte/markdown"
)

// Comment statuses. A deleted comment stays as a row with its text erased,
// so that the replies under it keep their place in the thread; lists show it
// as a tombstone only while something below it is still shown.
const (
	CommentVisible = "visible"
	CommentHidden  = "hidden"
	CommentDeleted = "deleted"
)

// Limits on what people type in comments, reports and moderation reasons,
// in characters.
const (
	MaxCommentLen     = 20000
	MaxReasonLen      = 1000
	MaxAnchorQuoteLen = 5000
)

// closedForComments are the measure statuses that take no new comments or
// replies: a withdrawn or rejected measure is finished business. Existing
// comments can still be edited, deleted, reported and moderated.
var closedForComments = map[string]bool{"withdrawn": true, "rejected": true}

// MeasureClosedForComments reports whether a measure in this status refuses
// new comments.
func MeasureClosedForComments(status string) bool { return closedForComments[status] }

// Comment is one comment on a measure, as stored.
type Comment struct {
	ID             int64      `gorm:"column:id;primaryKey"`
	MeasureID      int64      `gorm:"column:measure_id"`
	ParentID       *int64     `gorm:"column:parent_id"`
	AuthorID       int64      `gorm:"column:author_id"`
	Body           string     `gorm:"column:body"`
	StoredHTML     string     `gorm:"column:body_html"` // Body rendered and sanitised when written; '' for older rows
	Status         string     `gorm:"column:status"`
	HiddenReason   string     `gorm:"column:hidden_reason"`
	HiddenBy       *int64     `gorm:"column:hidden_by"`
	AnchorQuote    *string    `gorm:"column:anchor_quote"`
	AnchorFrom     *int       `gorm:"column:anchor_from"`
	AnchorTo       *int       `gorm:"column:anchor_to"`
	AnchorDetached bool       `gorm:"column:anchor_detached"`
	CreatedAt      time.Time  `gorm:"column:created_at"`
	EditedAt       *time.Time `gorm:"column:edited_at"`
}

// TableName tells GORM where comments live.
func (Comment) TableName() string { return "comments" }

// HTML is the comment's body as sanitised HTML: the copy rendered when it
// was written, or for rows from before that column (or filled by SQL) the
// body rendered now.
func (c *Comment) HTML() string {
	if c.StoredHTML != "" || c.Body == "" {
		return c.StoredHTML
	}
	return markdown.Render(c.Body)
}

// Anchor is the span of the measure's body a comment quotes. From and To are
// UTF-16 offsets into the current body (co-editing moves them as the text
// changes); Detached is set when the quoted words were deleted, and Quote
// then keeps what they said.
type Anchor struct {
	Quote    string
	From, To int
	Detached bool
}

// Anchor gives the comment's anchor, or nil.
func (c *Comment) Anchor() *Anchor {
	if c.AnchorQuote == nil || c.AnchorFrom == nil || c.AnchorTo == nil {
		return nil
	}
	return &Anchor{Quote: *c.AnchorQuote, From: *c.AnchorFrom, To: *c.AnchorTo, Detached: c.AnchorDetached}
}

// UserRef names a person: id and display name, nothing more.
type UserRef struct {
	ID   int64
	Name string
	// OrganizationID is shown beside the name: names are not unique.
	OrganizationID *int64 `json:"-"`
}

// CommentPermissions are what the viewer may do with one comment, decided by
// the policy once so that templates and JSON never compare roles.
type CommentPermissions struct {
	Reply, Edit, Delete, Report, Hide, Restore, Dismiss bool
}

// CommentView is a comment as one viewer may see it. A comment the viewer
// may not read (hidden, or a deleted tombstone) is Redacted: its text,
// author, anchor and moderation details are already erased here, so no
// template or encoder can leak them by mistake.
type CommentView struct {
	Comment
	BodyHTML    string // sanitised
	Author      UserRef
	HiddenByRef *UserRef // moderators only
	Redacted    bool
	OpenReports int  // moderators only
	Reported    bool // the viewer has already reported it
	Replies     []*CommentView
	Can         CommentPermissions
}

// Edited reports whether the author changed the comment after posting it.
func (v *CommentView) Edited() bool { return v.EditedAt != nil }

// CommentThread is every comment of a measure that a viewer may see, as
// threads.
type CommentThread struct {
	MeasureID   int64
	Items       []*CommentView // top-level comments in the order they were made
	Count       int            // comments the viewer can read
	Closed      bool           // the measure takes no new comments
	CanComment  bool           // the viewer may start a thread now
	CanModerate bool
}

// Anchored lists the threads that quote the body, in the order of the
// quoted spans (detached ones last), for the margin beside the text.
func (t *CommentThread) Anchored() []*CommentView {
	var out []*CommentView
	for _, v := range t.Items {
		if !v.Redacted && v.Anchor() != nil {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Anchor(), out[j].Anchor()
		if a.Detached != b.Detached {
			return !a.Detached
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// General lists the threads that quote nothing (and redacted ones, whose
// anchor is not shown).
func (t *CommentThread) General() []*CommentView {
	var out []*CommentView
	for _, v := range t.Items {
		if v.Redacted || v.Anchor() == nil {
			out = append(out, v)
		}
	}
	return out
}

// AnchorInput is the anchor a new comment asks for. Scripts and the
// editor send the quote with its UTF-16 offsets; a form without JavaScript
// sends only the quote (Locate), and the first place the body says it is
// taken.
type AnchorInput struct {
	Quote    string
	From, To int
	Locate   bool
}

// NewComment is what a person sends to comment.
type NewComment struct {
	Body     string
	ParentID *int64
	Anchor   *AnchorInput
}

// cleanText normalises typed text: valid UTF-8, no NUL (PostgreSQL refuses
// it), one kind of line break, no surrounding space.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	return strings.TrimSpace(collab.NormalizeLineBreaks(s))
}

// checkCommentBody validates a comment's Markdown.
func checkCommentBody(body string) (string, error) {
	body = cleanText(body)
	fe := FieldErrors{}
	switch {
	case IsBlank(body):
		fe.Add("body", "Write something before sending.")
	case utf8.RuneCountInString(body) > MaxCommentLen:
		fe.Add("body", "A comment is limited to 20,000 characters.")
	}
	return body, fe.Err()
}

// checkReason validates a report or moderation reason.
func checkReason(reason string) (string, error) {
	reason = cleanText(reason)
	fe := FieldErrors{}
	switch {
	case reason == "":
		fe.Add("reason", "Give a reason.")
	case utf8.RuneCountInString(reason) > MaxReasonLen:
		fe.Add("reason", "A reason is limited to 1,000 characters.")
	}
	return reason, fe.Err()
}

// checkAnchor verifies that the quote is the body's text at [from, to),
// counted in UTF-16 units as the browser's editor counts them.
func checkAnchor(body string, a *AnchorInput) (*AnchorInput, error) {
	quote := collab.NormalizeLineBreaks(strings.ToValidUTF8(a.Quote, "\uFFFD"))
	bad := func(msg string) error { return (FieldErrors{"anchor": msg}).Err() }
	if strings.TrimSpace(quote) == "" {
		return nil, bad("The quote is empty.")
	}
	if utf8.RuneCountInString(quote) > MaxAnchorQuoteLen {
		return nil, bad("A quote is limited to 5,000 characters.")
	}
	body = collab.NormalizeLineBreaks(body)
	if a.Locate {
		i := strings.Index(body, quote)
		if i < 0 {
			// Words selected in the rendered text: find them in the source.
			start, end, ok := locateRendered(body, quote)
			if !ok {
				return nil, bad("These words are not in the text of the measure; copy them from it exactly.")
			}
			i, quote = start, body[start:end]
		}
		from, _ := collab.ByteToUTF16Offset(body, i)
		return &AnchorInput{Quote: quote, From: from, To: from + collab.UTF16Len(quote)}, nil
	}
	got, ok := collab.NewDoc(body).Slice(a.From, a.To)
	if !ok || a.From >= a.To {
		return nil, bad("The quoted span is not in the text of the measure.")
	}
	if got != quote {
		return nil, bad("The quote does not match the text of the measure at that place; it may have changed. Select the words again.")
	}
	return &AnchorInput{Quote: quote, From: a.From, To: a.To}, nil
}

// CommentThread loads the comments of a measure as the viewer may see them.
// Whoever cannot see the measure gets a 404, as for a missing one.
func (s *Store) CommentThread(ctx context.Context, viewer *User, m MeasureAccess) (*CommentThread, error) {
	if !CanSeeMeasure(viewer, m) {
		return nil, NotFound("Measure")
	}
	var rows []Comment
	if err := s.Read(ctx).Where("measure_id = ?", m.ID).Order("id").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	views, err := s.commentViews(ctx, viewer, m, rows)
	if err != nil {
		return nil, err
	}
	t := &CommentThread{MeasureID: m.ID, Closed: MeasureClosedForComments(m.Status),
		CanModerate: Can(viewer, ActModerate, nil)}
	t.CanComment = !t.Closed && Can(viewer, ActCommentCreate, CommentTarget{Measure: m})
	byID := map[int64]*CommentView{}
	for _, v := range views {
		byID[v.ID] = v
	}
	for _, v := range views {
		if v.ParentID != nil {
			if p, ok := byID[*v.ParentID]; ok {
				p.Replies = append(p.Replies, v)
				continue
			}
		}
		t.Items = append(t.Items, v)
	}
	t.Items = pruneTombstones(t.Items)
	var count func([]*CommentView)
	count = func(vs []*CommentView) {
		for _, v := range vs {
			if !v.Redacted {
				t.Count++
			}
			count(v.Replies)
		}
	}
	count(t.Items)
	return t, nil
}

// pruneTombstones drops deleted comments with nothing shown below them.
func pruneTombstones(vs []*CommentView) []*CommentView {
	out := vs[:0]
	for _, v := range vs {
		v.Replies = pruneTombstones(v.Replies)
		if v.Status == CommentDeleted && len(v.Replies) == 0 {
			continue
		}
		out = append(out, v)
	}
	return out
}

// commentViews turns rows of one measure into what the viewer may see of
// them, with names, report counts and permissions.
func (s *Store) commentViews(ctx context.Context, viewer *User, m MeasureAccess, rows []Comment) ([]*CommentView, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(rows))
	userIDs := []int64{}
	for _, c := range rows {
		ids = append(ids, c.ID)
		userIDs = append(userIDs, c.AuthorID)
		if c.HiddenBy != nil {
			userIDs = append(userIDs, *c.HiddenBy)
		}
	}
	users, err := s.UsersByIDs(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	db := s.Read(ctx)
	open := map[int64]int{}
	if Can(viewer, ActModerate, nil) {
		var counts []struct {
			CommentID int64
			N         int
		}
		if err := db.Table("comment_reports").Select("comment_id, COUNT(*) AS n").
			Where("comment_id IN ? AND resolved_at IS NULL", ids).Group("comment_id").Scan(&counts).Error; err != nil {
			return nil, dbError(err)
		}
		for _, c := range counts {
			open[c.CommentID] = c.N
		}
	}
	mine := map[int64]bool{}
	if viewer != nil {
		var reported []int64
		if err := db.Table("comment_reports").Where("comment_id IN ? AND reporter_id = ?", ids, viewer.ID).
			Pluck("comment_id", &reported).Error; err != nil {
			return nil, dbError(err)
		}
		for _, id := range reported {
			mine[id] = true
		}
	}
	out := make([]*CommentView, 0, len(rows))
	for _, c := range rows {
		out = append(out, viewComment(viewer, m, c, users, open[c.ID], mine[c.ID]))
	}
	return out, nil
}

// viewComment decides what one viewer sees of one comment and may do with it.
func viewComment(viewer *User, m MeasureAccess, c Comment, users map[int64]*User, openReports int, reported bool) *CommentView {
	v := &CommentView{Comment: c, Reported: reported}
	t := CommentTarget{Measure: m, Comment: &c}
	closed := MeasureClosedForComments(m.Status)
	visible := c.Status == CommentVisible
	v.Can = CommentPermissions{
		Reply:   visible && !closed && Can(viewer, ActCommentCreate, CommentTarget{Measure: m}),
		Edit:    visible && Can(viewer, ActCommentEdit, t),
		Delete:  c.Status != CommentDeleted && Can(viewer, ActCommentDelete, t),
		Report:  visible && !reported && Can(viewer, ActCommentReport, t),
		Hide:    visible && Can(viewer, ActCommentHide, t),
		Restore: c.Status == CommentHidden && Can(viewer, ActCommentRestore, t),
		Dismiss: openReports > 0 && Can(viewer, ActCommentDismiss, t),
	}
	readable := visible || (c.Status == CommentHidden && Can(viewer, ActCommentViewHidden, t))
	if !readable {
		// Keep only where it sits in the thread.
		v.Comment = Comment{ID: c.ID, MeasureID: c.MeasureID, ParentID: c.ParentID, Status: c.Status, CreatedAt: c.CreatedAt}
		v.Redacted = true
		v.Can = CommentPermissions{Delete: v.Can.Delete && c.Status == CommentHidden, Restore: v.Can.Restore}
		return v
	}
	v.BodyHTML = c.HTML()
	if u, ok := users[c.AuthorID]; ok {
		v.Author = UserRef{ID: u.ID, Name: u.Name, OrganizationID: u.OrganizationID}
	} else {
		v.Author = UserRef{ID: c.AuthorID}
	}
	if c.HiddenBy != nil {
		ref := UserRef{ID: *c.HiddenBy}
		if u, ok := users[*c.HiddenBy]; ok {
			ref.Name, ref.OrganizationID = u.Name, u.OrganizationID
		}
		v.HiddenByRef = &ref
	}
	v.OpenReports = openReports
	return v
}

// CommentByID gives one comment as the viewer may see it (without replies).
func (s *Store) CommentByID(ctx context.Context, viewer *User, id int64) (*CommentView, error) {
	c, m, err := s.commentForAction(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	vs, err := s.commentViews(ctx, viewer, m, []Comment{*c})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// commentForAction finds a comment and its measure for someone about to act
// on it. A missing or deleted comment, or one on a measure the person cannot
// see, is not found.
func (s *Store) commentForAction(ctx context.Context, actor *User, id int64) (*Comment, MeasureAccess, error) {
	var c Comment
	if err := s.Read(ctx).Where("id = ?", id).Take(&c).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, MeasureAccess{}, NotFound("Comment")
		}
		return nil, MeasureAccess{}, dbError(err)
	}
	if c.Status == CommentDeleted {
		return nil, MeasureAccess{}, NotFound("Comment")
	}
	m, err := s.MeasureAccessByID(ctx, c.MeasureID)
	if err != nil {
		return nil, MeasureAccess{}, lookupError(err, NotFound("Comment"))
	}
	if !CanSeeMeasure(actor, m) {
		return nil, MeasureAccess{}, NotFound("Comment")
	}
	return &c, m, nil
}

// lockComment re-reads a comment inside a write transaction, locking its row
// on PostgreSQL so that two moderators or two reports queue up.
func lockComment(tx *Tx, id int64) (*Comment, error) {
	var c Comment
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&c).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, NotFound("Comment")
		}
		return nil, err
	}
	if c.Status == CommentDeleted {
		return nil, NotFound("Comment")
	}
	return &c, nil
}

func errMeasureClosed() error {
	return CodedError(EConflict, "measure_closed", "This measure is withdrawn or rejected and takes no new comments.")
}

func errCommentHidden() error {
	return CodedError(EConflict, "comment_hidden", "This comment was hidden by a moderator.")
}

func refJSON(u *User) map[string]any {
	if u == nil {
		return nil
	}
	return map[string]any{"id": u.ID, "name": u.Name, "organization_id": u.OrganizationID}
}

func anchorJSON(a *Anchor) any {
	if a == nil {
		return nil
	}
	return map[string]any{"quote": a.Quote, "from": a.From, "to": a.To, "detached": a.Detached}
}

// commentEventData is the comment as live clients insert it (web/README.md).
func commentEventData(c *Comment, author *User, bodyHTML string) map[string]any {
	out := map[string]any{
		"id": c.ID, "parent_id": c.ParentID, "author": refJSON(author), "body_html": bodyHTML,
		"created_at": c.CreatedAt.UTC().Format(time.RFC3339), "anchor": anchorJSON(c.Anchor()),
	}
	if c.EditedAt != nil {
		out["edited_at"] = c.EditedAt.UTC().Format(time.RFC3339)
	}
	return out
}

// Comment events (data.comment_id, and for comment.created and
// comment.updated the comment as data.comment with its body_html) stay in the
// log after the comment is hidden or deleted. Whatever replays the log to
// people who are not moderators (the audit trail; catch-up of live updates)
// removes the text of comments that are no longer readable.

// CommentIDOf reads the comment an event's data is about, 0 if none.
func CommentIDOf(data map[string]any) int64 {
	f, ok := data["comment_id"].(float64)
	if !ok || f <= 0 {
		return 0
	}
	return int64(f)
}

// UnreadableComments tells which of the comments only moderators may read
// now: hidden, deleted or gone.
func (s *Store) UnreadableComments(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var visible []int64
	if err := s.Read(ctx).Table("comments").Where("id IN ? AND status = ?", ids, CommentVisible).Pluck("id", &visible).Error; err != nil {
		return nil, dbError(err)
	}
	for _, id := range ids {
		out[id] = true
	}
	for _, id := range visible {
		delete(out, id)
	}
	return out, nil
}

// RedactCommentData removes a comment's text from an event's data when the
// comment is among the unreadable ones. It reports whether it removed any.
func RedactCommentData(data map[string]any, unreadable map[int64]bool) bool {
	id := CommentIDOf(data)
	if id == 0 || !unreadable[id] {
		return false
	}
	c, ok := data["comment"].(map[string]any)
	if !ok {
		return false
	}
	delete(c, "body_html")
	delete(c, "body")
	return true
}

// CreateComment starts a thread or replies in one, with its event.
func (s *Store) CreateComment(ctx context.Context, actor *User, measureID int64, in NewComment) (*CommentView, error) {
	m, err := s.MeasureAccessByID(ctx, measureID)
	if err != nil {
		return nil, lookupError(err, NotFound("Measure"))
	}
	if !CanSeeMeasure(actor, m) {
		return nil, NotFound("Measure")
	}
	if !Can(actor, ActCommentCreate, CommentTarget{Measure: m}) {
		return nil, Errorf(EForbidden, "You are not allowed to comment on this measure.")
	}
	if MeasureClosedForComments(m.Status) {
		return nil, errMeasureClosed()
	}
	body, err := checkCommentBody(in.Body)
	if err != nil {
		return nil, err
	}
	if in.ParentID != nil && in.Anchor != nil {
		return nil, (FieldErrors{"anchor": "A reply cannot quote the text; start a new thread to quote it."}).Err()
	}
	html := markdown.Render(body) // slow work stays out of the transaction
	c := Comment{MeasureID: measureID, AuthorID: actor.ID, Body: body, StoredHTML: html, Status: CommentVisible, CreatedAt: s.stamp()}
	err = s.Write(ctx, func(tx *Tx) error {
		var row struct {
			Status string
			Body   string
		}
		// A share lock keeps a co-editing push (which locks the row to move
		// anchors) from changing the body between this check and the insert.
		if err := tx.Clauses(clause.Locking{Strength: "SHARE"}).Table("measures").Select("status, body").Where("id = ?", measureID).Take(&row).Error; err != nil {
			return lookupError(err, NotFound("Measure"))
		}
		if MeasureClosedForComments(row.Status) {
			return errMeasureClosed()
		}
		if in.ParentID != nil {
			var p Comment
			err := tx.Where("id = ?", *in.ParentID).Take(&p).Error
			if err != nil || p.MeasureID != measureID {
				return (FieldErrors{"parent_id": "The comment you reply to is not on this measure."}).Err()
			}
			if p.Status != CommentVisible {
				return (FieldErrors{"parent_id": "The comment you reply to was hidden or deleted."}).Err()
			}
			c.ParentID = &p.ID
		}
		if in.Anchor != nil {
			a, err := checkAnchor(row.Body, in.Anchor)
			if err != nil {
				return err
			}
			c.AnchorQuote, c.AnchorFrom, c.AnchorTo = &a.Quote, &a.From, &a.To
		}
		mentioned, err := tx.checkMentions(measureID, "body", nil, c.Body)
		if err != nil {
			return err
		}
		if err := tx.Create(&c).Error; err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(measureID), "comment.created", actor, measureID, 0,
			map[string]any{"comment_id": c.ID, "comment": commentEventData(&c, actor, html), "mentioned": mentioned})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &CommentView{Comment: c, BodyHTML: html, Author: UserRef{ID: actor.ID, Name: actor.Name, OrganizationID: actor.OrganizationID},
		Can: CommentPermissions{Reply: true, Edit: true, Delete: true}}, nil
}

// EditComment changes the author's words and marks the comment edited.
func (s *Store) EditComment(ctx context.Context, actor *User, id int64, body string) (*CommentView, error) {
	c, m, err := s.commentForAction(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !Can(actor, ActCommentEdit, CommentTarget{Measure: m, Comment: c}) {
		return nil, Errorf(EForbidden, "Only its author can edit a comment.")
	}
	if c.Status == CommentHidden {
		return nil, errCommentHidden()
	}
	body, err = checkCommentBody(body)
	if err != nil {
		return nil, err
	}
	html := markdown.Render(body)
	err = s.Write(ctx, func(tx *Tx) error {
		cur, err := lockComment(tx, id)
		if err != nil {
			return err
		}
		if cur.Status == CommentHidden {
			return errCommentHidden()
		}
		mentioned, err := tx.checkMentions(cur.MeasureID, "body", &cur.Body, body)
		if err != nil {
			return err
		}
		now := s.stamp()
		if err := tx.Model(&Comment{}).Where("id = ?", id).Updates(map[string]any{"body": body, "body_html": html, "edited_at": now}).Error; err != nil {
			return err
		}
		cur.Body, cur.StoredHTML, cur.EditedAt = body, html, &now
		c = cur
		_, err = tx.Emit(MeasureTopic(c.MeasureID), "comment.updated", actor, c.MeasureID, 0,
			map[string]any{"comment_id": c.ID, "comment": commentEventData(c, actor, html), "mentioned": mentioned})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.CommentByID(ctx, actor, id)
}

// DeleteComment erases a comment's text. The row stays, marked deleted, so
// that replies keep their thread; lists show it as a tombstone only while
// replies remain under it. Open reports on it are resolved.
func (s *Store) DeleteComment(ctx context.Context, actor *User, id int64) error {
	c, m, err := s.commentForAction(ctx, actor, id)
	if err != nil {
		return err
	}
	if !Can(actor, ActCommentDelete, CommentTarget{Measure: m, Comment: c}) {
		return Errorf(EForbidden, "Only its author or a moderator can delete a comment.")
	}
	return s.Write(ctx, func(tx *Tx) error {
		cur, err := lockComment(tx, id)
		if err != nil {
			return err
		}
		now := s.stamp()
		if err := tx.Model(&Comment{}).Where("id = ?", id).Updates(map[string]any{"status": CommentDeleted, "body": "", "body_html": ""}).Error; err != nil {
			return err
		}
		if err := resolveReports(tx, id, now); err != nil {
			return err
		}
		data := map[string]any{"comment_id": id}
		if actor.ID != cur.AuthorID {
			data["by_moderator"] = true
		}
		_, err = tx.Emit(MeasureTopic(cur.MeasureID), "comment.deleted", actor, cur.MeasureID, 0, data)
		return err
	})
}

func resolveReports(tx *Tx, commentID int64, now time.Time) error {
	return tx.Table("comment_reports").Where("comment_id = ? AND resolved_at IS NULL", commentID).Update("resolved_at", now).Error
}

// MeasureEventVersion is the newest event of a measure, 0 if none. Every
// change to its comments (and to the measure) writes an event, so caches
// of what a measure's page shows use it as their version.
func (s *Store) MeasureEventVersion(ctx context.Context, measureID int64) (int64, error) {
	var id sql.NullInt64
	if err := s.Read(ctx).Raw("SELECT MAX(id) FROM events WHERE measure_id = ?", measureID).Row().Scan(&id); err != nil {
		return 0, dbError(err)
	}
	return id.Int64, nil
}
