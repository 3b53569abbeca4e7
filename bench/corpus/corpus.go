// Package corpus fills a fresh Pacte database with a realistic body of
// work for benchmarks: accounts of every role, measures in French and
// Arabic through every step of the workflow over a span of time (with
// their revisions, reviews, editors and co-sponsors), and comments, most
// on a few popular measures. Rows are written straight in SQL, many per
// statement, in a few big transactions: 20,000 measures and 200,000
// comments take well under a minute.
//
// The rows are what the application would have written, except the event
// log: nothing here needs to be replayed live, so only the last comment is
// written through the store, with its event, so that what reads the log
// (the search index, the dashboard's freshness) starts from a log that is
// not empty.
package corpus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"pacte/markdown"
	"pacte/models"
)

// Options size the corpus.
type Options struct {
	Measures int
	Comments int
	// Span is how far back the measures go from the store's clock (two
	// years by default); comments fall between their measure's creation
	// and now.
	Span time.Duration
	// Arabic is the share of measures and comments written in Arabic
	// (0.4 by default; negative: none).
	Arabic float64
	Seed   uint64
}

// Account is a person of the corpus; all share Password.
type Account struct {
	ID    int64
	Email string
	Role  string
	OrgID int64 // 0 for none
}

// Corpus is what Fill wrote.
type Corpus struct {
	Password   string
	Accounts   []Account // members of each federation, reviewers, a moderator, an admin
	MeasureIDs []int64   // in creation order
}

// Password is the password of every account of a corpus.
const Password = "corpus password 2030"

// First gives the first account with the role (and, for members, of the
// federation with the organisation id; 0 for any).
func (c *Corpus) First(role string, orgID int64) (Account, bool) {
	for _, a := range c.Accounts {
		if a.Role == role && (orgID == 0 || a.OrgID == orgID) {
			return a, true
		}
	}
	return Account{}, false
}

// Fill writes the corpus into a store whose database holds only the
// reference data (a fresh one).
func Fill(ctx context.Context, s *models.Store, o Options) (*Corpus, error) {
	if o.Span <= 0 {
		o.Span = 2 * 365 * 24 * time.Hour
	}
	if o.Arabic == 0 {
		o.Arabic = 0.4
	}
	f := &filler{s: s, ctx: ctx, o: o, r: rand.New(rand.NewPCG(o.Seed, 2030)), now: s.Now().UTC().Truncate(time.Microsecond),
		c: &Corpus{Password: Password}}
	for _, step := range []func() error{f.accounts, f.measures, f.comments, f.lastComment, f.analyze} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return f.c, nil
}

type filler struct {
	s   *models.Store
	ctx context.Context
	o   Options
	r   *rand.Rand
	now time.Time
	c   *Corpus

	members   []Account
	reviewers []Account
	moderator Account
	feds      []int64
	written   []measureRow // the measures as written, for the comments
}

// measureRow is what the comments need to know of a measure.
type measureRow struct {
	id         int64
	created    time.Time
	visibility string
	lead       int64
}

