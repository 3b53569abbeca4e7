package server

import (
	"context"
	"html/template"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// measureRefs is the reference data measure pages name things with.
type measureRefs struct {
	Orgs        []models.Organization
	Federations []models.Organization
	OrgByID     map[int64]models.Organization
	Pillars     []models.Pillar
	pillarByKey map[string]models.Pillar
	axisByKey   map[string]models.Axis
}

// refsTTL bounds how long pages may name organisations and the taxonomy
// from memory: both change rarely (admins only), and every measure page
// names them.
const refsTTL = 10 * time.Second

type cachedRefs struct {
	refs *measureRefs
	at   time.Time
}

// measureRefs gives the reference data, from memory when younger than
// refsTTL (held by the server: s.refs).
func (s *Server) measureRefs(ctx context.Context) (*measureRefs, error) {
	if cr := s.refs.Load(); cr != nil && time.Since(cr.at) < refsTTL {
		return cr.refs, nil
	}
	r, err := s.loadMeasureRefs(ctx)
	if err != nil {
		return nil, err
	}
	s.refs.Store(&cachedRefs{r, time.Now()})
	return r, nil
}

func (s *Server) loadMeasureRefs(ctx context.Context) (*measureRefs, error) {
	orgs, err := s.store.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	pillars, err := s.store.Taxonomy(ctx)
	if err != nil {
		return nil, err
	}
	r := &measureRefs{Orgs: orgs, OrgByID: map[int64]models.Organization{}, Pillars: pillars,
		pillarByKey: map[string]models.Pillar{}, axisByKey: map[string]models.Axis{}}
	for _, o := range orgs {
		r.OrgByID[o.ID] = o
		if o.Kind == models.KindFederation {
			r.Federations = append(r.Federations, o)
		}
	}
	for _, p := range pillars {
		r.pillarByKey[p.Key] = p
		for _, a := range p.Axes {
			r.axisByKey[a.Key] = a
		}
	}
	return r, nil
}

// PillarName names a pillar in a language; unknown keys show as they are.
func (r *measureRefs) PillarName(key, locale string) string {
	if p, ok := r.pillarByKey[key]; ok {
		return p.Name(locale)
	}
	return key
}

// AxisName names an axis in a language.
func (r *measureRefs) AxisName(key, locale string) string {
	if a, ok := r.axisByKey[key]; ok {
		return a.Name(locale)
	}
	return key
}

// OrgName names an organisation in a language.
func (r *measureRefs) OrgName(id int64, locale string) string {
	if o, ok := r.OrgByID[id]; ok {
		return o.Name(locale)
	}
	return ""
}

// OrgSlug gives an organisation's short name.
func (r *measureRefs) OrgSlug(id *int64) string {
	if id == nil {
		return ""
	}
	if o, ok := r.OrgByID[*id]; ok {
		return o.Slug
	}
	return ""
}

// measureFailed re-renders a measure form page with the problem, the
// sentence for the whole form chosen by the error's code where the
// catalogue has one (measures.err.<code>).
func (s *Server) measureFailed(c echo.Context, p *Page, err error) error {
	return s.failForm(c, p, err, "measures.err.")
}

func idPath(id int64) string { return "/measures/" + strconv.FormatInt(id, 10) }

// ---- list ------------------------------------------------------------------

// measureCard is a list entry with every name and label resolved in Go: a
// list page shows fifty of them, and template calls cost more than fields.
type measureCard struct {
	ID                  int64
	Title, Summary      string
	Status, StatusLabel string
	Private, Amending   bool
	Taxonomy            string
	Lead                string
	Cosponsors          []string
	Revision            int
	UpdatedISO, Updated string
}

func (s *Server) measureCards(p *Page, refs *measureRefs, ms []models.Measure) []measureCard {
	labels := map[string]string{}
	for _, st := range models.MeasureStatuses {
		labels[st] = p.T("measures.status." + st)
	}
	out := make([]measureCard, len(ms))
	for i := range ms {
		m := &ms[i]
		c := measureCard{ID: m.ID, Title: m.Title, Summary: m.Summary, Status: m.Status, StatusLabel: labels[m.Status],
			Private: m.Visibility == models.VisibilityFederation, Amending: m.Amending(), Revision: m.Revision,
			Taxonomy: refs.PillarName(m.Pillar, p.Locale), Lead: refs.OrgByID[m.LeadOrganizationID].Slug,
			UpdatedISO: m.UpdatedAt.UTC().Format(time.RFC3339), Updated: p.Time(m.UpdatedAt)}
		if a := m.AxisKey(); a != "" {
			c.Taxonomy += " · " + refs.AxisName(a, p.Locale)
		}
		for _, id := range m.CosponsorIDs {
			c.Cosponsors = append(c.Cosponsors, refs.OrgByID[id].Slug)
		}
		out[i] = c
	}
	return out
}

func (s *Server) pageReviewQueue(c echo.Context) error {
	u := ctxUser(c)
	ctx := c.Request().Context()
	page, err := s.store.ListMeasures(ctx, u, models.MeasureFilter{Status: models.StatusInReview, OldestFirst: true,
		Cursor: c.QueryParam("cursor"), Limit: 50})
	if err != nil {
		return err
	}
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return err
	}
	p := s.newPage(c, "review", "measures.review.title")
	p.Topics = "measures " + p.Topics
	p.Data = &reviewData{Measures: s.measureCards(p, refs, page.Items), NextCursor: page.NextCursor}
	return s.render(c, p)
}

