package models

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Limits on a measure's text. The body limit is well above any real measure
// (the longest pact documents run to a few tens of kilobytes) and well below
// the request limit, so an oversized body gets a clear answer of its own.
const (
	MaxTitleLen   = 200  // characters
	MaxSummaryLen = 2000 // characters
	MaxBodyBytes  = 200 * 1024
	MaxReviewNote = 5000 // characters
)

// Measure is a proposed measure of the pact. Revision is the number of its
// current revision; PublishedRevision is the approved one, kept published
// while an amendment is under way.
type Measure struct {
	ID                 int64      `gorm:"column:id;primaryKey"`
	Title              string     `gorm:"column:title"`
	Summary            string     `gorm:"column:summary"`
	Body               string     `gorm:"column:body"`
	Pillar             string     `gorm:"column:pillar"`
	Axis               *string    `gorm:"column:axis"`
	LeadOrganizationID int64      `gorm:"column:lead_organization_id"`
	Visibility         string     `gorm:"column:visibility"`
	Status             string     `gorm:"column:status"`
	Revision           int        `gorm:"column:revision"`
	PublishedRevision  *int       `gorm:"column:published_revision"`
	ApprovedAt         *time.Time `gorm:"column:approved_at"`  // when PublishedRevision was approved
	PublishedAt        *time.Time `gorm:"column:published_at"` // nil: not public (publication.go)
	PublishedBy        *int64     `gorm:"column:published_by"`
	PublicChangedAt    *time.Time `gorm:"column:public_changed_at"` // last change the public could see
	SubmittedOnce      bool       `gorm:"column:submitted_once"`
	CollabVersion      int64      `gorm:"column:collab_version;<-:create"` // owned by co-editing; never written here after creation
	CreatedBy          int64      `gorm:"column:created_by"`
	CreatedAt          time.Time  `gorm:"column:created_at"`
	UpdatedAt          time.Time  `gorm:"column:updated_at"`

	EditorIDs    []int64 `gorm:"-"`
	CosponsorIDs []int64 `gorm:"-"` // organisations, in id order
}

// TableName tells GORM where measures live.
func (Measure) TableName() string { return "measures" }

// Access is what visibility and the policy need to know of the measure.
func (m *Measure) Access() MeasureAccess {
	return MeasureAccess{ID: m.ID, LeadOrgID: m.LeadOrganizationID, CosponsorOrgIDs: m.CosponsorIDs,
		EditorIDs: m.EditorIDs, Visibility: m.Visibility, Status: m.Status,
		Approved: m.PublishedRevision != nil, Published: m.PublishedAt != nil}
}

// AxisKey is the axis or "".
func (m *Measure) AxisKey() string {
	if m.Axis == nil {
		return ""
	}
	return *m.Axis
}

// Amending reports whether an approved measure is being amended: its
// approved text is published while a newer revision goes through the
// workflow again.
func (m *Measure) Amending() bool {
	return m.PublishedRevision != nil && m.Status != StatusApproved
}

// MeasureItem is a measure as lists show it (docs/API.md "Measures"), also the
// payload of measure events.
type MeasureItem struct {
	ID                 int64   `json:"id"`
	Title              string  `json:"title"`
	Summary            string  `json:"summary"`
	Status             string  `json:"status"`
	Visibility         string  `json:"visibility"`
	Pillar             string  `json:"pillar"`
	Axis               *string `json:"axis"`
	LeadOrganizationID int64   `json:"lead_organization_id"`
	CosponsorIDs       []int64 `json:"cosponsor_ids"`
	Revision           int     `json:"revision"`
	PublishedRevision  *int    `json:"published_revision"`
	PublishedAt        *string `json:"published_at"`
	UpdatedAt          string  `json:"updated_at"`
}

