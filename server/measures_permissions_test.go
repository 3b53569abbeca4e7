package server_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// Actors of the measure permission table.
const (
	pAnon      = "anonymous"
	pEditor    = "member-editor"       // apebi, created the measure
	pFedMate   = "member-same-fed"     // apebi, not an editor
	pOutsider  = "member-other-fed"    // msec
	pCoEditor  = "co-editor-other-fed" // mnc, added as editor
	pReviewer  = "reviewer"
	pModerator = "moderator" // ausim
	pAdmin     = "admin"
	pSuspended = "suspended" // an apebi editor, suspended
)

var pActors = []string{pAnon, pEditor, pFedMate, pOutsider, pCoEditor, pReviewer, pModerator, pAdmin, pSuspended}

// Objects: the measure in each state that matters.
const (
	oFedDraft  = "own-draft-federation-only"
	oPlatDraft = "platform-draft"
	oInReview  = "in-review"
	oApproved  = "approved"
	oWithdrawn = "withdrawn"
)

var pObjects = []string{oFedDraft, oPlatDraft, oInReview, oApproved, oWithdrawn}

type pWorld struct {
	app     *servertest.App
	users   map[string]*models.User
	clients map[string]*servertest.Client
	extra   *models.User // a third editor, removed by the remove-editor row
	current map[string]int64
}

func newPWorld(t *testing.T, app *servertest.App) *pWorld {
	w := &pWorld{app: app, users: map[string]*models.User{}, clients: map[string]*servertest.Client{}, current: map[string]int64{}}
	w.users[pEditor] = app.User(models.RoleMember, "apebi")
	w.users[pFedMate] = app.User(models.RoleMember, "apebi")
	w.users[pOutsider] = app.User(models.RoleMember, "msec")
	w.users[pCoEditor] = app.User(models.RoleMember, "mnc")
	w.users[pReviewer] = app.User(models.RoleReviewer, "ministry")
	w.users[pModerator] = app.User(models.RoleModerator, "ausim")
	w.users[pAdmin] = app.User(models.RoleAdmin, "")
	w.users[pSuspended] = app.User(models.RoleMember, "apebi")
	w.extra = app.User(models.RoleMember, "ausim")
	for _, a := range pActors {
		switch a {
		case pAnon:
			// A script: no cookie jar, so no CSRF cookie to trip over.
			w.clients[a] = app.Anonymous()
			w.clients[a].HTTP.Jar = nil
		case pSuspended:
			// A token made before the suspension: it must stop working.
			_, raw, err := app.Store.CreateToken(context.Background(), w.users[a], "script")
			if err != nil {
				t.Fatal(err)
			}
			w.clients[a] = app.Anonymous()
			w.clients[a].HTTP.Jar = nil
			w.clients[a].Bearer = raw
		default:
			w.clients[a] = app.Login(w.users[a])
		}
	}
	st := models.StatusSuspended
	if _, err := app.Store.UpdateUser(context.Background(), w.users[pAdmin], w.users[pSuspended].ID, models.UserChange{Status: &st}); err != nil {
		t.Fatal(err)
	}
	return w
}

// build makes a fresh measure in the object's state, through the store.
func (w *pWorld) build(t *testing.T, object string) int64 {
	t.Helper()
	ctx := context.Background()
	s := w.app.Store
	ed := w.users[pEditor]
	m, err := s.CreateMeasure(ctx, ed, models.NewMeasure{Title: "Mesure " + object, Summary: "Résumé", Body: "Texte", Pillar: "public_services"})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.AddEditor(ctx, ed, m.ID, w.users[pCoEditor].ID)
	must(err)
	_, err = s.AddEditor(ctx, ed, m.ID, w.extra.ID)
	must(err)
	// The suspended person was an editor before being suspended.
	must(s.Write(ctx, func(tx *models.Tx) error {
		return tx.Exec("INSERT INTO measure_editors (measure_id, user_id, created_at) VALUES (?, ?, ?)", m.ID, w.users[pSuspended].ID, s.Now()).Error
	}))
	switch object {
	case oPlatDraft:
		v := models.VisibilityPlatform
		_, err = s.UpdateMeasure(ctx, ed, m.ID, models.MeasureChange{Visibility: &v, Revision: 1})
	case oInReview:
		_, err = s.TransitionMeasure(ctx, ed, m.ID, models.TransSubmit, 0)
	case oApproved:
		m, err = s.TransitionMeasure(ctx, ed, m.ID, models.TransSubmit, 0)
		must(err)
		_, _, err = s.ReviewMeasure(ctx, w.users[pReviewer], m.ID, models.ReviewInput{Decision: "approved", Revision: m.Revision})
	case oWithdrawn:
		_, err = s.TransitionMeasure(ctx, ed, m.ID, models.TransSubmit, 0)
		must(err)
		_, err = s.TransitionMeasure(ctx, ed, m.ID, models.TransWithdraw, 0)
	}
	must(err)
	return m.ID
}