// ---- one measure -----------------------------------------------------------

// measurePage gathers everything the measure page shows to this viewer.
func (s *Server) measurePage(c echo.Context, id int64) (*Page, error) {
	u := ctxUser(c)
	ctx := c.Request().Context()
	// The page (and with it the newest event id) first: the cached part of
	// the page is keyed by it.
	p := s.newPage(c, "measure", "")
	if p.lastEventErr != nil {
		return nil, p.lastEventErr
	}
	v, err := s.measureView(ctx, u, id, p.LastEventID)
	if err != nil {
		return nil, err
	}
	d := v.detail
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return nil, err
	}
	access := d.Access()
	actions := map[string]bool{}
	for _, a := range models.AvailableMeasureActions(u, access) {
		actions[a] = true
	}
	p.Title = d.Title
	p.MeasureID = id
	p.Topics = models.MeasureTopic(id) + " " + p.Topics
	data := &measurePageData{Measure: d, Refs: refs, Actions: actions, Decisions: measureDecisions,
		BodyHTML: v.bodyHTML, Revisions: v.revisions, Authors: v.authors}
	if d.Published != nil {
		data.PublishedHTML = v.publishedHTML
	}
	if data.Following, err = s.store.IsFollowing(c.Request().Context(), u, id); err != nil {
		return nil, err
	}
	p.Data = data
	if data.Fragments, err = s.fragments(v, p, refs); err != nil {
		return nil, err
	}
	if err := s.loadMeasureComments(c, p, data); err != nil {
		return nil, err
	}
	if data.Suggestions, err = s.loadSuggestions(c, d); err != nil {
		return nil, err
	}
	// "Reply" on a suggestion opens the comment form on the words it
	// changes (?quote=…).
	if q := c.QueryParam("quote"); q != "" && p.Form["anchor_quote"] == "" && utf8.RuneCountInString(q) <= 5000 {
		p.Form["anchor_quote"] = q
	}
	return p, nil
}

// reviewData is what the review queue shows.
type reviewData struct {
	Measures   []measureCard
	NextCursor string
}

// measurePageData is what the measure page (templates/pages/measure.html)
// shows.
type measurePageData struct {
	Measure   *models.MeasureDetail
	Refs      *measureRefs
	Actions   map[string]bool // what the viewer may do, by action name
	Decisions []string        // a reviewer's choices
	// BodyHTML is the rendered text, with the spans comments quote marked;
	// PublishedHTML the published text during an amendment.
	BodyHTML, PublishedHTML string
	Revisions               []models.Revision // the latest few
	Authors                 map[int64]*models.User
	Fragments               *measureFragments // the sections shared by every viewer
	// The comments (pages_comments.go), rendered.
	Comments                          *models.CommentThread
	CommentsGeneral, CommentsAnchored template.HTML
	// Following: the viewer follows the measure (its news reach them).
	Following bool
	// Suggestions are the tracked changes (pages_suggestions.go).
	Suggestions *measureSuggestions
}

var measureDecisions = []string{models.DecisionApproved, models.DecisionChangesRequested, models.DecisionRejected}

func (s *Server) pageMeasure(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.measurePage(c, id)
	if err != nil {
		return err
	}
	return s.render(c, p)
}

// measureActionFailed shows the measure page again with what went wrong and
// what the person had typed.
func (s *Server) measureActionFailed(c echo.Context, id int64, err error, form map[string]string) error {
	p, perr := s.measurePage(c, id)
	if perr != nil {
		return perr
	}
	for k, v := range form {
		p.Form[k] = v
	}
	return s.measureFailed(c, p, err)
}

func formRevision(c echo.Context) int {
	n, _ := strconv.Atoi(c.FormValue("revision"))
	return n
}