// Item gives the list form of the measure.
func (m *Measure) Item() MeasureItem {
	co := m.CosponsorIDs
	if co == nil {
		co = []int64{}
	}
	var published *string
	if m.PublishedAt != nil {
		p := m.PublishedAt.UTC().Format(time.RFC3339)
		published = &p
	}
	return MeasureItem{ID: m.ID, Title: m.Title, Summary: m.Summary, Status: m.Status, Visibility: m.Visibility,
		Pillar: m.Pillar, Axis: m.Axis, LeadOrganizationID: m.LeadOrganizationID, CosponsorIDs: co,
		Revision: m.Revision, PublishedRevision: m.PublishedRevision, PublishedAt: published,
		UpdatedAt: m.UpdatedAt.UTC().Format(time.RFC3339)}
}

// NewMeasure is what a member types to propose a measure.
type NewMeasure struct {
	Title   string
	Summary string
	Body    string
	Pillar  string
	Axis    string
}

// MeasureChange is an edit: nil fields stay as they are. Revision is the
// revision the person edited; if it is no longer the current one the edit is
// refused, so nobody overwrites what they have not seen.
type MeasureChange struct {
	Title      *string
	Summary    *string
	Body       *string
	Pillar     *string
	Axis       *string // "" clears it
	Visibility *string // only federation → platform
	Revision   int
}

// normalizeText keeps one kind of line break: browsers post "\r\n", the
// co-editor counts "\n" as one unit, and the two must agree.
func normalizeText(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(s)
}

func checkTitle(fe FieldErrors, s string) {
	switch {
	case IsBlank(s):
		fe.Add("title", "Give the measure a title.")
	case utf8.RuneCountInString(s) > MaxTitleLen:
		fe.Add("title", fmt.Sprintf("The title is too long (%d characters at most).", MaxTitleLen))
	case strings.ContainsAny(s, "\x00\n"):
		fe.Add("title", "The title must be a single line.")
	case !utf8.ValidString(s):
		fe.Add("title", "The title is not valid text.")
	}
}

func checkSummary(fe FieldErrors, s string) {
	switch {
	case IsBlank(s):
		fe.Add("summary", "Write a short summary of the measure.")
	case utf8.RuneCountInString(s) > MaxSummaryLen:
		fe.Add("summary", fmt.Sprintf("The summary is too long (%d characters at most).", MaxSummaryLen))
	case strings.Contains(s, "\x00") || !utf8.ValidString(s):
		fe.Add("summary", "The summary is not valid text.")
	}
}

// checkBody refuses an oversized body with 413 on its own: the rest of the
// form is fine, and the person needs to know what to shorten.
func checkBody(fe FieldErrors, s string) error {
	if len(s) > MaxBodyBytes {
		return &Error{Kind: ETooLarge, Code: "body_too_large",
			Message: fmt.Sprintf("The text is too long: %d KB at most.", MaxBodyBytes/1024),
			Fields:  map[string]string{"body": fmt.Sprintf("The text is too long: %d KB at most.", MaxBodyBytes/1024)}}
	}
	if strings.Contains(s, "\x00") || !utf8.ValidString(s) {
		fe.Add("body", "The text is not valid.")
	}
	return nil
}