// object gives an untouched measure in the state, building one only when the
// last one was changed by an allowed request.
func (w *pWorld) object(t *testing.T, object string) int64 {
	if id, ok := w.current[object]; ok {
		return id
	}
	id := w.build(t, object)
	w.current[object] = id
	return id
}

type pState struct {
	Revision  int
	Status    string
	Editors   int
	Cosponsor int
}

func (w *pWorld) state(t *testing.T, id int64) pState {
	t.Helper()
	m, err := w.app.Store.MeasureByID(context.Background(), w.users[pAdmin], id)
	if err != nil {
		t.Fatal(err)
	}
	return pState{m.Revision, m.Status, len(m.EditorIDs), len(m.CosponsorIDs)}
}

// expectations: object → actor → status, built from a visibility base and
// per-action rules spelled out below.
type pExpect map[string]map[string]int

// visible is who sees each object: 200, or 404 (401 signed out).
func visible() pExpect {
	e := pExpect{}
	for _, o := range pObjects {
		e[o] = map[string]int{}
		for _, a := range pActors {
			e[o][a] = 200
		}
		e[o][pAnon], e[o][pSuspended] = 401, 401
	}
	e[oFedDraft][pOutsider], e[oFedDraft][pReviewer] = 404, 404
	return e
}

// rule sets, for every object, the status of each listed actor among those
// who can see it; the others who can see it get rest.
func rule(rest int, byObject map[string]map[string]int) pExpect {
	e := visible()
	for _, o := range pObjects {
		for _, a := range pActors {
			if e[o][a] != 200 {
				continue
			}
			e[o][a] = rest
			if st, ok := byObject[o][a]; ok {
				e[o][a] = st
			} else if st, ok := byObject["*"][a]; ok {
				e[o][a] = st
			}
		}
	}
	return e
}

func editors(st int) map[string]int { return map[string]int{pEditor: st, pCoEditor: st} }

func merge(ms ...map[string]int) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

type pAction struct {
	name   string
	mutate bool
	expect pExpect
	do     func(w *pWorld, c *servertest.Client, id int64) *servertest.Response
}

func pActions() []pAction {
	cur := func(w *pWorld, id int64) int {
		m, _ := w.app.Store.MeasureByID(context.Background(), w.users[pAdmin], id)
		return m.Revision
	}
	get := func(path string) func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
		return func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
			return c.Request("GET", msPath(id, path), nil)
		}
	}
	post := func(path string) func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
		return func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
			return c.Request("POST", msPath(id, path), nil)
		}
	}
	return []pAction{
		{name: "view", expect: visible(), do: get("")},
		{name: "revisions", expect: visible(), do: get("/revisions")},
		{name: "revision", expect: visible(), do: get("/revisions/1")},
		{name: "diff", expect: visible(), do: get("/diff?from=1&to=1")},
		{name: "edit", mutate: true, expect: rule(403, map[string]map[string]int{
			oFedDraft: editors(200), oPlatDraft: editors(200), oInReview: editors(409), oApproved: editors(409), oWithdrawn: editors(409)}),
			do: func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
				return c.Request("PATCH", msPath(id), map[string]any{"summary": "Changé", "revision": cur(w, id)})
			}},
		{name: "submit", mutate: true, expect: rule(403, map[string]map[string]int{
			oFedDraft: editors(200), oPlatDraft: editors(200), oInReview: editors(409), oApproved: editors(409), oWithdrawn: editors(409)}),
			do: post("/submit")},
		{name: "withdraw", mutate: true, expect: rule(403, map[string]map[string]int{
			oFedDraft: editors(200), oPlatDraft: editors(200), oInReview: editors(200), oApproved: editors(409), oWithdrawn: editors(409)}),
			do: post("/withdraw")},
		{name: "amend", mutate: true, expect: rule(403, map[string]map[string]int{
			oFedDraft: editors(409), oPlatDraft: editors(409), oInReview: editors(409), oApproved: editors(200), oWithdrawn: editors(409)}),
			do: post("/amend")},
		{name: "review", mutate: true, expect: rule(403, map[string]map[string]int{
			"*":       {pReviewer: 409, pAdmin: 409},
			oInReview: {pReviewer: 201, pAdmin: 201}}),
			do: func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
				return c.Request("POST", msPath(id, "/reviews"), map[string]any{"decision": "approved", "revision": cur(w, id)})
			}},
		{name: "add-editor", mutate: true, expect: rule(403, map[string]map[string]int{
			"*":        merge(editors(201), map[string]int{pAdmin: 201}),
			oWithdrawn: merge(editors(409), map[string]int{pAdmin: 409})}),
			do: func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
				fresh := w.app.User(models.RoleMember, "msec")
				return c.Request("POST", msPath(id, "/editors"), map[string]any{"user_id": fresh.ID})
			}},
		// Only the lead federation's editors, moderators and admins remove
		// editors (issue 8: a co-editor from elsewhere locked the author out).
		{name: "remove-editor", mutate: true, expect: rule(403, map[string]map[string]int{
			"*":        {pEditor: 204, pModerator: 204, pAdmin: 204},
			oWithdrawn: {pEditor: 409, pModerator: 409, pAdmin: 409}}),
			do: func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
				return c.Request("DELETE", msPath(id, fmt.Sprintf("/editors/%d", w.extra.ID)), nil)
			}},
		{name: "cosponsor", mutate: true, expect: rule(403, map[string]map[string]int{
			"*":        {pEditor: 409, pFedMate: 409, pOutsider: 201, pCoEditor: 201},
			oWithdrawn: {pEditor: 409, pFedMate: 409, pOutsider: 409, pCoEditor: 409}}),
			do: post("/cosponsor")},
		{name: "uncosponsor", mutate: true, expect: rule(403, map[string]map[string]int{
			"*": {pEditor: 409, pFedMate: 409, pOutsider: 409, pCoEditor: 409}}),
			do: func(w *pWorld, c *servertest.Client, id int64) *servertest.Response {
				return c.Request("DELETE", msPath(id, "/cosponsor"), nil)
			}},
	}
}