func (s *Server) pageTransition(t models.Transition, flash string) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := ctxUser(c)
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if t == models.TransWithdraw {
			// Ask only when the answer matters: a refused action is refused at once.
			access, err := s.store.MeasureAccessByID(c.Request().Context(), id)
			if err != nil {
				return err
			}
			if models.CheckMeasure(u, models.ActWithdrawMeasure, access) == nil {
				asked, err := s.confirmFirst(c, s.confirmBack(c, idPath(id)), "confirm.withdraw", "measures.actions.withdraw")
				if asked || err != nil {
					return err
				}
			}
		}
		if _, err := s.store.TransitionMeasure(c.Request().Context(), u, id, t, formRevision(c)); err != nil {
			return s.measureActionFailed(c, id, err, nil)
		}
		s.flash(c, flash)
		target := idPath(id)
		if t == models.TransAmend {
			target += "/edit"
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

func (s *Server) pageOpenMeasure(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v := models.VisibilityPlatform
	if _, err := s.store.UpdateMeasure(c.Request().Context(), u, id, models.MeasureChange{Visibility: &v, Revision: formRevision(c)}); err != nil {
		return s.measureActionFailed(c, id, err, nil)
	}
	s.flash(c, "measure_opened")
	return c.Redirect(http.StatusSeeOther, idPath(id))
}

func (s *Server) pageReviewSubmit(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	in := models.ReviewInput{Decision: c.FormValue("decision"), Note: c.FormValue("note"), Revision: formRevision(c)}
	if _, _, err := s.store.ReviewMeasure(c.Request().Context(), u, id, in); err != nil {
		return s.measureActionFailed(c, id, err, map[string]string{"decision": in.Decision, "note": in.Note})
	}
	s.flash(c, "review_saved")
	return c.Redirect(http.StatusSeeOther, idPath(id))
}

// editorsPage is the picker of new editors, on a page of its own so the
// measure page does not carry the list of every member.
func (s *Server) editorsPage(c echo.Context) (*Page, error) {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	d, err := s.store.MeasureDetail(ctx, u, id)
	if err != nil {
		return nil, err
	}
	candidates, err := s.store.EditorCandidates(ctx, u, d.Measure)
	if err != nil {
		return nil, err
	}
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "measure-editors", "measures.editors.page_title")
	p.Data = &editorsPageData{Measure: d, Candidates: candidates, Refs: refs}
	return p, nil
}

// editorsPageData is what the editors page shows.
type editorsPageData struct {
	Measure    *models.MeasureDetail
	Candidates []models.User // who could be added
	Refs       *measureRefs
}

func (s *Server) pageEditors(c echo.Context) error {
	p, err := s.editorsPage(c)
	if err != nil {
		return err
	}
	return s.render(c, p)
}

func (s *Server) pageAddEditor(c echo.Context) error {
	p, err := s.editorsPage(c)
	if err != nil {
		return err
	}
	id := p.Data.(*editorsPageData).Measure.ID
	p.Form["user_id"] = c.FormValue("user_id")
	uid, _ := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	if _, err := s.store.AddEditor(c.Request().Context(), p.User, id, uid); err != nil {
		return s.measureFailed(c, p, err)
	}
	s.flash(c, "editor_added")
	return c.Redirect(http.StatusSeeOther, idPath(id))
}

func (s *Server) pageRemoveEditor(c echo.Context) error {
	u := ctxUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	uid, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	d, err := s.store.MeasureDetail(c.Request().Context(), u, id)
	if err != nil {
		return err
	}
	if d.RemovableEditor(u, uid) { // a refused removal is refused at once
		if asked, err := s.confirmFirst(c, s.confirmBack(c, idPath(id)), "confirm.remove_editor_plain", "measures.editors.remove"); asked || err != nil {
			return err
		}
	}
	if err := s.store.RemoveEditor(c.Request().Context(), u, id, uid); err != nil {
		return s.measureActionFailed(c, id, err, nil)
	}
	s.flash(c, "editor_removed")
	if uid == u.ID {
		return c.Redirect(http.StatusSeeOther, "/measures")
	}
	return c.Redirect(http.StatusSeeOther, idPath(id))
}

func (s *Server) pageCosponsor(add bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := ctxUser(c)
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		flash := "cosponsored"
		if add {
			err = s.store.Cosponsor(c.Request().Context(), u, id)
		} else {
			flash = "uncosponsored"
			err = s.store.Uncosponsor(c.Request().Context(), u, id)
		}
		if err != nil {
			return s.measureActionFailed(c, id, err, nil)
		}
		s.flash(c, flash)
		// Taking co-sponsorship back may hide a federation-only draft.
		if _, err := s.store.MeasureByID(c.Request().Context(), u, id); err != nil {
			return c.Redirect(http.StatusSeeOther, "/measures")
		}
		return c.Redirect(http.StatusSeeOther, idPath(id))
	}
}