// checkTaxonomy checks the pillar, and that the axis (optional) belongs to it.
func checkTaxonomy(db *gorm.DB, fe FieldErrors, pillar, axis string) error {
	if pillar == "" {
		fe.Add("pillar", "Choose a pillar.")
		return nil
	}
	var n int64
	if err := db.Model(&Pillar{}).Where("key = ?", pillar).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		fe.Add("pillar", "Unknown pillar.")
		return nil
	}
	if axis == "" {
		return nil
	}
	var a Axis
	err := db.Where("key = ?", axis).Take(&a).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		fe.Add("axis", "Unknown axis.")
	case err != nil:
		return err
	case a.PillarKey != pillar:
		fe.Add("axis", "This axis is not part of the chosen pillar.")
	}
	return nil
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// stamp is the time written on rows (measures, comments, reports):
// microseconds, which both engines keep exactly, so list cursors compare
// equal to what was stored.
func (s *Store) stamp() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// CreateMeasure records a new draft: revision 1, open only to its
// federation, led by the author's federation, with the author as editor.
func (s *Store) CreateMeasure(ctx context.Context, actor *User, in NewMeasure) (*Measure, error) {
	if !CanCreateMeasure(actor) {
		return nil, forbidden("Only members of a federation can propose measures.")
	}
	in.Title = strings.TrimSpace(normalizeText(in.Title))
	in.Summary = strings.TrimSpace(normalizeText(in.Summary))
	in.Body = normalizeText(in.Body)
	in.Pillar, in.Axis = strings.TrimSpace(in.Pillar), strings.TrimSpace(in.Axis)
	fe := FieldErrors{}
	if err := checkBody(fe, in.Body); err != nil {
		return nil, err
	}
	checkTitle(fe, in.Title)
	checkSummary(fe, in.Summary)
	if err := checkTaxonomy(s.Read(ctx), fe, in.Pillar, in.Axis); err != nil {
		return nil, dbError(err)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	now := s.stamp()
	m := &Measure{Title: in.Title, Summary: in.Summary, Body: in.Body, Pillar: in.Pillar, Axis: optString(in.Axis),
		LeadOrganizationID: actor.OrgID(), Visibility: VisibilityFederation, Status: StatusDraft, Revision: 1,
		CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now, EditorIDs: []int64{actor.ID}, CosponsorIDs: []int64{}}
	err := s.Write(ctx, func(tx *Tx) error {
		if err := tx.Create(m).Error; err != nil {
			return err
		}
		if err := tx.Exec("INSERT INTO measure_editors (measure_id, user_id, added_by, created_at) VALUES (?, ?, ?, ?)",
			m.ID, actor.ID, actor.ID, now).Error; err != nil {
			return err
		}
		if err := tx.follow(actor.ID, m.ID); err != nil {
			return err
		}
		mentioned, err := tx.checkMentions(m.ID, "body", nil, in.Body)
		if err != nil {
			return err
		}
		if err := tx.insertRevision(m, RevisionCreate, []int64{actor.ID}, now); err != nil {
			return err
		}
		_, err = tx.Emit(MeasureTopic(m.ID), "measure.created", actor, m.ID, 0, map[string]any{"measure": m.Item(), "mentioned": mentioned})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// loadMeasure reads a measure with its editors and co-sponsors. Inside a
// write transaction on PostgreSQL it locks the row, so that concurrent
// edits queue up and each sees the revision the previous one left (SQLite's
// single writer already serialises them).
func loadMeasure(db *gorm.DB, id int64, lock bool) (*Measure, error) {
	q := db
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var m Measure
	if err := q.Where("id = ?", id).Take(&m).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, NotFound("Measure")
		}
		return nil, err
	}
	m.EditorIDs, m.CosponsorIDs = []int64{}, []int64{}
	if err := db.Table("measure_editors").Where("measure_id = ?", id).Order("user_id").Pluck("user_id", &m.EditorIDs).Error; err != nil {
		return nil, err
	}
	if err := db.Table("measure_cosponsors").Where("measure_id = ?", id).Order("organization_id").Pluck("organization_id", &m.CosponsorIDs).Error; err != nil {
		return nil, err
	}
	return &m, nil
}

func (tx *Tx) lockMeasure(id int64) (*Measure, error) {
	return loadMeasure(tx.DB, id, tx.store.Dialect == Postgres)
}

// lockMeasureFor locks the measure and checks that the actor may do act on
// it: the start of every write on a measure.
func (tx *Tx) lockMeasureFor(actor *User, act Action, id int64) (*Measure, error) {
	m, err := tx.lockMeasure(id)
	if err != nil {
		return nil, err
	}
	if err := CheckMeasure(actor, act, m.Access()); err != nil {
		return nil, err
	}
	return m, nil
}

// MeasureByID loads a measure the viewer may see; any other is not found.
func (s *Store) MeasureByID(ctx context.Context, viewer *User, id int64) (*Measure, error) {
	m, err := loadMeasure(s.Read(ctx), id, false)
	if err != nil {
		return nil, dbError(err)
	}
	if !CanSeeMeasure(viewer, m.Access()) {
		return nil, NotFound("Measure")
	}
	return m, nil
}

// MeasureFilter narrows the measures list.
type MeasureFilter struct {
	Status         string
	Pillar         string
	OrganizationID int64 // leading or co-sponsoring
	Query          string
	Cursor         string
	Limit          int
	// OldestFirst orders by submission age, for the reviewers' queue.
	OldestFirst bool
	// Axis keeps the measures of one axis (the caller checks it belongs to
	// Pillar).
	Axis string
	// EditorID keeps the measures this person is an editor of.
	EditorID int64
	// ScopeStatus keeps one status, like Status, but also under the counts:
	// it belongs to a scope (ApplyScope), not to the status tabs.
	ScopeStatus string
}

// The scopes of the measures list besides all of them.
const (
	ScopeMine = "mine" // the measures I am an editor of
	ScopeTodo = "todo" // the measures awaiting my action
)

// Scopes lists the scopes the list offers this person, in order: "mine"
// to those who write measures (members), "todo" to members and to those
// who review. A moderator has neither: no measure awaits a moderator.
func Scopes(u *User) []string {
	var out []string
	if CanCreateMeasure(u) {
		out = append(out, ScopeMine)
	}
	if CanCreateMeasure(u) || Can(u, ActReviewQueue, nil) {
		out = append(out, ScopeTodo)
	}
	return out
}

// ApplyScope narrows the filter to a scope of Scopes(u); it reports false
// for a scope not offered to u (the filter is then unchanged).
//
//   - mine: the measures u is an editor of (not those of u's federation:
//     "mes mesures" are the ones u may write);
//   - todo for a member: u's measures in changes_requested, the only state
//     in which the reviewers wait for the editors;
//   - todo for a reviewer or an administrator: every measure in_review.
func (f *MeasureFilter) ApplyScope(u *User, scope string) bool {
	if scope == "" {
		return true
	}
	offered := false
	for _, s := range Scopes(u) {
		offered = offered || s == scope
	}
	if !offered {
		return false
	}
	switch {
	case scope == ScopeMine:
		f.EditorID = u.ID
	case CanCreateMeasure(u):
		f.EditorID, f.ScopeStatus = u.ID, StatusChangesRequested
	default:
		f.ScopeStatus = StatusInReview
	}
	return true
}

// Validate checks the filter values a person chose.
func (f MeasureFilter) Validate() error {
	fe := FieldErrors{}
	if f.Status != "" && !ValidMeasureStatus(f.Status) {
		fe.Add("status", "Unknown status.")
	}
	if utf8.RuneCountInString(f.Query) > 200 {
		fe.Add("q", "The search is too long.")
	}
	return fe.Err()
}

// visibleTo restricts a query on measures to those the viewer may see: the
// SQL twin of CanSeeMeasure (a test checks they agree), so lists and search
// never reveal a measure its page would deny.
func visibleTo(q *gorm.DB, u *User) *gorm.DB {
	return scopeWhere(q, ScopeOf(u))
}

// scopeWhere is MeasureScope in SQL.
func scopeWhere(q *gorm.DB, s MeasureScope) *gorm.DB {
	switch {
	case s.None:
		return q.Where("1 = 0")
	case s.All:
		return q
	}
	return q.Where(`(measures.visibility = ? OR measures.lead_organization_id = ?
		OR EXISTS (SELECT 1 FROM measure_cosponsors c WHERE c.measure_id = measures.id AND c.organization_id = ?)
		OR EXISTS (SELECT 1 FROM measure_editors e WHERE e.measure_id = measures.id AND e.user_id = ?))`,
		VisibilityPlatform, s.OrgID, s.OrgID, s.UserID)
}

func (s *Store) filteredMeasures(ctx context.Context, viewer *User, f MeasureFilter) *gorm.DB {
	q := visibleTo(s.Read(ctx).Model(&Measure{}), viewer)
	if f.Pillar != "" {
		q = q.Where("measures.pillar = ?", f.Pillar)
	}
	if f.Axis != "" {
		q = q.Where("measures.axis = ?", f.Axis)
	}
	if f.ScopeStatus != "" {
		q = q.Where("measures.status = ?", f.ScopeStatus)
	}
	if f.EditorID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM measure_editors e2 WHERE e2.measure_id = measures.id AND e2.user_id = ?)", f.EditorID)
	}
	if f.OrganizationID != 0 {
		q = q.Where(`(measures.lead_organization_id = ? OR EXISTS (SELECT 1 FROM measure_cosponsors c2
			WHERE c2.measure_id = measures.id AND c2.organization_id = ?))`, f.OrganizationID, f.OrganizationID)
	}
	if qs := strings.TrimSpace(f.Query); qs != "" {
		p := likePattern(qs)
		q = q.Where(`(LOWER(measures.title) LIKE ? ESCAPE '\' OR LOWER(measures.summary) LIKE ? ESCAPE '\' OR LOWER(measures.body) LIKE ? ESCAPE '\')`, p, p, p)
	}
	return q
}