// TestMeasuresPermissions_Table: every measure action × role × object gives
// the expected status; refused requests change nothing; a measure someone
// may not see is absent from their list and search.
func TestMeasuresPermissions_Table(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		w := newPWorld(t, app)
		for _, act := range pActions() {
			for _, o := range pObjects {
				for _, a := range pActors {
					id := w.object(t, o)
					before := w.state(t, id)
					r := act.do(w, w.clients[a], id)
					want := act.expect[o][a]
					if r.Status != want {
						t.Errorf("%s × %s × %s: status %d, want %d (%s)", act.name, a, o, r.Status, want, r.Body)
					}
					if r.Status >= 300 && before != w.state(t, id) {
						t.Errorf("%s × %s × %s: refused (%d) but the measure changed: %+v → %+v", act.name, a, o, r.Status, before, w.state(t, id))
					}
					if act.mutate && r.Status < 300 {
						delete(w.current, o)
					}
				}
			}
		}
		// Lists and search: exactly the visible objects, for everyone.
		ids := map[string]int64{}
		for _, o := range pObjects {
			ids[o] = w.build(t, o)
		}
		vis := visible()
		for _, a := range pActors {
			for _, q := range []string{"", "?q=Mesure", "?pillar=public_services&limit=200"} {
				r := w.clients[a].Request("GET", "/api/v1/measures"+q, nil)
				if a == pAnon || a == pSuspended {
					if r.Status != 401 {
						t.Errorf("list %s by %s: %d", q, a, r.Status)
					}
					continue
				}
				var out struct {
					Items []struct {
						ID int64 `json:"id"`
					} `json:"items"`
				}
				if r.Status != 200 || r.JSON(&out) != nil {
					t.Fatalf("list by %s: %d %s", a, r.Status, r.Body)
				}
				seen := map[int64]bool{}
				for _, it := range out.Items {
					seen[it.ID] = true
				}
				for _, o := range pObjects {
					if seen[ids[o]] != (vis[o][a] == 200) {
						t.Errorf("list%s by %s: %s listed=%v, visible=%v", q, a, o, seen[ids[o]], vis[o][a] == 200)
					}
				}
			}
		}
	})
}

// TestMeasuresPermissions_Create: only members of a federation create.
func TestMeasuresPermissions_Create(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	want := map[string]int{models.RoleMember: 201, models.RoleReviewer: 403, models.RoleModerator: 403, models.RoleAdmin: 403}
	orgs := map[string]string{models.RoleMember: "msec", models.RoleReviewer: "ministry", models.RoleModerator: "apebi", models.RoleAdmin: ""}
	roles := make([]string, 0, len(want))
	for r := range want {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, role := range roles {
		c := app.Login(app.User(role, orgs[role]))
		if r := c.Request("POST", "/api/v1/measures", msNewBody("Par "+role)); r.Status != want[role] {
			t.Errorf("create by %s: %d, want %d (%s)", role, r.Status, want[role], r.Body)
		}
	}
	if r := app.Anonymous().Request("POST", "/api/v1/measures", msNewBody("x")); r.Status != 401 {
		t.Errorf("create anonymously: %d", r.Status)
	}
	// Mass assignment: what the server decides cannot be sent.
	u := app.User(models.RoleMember, "apebi")
	c := app.Login(u)
	body := msNewBody("Mass assignment")
	for k, v := range map[string]any{"status": "approved", "visibility": "platform", "lead_organization_id": app.Org("msec").ID,
		"revision": 40, "created_by": 1, "published_revision": 3} {
		body[k] = v
	}
	var m msMeasure
	msDo(t, c, "POST", "/api/v1/measures", body, 201, &m)
	if m.Status != "draft" || m.Visibility != "federation" || m.LeadOrganizationID != u.OrgID() || m.Revision != 1 || m.PublishedRevision != nil {
		t.Errorf("mass assignment took effect: %+v", m)
	}
}