// insert writes rows in multi-row statements within one transaction.
func insert(tx *models.Tx, table string, cols []string, rows [][]any) error {
	per := 30000 / len(cols)
	ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		values := make([]string, 0, end-start)
		args := make([]any, 0, (end-start)*len(cols))
		for _, r := range rows[start:end] {
			values = append(values, ph)
			args = append(args, r...)
		}
		q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(values, ", ")
		if err := tx.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func (f *filler) write(table string, cols []string, rows [][]any) error {
	return f.s.Write(f.ctx, func(tx *models.Tx) error { return insert(tx, table, cols, rows) })
}

// accounts: ten members per federation, four reviewers, a moderator and
// an administrator.
func (f *filler) accounts() error {
	orgs, err := f.s.Organizations(f.ctx)
	if err != nil {
		return err
	}
	var ministry int64
	for _, o := range orgs {
		switch o.Kind {
		case models.KindFederation:
			f.feds = append(f.feds, o.ID)
		case models.KindMinistry:
			ministry = o.ID
		}
	}
	if len(f.feds) == 0 || ministry == 0 {
		return errors.New("corpus: the organisations are not seeded")
	}
	hash, err := models.HashPassword(Password)
	if err != nil {
		return err
	}
	names := []string{"Amina Benali", "Youssef El Idrissi", "Salma Chraibi", "Karim Ouazzani", "Nadia Tazi", "Omar Alaoui",
		"سعاد الفاسي", "محمد بنعلي", "خديجة العلوي", "ياسين الإدريسي"}
	var rows [][]any
	add := func(email, role string, org int64) {
		var o any
		if org != 0 {
			o = org
		}
		rows = append(rows, []any{email, names[len(rows)%len(names)], o, role, models.StatusActive, hash, "fr", f.now, f.now})
		f.c.Accounts = append(f.c.Accounts, Account{Email: email, Role: role, OrgID: org})
	}
	for i := 0; i < 10*len(f.feds); i++ {
		add(fmt.Sprintf("member%d@corpus.pacte.ma", i), models.RoleMember, f.feds[i%len(f.feds)])
	}
	for i := 0; i < 4; i++ {
		add(fmt.Sprintf("reviewer%d@corpus.pacte.ma", i), models.RoleReviewer, ministry)
	}
	add("moderator@corpus.pacte.ma", models.RoleModerator, ministry)
	add("admin@corpus.pacte.ma", models.RoleAdmin, 0)
	if err := f.write("users", []string{"email", "name", "organization_id", "role", "status", "password_hash", "locale", "created_at", "updated_at"}, rows); err != nil {
		return err
	}
	ids := map[string]int64{}
	var got []struct {
		ID    int64
		Email string
	}
	if err := f.s.Read(f.ctx).Raw("SELECT id, email FROM users WHERE email LIKE ?", "%@corpus.pacte.ma").Scan(&got).Error; err != nil {
		return err
	}
	for _, g := range got {
		ids[g.Email] = g.ID
	}
	for i := range f.c.Accounts {
		a := &f.c.Accounts[i]
		a.ID = ids[a.Email]
		switch a.Role {
		case models.RoleMember:
			f.members = append(f.members, *a)
		case models.RoleReviewer:
			f.reviewers = append(f.reviewers, *a)
		case models.RoleModerator:
			f.moderator = *a
		}
	}
	return nil
}

// step is one workflow step of a measure: the revision it saved and, for
// a decision, its review.
type step struct {
	reason, status string
	at             time.Time
	decision       string
}

// timeline draws a measure's life from its creation to now: most are
// submitted, decided after a while (approved, sent back and submitted
// again, rejected), withdrawn now and then; the recent ones are still in
// review or drafts.
func (f *filler) timeline(created time.Time) []step {
	r := f.r
	hours := func(lo, hi int) time.Duration { return time.Duration(lo+r.IntN(hi-lo)) * time.Hour }
	steps := []step{{reason: models.RevisionCreate, status: models.StatusDraft, at: created}}
	if r.Float64() < 0.15 {
		return steps
	}
	t := created.Add(hours(1, 240))
	if t.After(f.now) {
		return steps
	}
	steps = append(steps, step{reason: string(models.TransSubmit), status: models.StatusInReview, at: t})
	for round := 0; round < 3; round++ {
		t = t.Add(hours(2, 600))
		if t.After(f.now) {
			return steps
		}
		switch d := r.Float64(); {
		case d < 0.08:
			return append(steps, step{reason: string(models.TransWithdraw), status: models.StatusWithdrawn, at: t})
		case d < 0.55:
			return append(steps, step{reason: string(models.TransApprove), status: models.StatusApproved, at: t, decision: models.DecisionApproved})
		case d < 0.82:
			steps = append(steps, step{reason: string(models.TransRequestChanges), status: models.StatusChangesRequested, at: t, decision: models.DecisionChangesRequested})
			t = t.Add(hours(24, 360))
			if t.After(f.now) {
				return steps
			}
			steps = append(steps, step{reason: string(models.TransSubmit), status: models.StatusInReview, at: t})
		default:
			return append(steps, step{reason: string(models.TransReject), status: models.StatusRejected, at: t, decision: models.DecisionRejected})
		}
	}
	return steps
}

// measures writes the measures with their editors, co-sponsors, revisions
// and reviews.
func (f *filler) measures() error {
	pillars, err := f.s.Taxonomy(f.ctx)
	if err != nil {
		return err
	}
	type plan struct {
		author   Account
		title    string
		summary  string
		body     string
		pillar   string
		axis     any
		steps    []step
		visible  string
		cosponsr int64
	}
	plans := make([]plan, f.o.Measures)
	var rows [][]any
	for i := range plans {
		p := &plans[i]
		arabic := f.r.Float64() < f.o.Arabic
		p.author = f.members[f.r.IntN(len(f.members))]
		p.title = title(f.r, arabic)
		p.body = body(f.r, arabic, 1+f.r.IntN(3))
		p.summary = strings.SplitN(strings.TrimPrefix(p.body, "## "), "\n\n", 3)[1]
		pl := pillars[f.r.IntN(len(pillars))]
		p.pillar = pl.Key
		if len(pl.Axes) > 0 && f.r.IntN(4) > 0 {
			p.axis = pl.Axes[f.r.IntN(len(pl.Axes))].Key
		}
		// Creation times spread over the span, more of them lately.
		back := time.Duration(float64(f.o.Span) * math.Pow(f.r.Float64(), 1.3))
		created := f.now.Add(-back).Truncate(time.Microsecond)
		p.steps = f.timeline(created)
		last := p.steps[len(p.steps)-1]
		p.visible = models.VisibilityPlatform
		if len(p.steps) == 1 && f.r.IntN(3) == 0 {
			p.visible = models.VisibilityFederation
		}
		if p.visible == models.VisibilityPlatform && f.r.IntN(4) == 0 {
			if other := f.feds[f.r.IntN(len(f.feds))]; other != p.author.OrgID {
				p.cosponsr = other
			}
		}
		var published, approvedAt any
		for n, s := range p.steps {
			if s.decision == models.DecisionApproved {
				published, approvedAt = n, s.at // the submission reviewed is revision n (its number is n, counting from 1)
			}
		}
		rows = append(rows, []any{p.title, p.summary, p.body, p.pillar, p.axis, p.author.OrgID, p.visible, last.status,
			len(p.steps), published, approvedAt, len(p.steps) > 1, p.author.ID, created, last.at})
	}
	if err := f.write("measures", []string{"title", "summary", "body", "pillar", "axis", "lead_organization_id", "visibility", "status",
		"revision", "published_revision", "approved_at", "submitted_once", "created_by", "created_at", "updated_at"}, rows); err != nil {
		return err
	}
	var ids []int64
	if err := f.s.Read(f.ctx).Raw("SELECT id FROM measures ORDER BY id").Scan(&ids).Error; err != nil {
		return err
	}
	if len(ids) < len(plans) {
		return errors.New("corpus: measures missing after insert")
	}
	ids = ids[len(ids)-len(plans):]
	f.c.MeasureIDs = ids
	var editors, cosponsors, revisions, reviews [][]any
	for i, p := range plans {
		id := ids[i]
		f.written = append(f.written, measureRow{id: id, created: p.steps[0].at, visibility: p.visible, lead: p.author.OrgID})
		editors = append(editors, []any{id, p.author.ID, p.author.ID, p.steps[0].at})
		if p.cosponsr != 0 {
			for _, m := range f.members {
				if m.OrgID == p.cosponsr {
					cosponsors = append(cosponsors, []any{id, p.cosponsr, m.ID, p.steps[0].at.Add(time.Hour)})
					break
				}
			}
		}
		submitted := 0
		for n, s := range p.steps {
			number := n + 1
			author := p.author.ID
			if s.decision != "" {
				reviewer := f.reviewers[f.r.IntN(len(f.reviewers))]
				author = reviewer.ID
				note := ""
				if s.decision != models.DecisionApproved {
					note = "Merci de préciser le calendrier et le coût."
				}
				reviews = append(reviews, []any{id, reviewer.ID, s.decision, note, submitted, s.at})
			}
			if s.reason == string(models.TransSubmit) {
				submitted = number
			}
			revisions = append(revisions, []any{id, number, p.title, p.summary, p.body, p.pillar, p.axis, s.status, s.reason,
				fmt.Sprintf("[%d]", author), s.at})
		}
	}
	return f.s.Write(f.ctx, func(tx *models.Tx) error {
		if err := insert(tx, "measure_editors", []string{"measure_id", "user_id", "added_by", "created_at"}, editors); err != nil {
			return err
		}
		if err := insert(tx, "measure_cosponsors", []string{"measure_id", "organization_id", "user_id", "created_at"}, cosponsors); err != nil {
			return err
		}
		if err := insert(tx, "revisions", []string{"measure_id", "number", "title", "summary", "body", "pillar", "axis", "status",
			"reason", "authors", "created_at"}, revisions); err != nil {
			return err
		}
		return insert(tx, "reviews", []string{"measure_id", "reviewer_id", "decision", "note", "revision", "created_at"}, reviews)
	})
}

// comments: most on a few popular measures, a few hidden by a moderator
// or deleted, each between its measure's creation and now, by members (and
// now and then a reviewer) who may see the measure.
func (f *filler) comments() error {
	if f.o.Comments == 0 || len(f.written) == 0 {
		return nil
	}
	popular := f.r.Perm(len(f.written))
	rendered := map[string]string{}
	rows := make([][]any, 0, f.o.Comments)
	for i := 0; i < f.o.Comments; i++ {
		m := f.written[popular[int(float64(len(popular))*math.Pow(f.r.Float64(), 2.2))]]
		author := f.members[f.r.IntN(len(f.members))]
		switch {
		case m.visibility == models.VisibilityFederation:
			for author.OrgID != m.lead {
				author = f.members[f.r.IntN(len(f.members))]
			}
		case f.r.IntN(10) == 0:
			author = f.reviewers[f.r.IntN(len(f.reviewers))]
		}
		text := comment(f.r, f.r.Float64() < f.o.Arabic)
		html, ok := rendered[text]
		if !ok {
			html = markdown.Render(text)
			rendered[text] = html
		}
		at := m.created.Add(time.Duration(f.r.Float64() * float64(f.now.Sub(m.created)))).Truncate(time.Microsecond)
		status, reason, by := models.CommentVisible, "", any(nil)
		switch d := f.r.IntN(100); {
		case d < 2:
			status, reason, by = models.CommentHidden, "Hors sujet.", f.moderator.ID
		case d < 3:
			status = models.CommentDeleted
		}
		rows = append(rows, []any{m.id, author.ID, text, html, status, reason, by, at})
	}
	return f.write("comments", []string{"measure_id", "author_id", "body", "body_html", "status", "hidden_reason", "hidden_by", "created_at"}, rows)
}

// lastComment writes one more comment through the store, as a person
// would, on the first measure open to comments: the event log then has an
// event.
func (f *filler) lastComment() error {
	a := f.members[0]
	org := a.OrgID
	u := &models.User{ID: a.ID, Email: a.Email, Role: a.Role, Status: models.StatusActive, OrganizationID: &org}
	var err error
	for _, m := range f.written {
		if m.visibility != models.VisibilityPlatform {
			continue
		}
		if _, err = f.s.CreateComment(f.ctx, u, m.id, models.NewComment{Body: comment(f.r, false)}); err == nil {
			return nil
		}
	}
	return err
}

// analyze gives PostgreSQL's planner statistics at once (its autovacuum
// would, later); SQLite keeps none unless asked, in production too.
func (f *filler) analyze() error {
	if f.s.Dialect != models.Postgres {
		return nil
	}
	return f.s.Write(f.ctx, func(tx *models.Tx) error { return tx.Exec("ANALYZE").Error })
}