// listCursor marks where a page ended: the (updated_at, id) of its last row.
type listCursor struct {
	at time.Time
	id int64
}

func encodeListCursor(m *Measure) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(m.UpdatedAt.UnixMicro(), 10) + "." + strconv.FormatInt(m.ID, 10)))
}

func decodeListCursor(c string) (*listCursor, error) {
	if c == "" {
		return nil, nil
	}
	bad := CodedError(EMalformed, "invalid_cursor", "The cursor is not valid.")
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, bad
	}
	at, id, ok := strings.Cut(string(b), ".")
	if !ok {
		return nil, bad
	}
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return nil, bad
	}
	return &listCursor{at: time.UnixMicro(us).UTC(), id: n}, nil
}

// ListMeasures pages through the measures the viewer may see, most recently
// changed first (or, with OldestFirst, longest waiting first).
func (s *Store) ListMeasures(ctx context.Context, viewer *User, f MeasureFilter) (Page[Measure], error) {
	if err := f.Validate(); err != nil {
		return Page[Measure]{}, err
	}
	cur, err := decodeListCursor(f.Cursor)
	if err != nil {
		return Page[Measure]{}, err
	}
	limit := ClampLimit(f.Limit)
	q := s.filteredMeasures(ctx, viewer, f)
	if f.Status != "" {
		q = q.Where("measures.status = ?", f.Status)
	}
	order := "measures.updated_at DESC, measures.id DESC"
	if f.OldestFirst {
		order = "measures.updated_at ASC, measures.id ASC"
	}
	if cur != nil {
		if f.OldestFirst {
			q = q.Where("(measures.updated_at > ? OR (measures.updated_at = ? AND measures.id > ?))", cur.at, cur.at, cur.id)
		} else {
			q = q.Where("(measures.updated_at < ? OR (measures.updated_at = ? AND measures.id < ?))", cur.at, cur.at, cur.id)
		}
	}
	// The list never needs the body: leave it in the database.
	var ms []Measure
	if err := q.Select("id, title, summary, pillar, axis, lead_organization_id, visibility, status, revision, published_revision, approved_at, published_at, published_by, public_changed_at, submitted_once, created_by, created_at, updated_at").
		Order(order).Limit(limit + 1).Find(&ms).Error; err != nil {
		return Page[Measure]{}, dbError(err)
	}
	page := Page[Measure]{Items: ms}
	if len(ms) > limit {
		page.Items = ms[:limit]
		page.NextCursor = encodeListCursor(&page.Items[limit-1])
	}
	if err := s.attachCosponsors(ctx, page.Items); err != nil {
		return Page[Measure]{}, err
	}
	return page, nil
}

// attachCosponsors fills CosponsorIDs for a page of measures in one query.
func (s *Store) attachCosponsors(ctx context.Context, ms []Measure) error {
	return s.attachIDs(ctx, ms, "measure_cosponsors", "organization_id", func(m *Measure) *[]int64 { return &m.CosponsorIDs })
}

// attachEditors fills EditorIDs for a batch of measures in one query.
func (s *Store) attachEditors(ctx context.Context, ms []Measure) error {
	return s.attachIDs(ctx, ms, "measure_editors", "user_id", func(m *Measure) *[]int64 { return &m.EditorIDs })
}

// attachIDs fills, for each measure, the list field of ids that table
// holds in column (measure_id, column), in id order.
func (s *Store) attachIDs(ctx context.Context, ms []Measure, table, column string, field func(*Measure) *[]int64) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]int64, len(ms))
	at := map[int64]int{}
	for i := range ms {
		ids[i] = ms[i].ID
		at[ms[i].ID] = i
		*field(&ms[i]) = []int64{}
	}
	var rows []struct {
		MeasureID int64
		ID        int64
	}
	if err := s.Read(ctx).Table(table).Select("measure_id, "+column+" AS id").
		Where("measure_id IN ?", ids).Order("measure_id, " + column).Find(&rows).Error; err != nil {
		return dbError(err)
	}
	for _, r := range rows {
		f := field(&ms[at[r.MeasureID]])
		*f = append(*f, r.ID)
	}
	return nil
}

// MeasureCounts counts the measures the viewer may see per status, under the
// filter's other criteria (its status is ignored), for the list's tabs.
func (s *Store) MeasureCounts(ctx context.Context, viewer *User, f MeasureFilter) (map[string]int64, error) {
	var rows []struct {
		Status string
		N      int64
	}
	if err := s.filteredMeasures(ctx, viewer, f).Select("measures.status AS status, COUNT(*) AS n").
		Group("measures.status").Find(&rows).Error; err != nil {
		return nil, dbError(err)
	}
	out := map[string]int64{}
	for _, st := range MeasureStatuses {
		out[st] = 0
	}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// Cosponsor is one federation co-sponsoring a measure, and who signed it up.
type Cosponsor struct {
	MeasureID      int64     `gorm:"column:measure_id"`
	OrganizationID int64     `gorm:"column:organization_id"`
	UserID         int64     `gorm:"column:user_id"`
	CreatedAt      time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where co-sponsorships live.
func (Cosponsor) TableName() string { return "measure_cosponsors" }

// Review is a reviewer's decision on one revision.
type Review struct {
	ID         int64     `gorm:"column:id;primaryKey"`
	MeasureID  int64     `gorm:"column:measure_id"`
	ReviewerID int64     `gorm:"column:reviewer_id"`
	Decision   string    `gorm:"column:decision"`
	Note       string    `gorm:"column:note"`
	Revision   int       `gorm:"column:revision"`
	CreatedAt  time.Time `gorm:"column:created_at"`
	Reviewer   *User     `gorm:"-"`
}

// TableName tells GORM where reviews live.
func (Review) TableName() string { return "reviews" }

// MeasureDetail is everything the measure page and API show about a measure.
type MeasureDetail struct {
	*Measure
	Editors    []*User
	Cosponsors []Cosponsor
	Reviews    []Review // oldest first
	// Published is the approved revision while an amendment is under way.
	Published *Revision
}

// RemovableEditor reports whether u may take the editor target off the
// measure, so that the page offers the button only then.
func (d *MeasureDetail) RemovableEditor(u *User, target int64) bool {
	refs := make([]EditorRef, len(d.Editors))
	for i, e := range d.Editors {
		refs[i] = EditorRef{ID: e.ID, OrgID: e.OrgID()}
	}
	return CheckRemoveEditor(u, d.Access(), refs, target) == nil
}

// MeasureToEdit is MeasureDetail for the edit form: only for those who may
// edit the measure now.
func (s *Store) MeasureToEdit(ctx context.Context, actor *User, id int64) (*MeasureDetail, error) {
	d, err := s.MeasureDetail(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := CheckMeasure(actor, ActEditMeasure, d.Access()); err != nil {
		return nil, err
	}
	return d, nil
}

// MeasureDetail loads a measure the viewer may see with its editors,
// co-sponsors, reviews and, during an amendment, the published text.
func (s *Store) MeasureDetail(ctx context.Context, viewer *User, id int64) (*MeasureDetail, error) {
	m, err := s.MeasureByID(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	d := &MeasureDetail{Measure: m}
	db := s.Read(ctx)
	if err := db.Where("measure_id = ?", id).Order("created_at, organization_id").Find(&d.Cosponsors).Error; err != nil {
		return nil, dbError(err)
	}
	if err := db.Where("measure_id = ?", id).Order("id").Find(&d.Reviews).Error; err != nil {
		return nil, dbError(err)
	}
	ids := append([]int64{}, m.EditorIDs...)
	for _, r := range d.Reviews {
		ids = append(ids, r.ReviewerID)
	}
	users, err := s.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, uid := range m.EditorIDs {
		if u := users[uid]; u != nil {
			d.Editors = append(d.Editors, u)
		}
	}
	for i := range d.Reviews {
		d.Reviews[i].Reviewer = users[d.Reviews[i].ReviewerID]
	}
	if m.Amending() {
		var r Revision
		if err := db.Where("measure_id = ? AND number = ?", id, *m.PublishedRevision).Take(&r).Error; err != nil {
			return nil, dbError(err)
		}
		d.Published = &r
	}
	return d, nil
}

// EditorCandidates lists the active members who could be added as editors
// (from any federation), for the picker of those who manage the editors.
func (s *Store) EditorCandidates(ctx context.Context, actor *User, m *Measure) ([]User, error) {
	if err := CheckMeasure(actor, ActManageEditors, m.Access()); err != nil {
		return nil, err
	}
	var us []User
	q := s.Read(ctx).Where("role = ? AND status = ?", RoleMember, StatusActive)
	if len(m.EditorIDs) > 0 {
		q = q.Where("id NOT IN ?", m.EditorIDs)
	}
	err := q.Order("name, id").Limit(500).Find(&us).Error
	return us, dbError(err)
}

// MeasureStamp is what changes whenever a measure's row does: its last
// update and its co-editing version (co-editing writes the body without an
// event). Pages cache what they show of a measure under it; found is false
// for a measure that does not exist.
func (s *Store) MeasureStamp(ctx context.Context, id int64) (updatedAt time.Time, collab int64, found bool, err error) {
	var row struct {
		UpdatedAt     time.Time `gorm:"column:updated_at"`
		CollabVersion int64     `gorm:"column:collab_version"`
	}
	res := s.Read(ctx).Table("measures").Select("updated_at, collab_version").Where("id = ?", id).Limit(1).Find(&row)
	if res.Error != nil {
		return time.Time{}, 0, false, dbError(res.Error)
	}
	return row.UpdatedAt, row.CollabVersion, res.RowsAffected > 0, nil
}

// ListStamp changes whenever a measure row is written: the newest update
// time of all measures (an index lookup). Co-editing writes bodies without
// an event, so the event log alone does not say the list changed. The value
// is opaque, only to compare.
func (s *Store) ListStamp(ctx context.Context) (string, error) {
	var v sql.NullString
	if err := s.Read(ctx).Raw("SELECT MAX(updated_at) FROM measures").Row().Scan(&v); err != nil {
		return "", dbError(err)
	}
	return v.String, nil
}
