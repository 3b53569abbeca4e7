package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"pacte/collab"
	"pacte/models"
	"pacte/models/storetest"
	"pacte/server/servertest"
)

// sgJSON is a suggestion as the API gives it.
type sgJSON struct {
	ID     int64  `json:"id"`
	From   int    `json:"from"`
	To     int    `json:"to"`
	Insert string `json:"insert"`
	Quote  string `json:"quote"`
	Status string `json:"status"`
	Author struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"author"`
	DecidedBy *struct {
		ID int64 `json:"id"`
	} `json:"decided_by"`
	Can struct {
		Accept bool `json:"accept"`
		Reject bool `json:"reject"`
	} `json:"can"`
}

type sgError struct {
	Error struct {
		Code   string            `json:"code"`
		Fields map[string]string `json:"fields"`
	} `json:"error"`
}

func suggestionsPath(measure int64) string {
	return fmt.Sprintf("/api/v1/measures/%d/suggestions", measure)
}

// suggest posts a suggestion and returns the status, the suggestion and
// the error code.
func suggest(t *testing.T, c *servertest.Client, measure int64, from, to int, insert string, version int64) (int, sgJSON, string) {
	t.Helper()
	r := c.Request("POST", suggestionsPath(measure), map[string]any{"from": from, "to": to, "insert": insert, "version": version})
	var s sgJSON
	var e sgError
	if r.Status == 201 {
		if err := r.JSON(&s); err != nil {
			t.Fatal(err)
		}
	} else {
		_ = r.JSON(&e)
	}
	return r.Status, s, e.Error.Code
}

func listSuggestions(t *testing.T, c *servertest.Client, measure int64, status string) []sgJSON {
	t.Helper()
	var out struct {
		Items []sgJSON `json:"items"`
	}
	path := suggestionsPath(measure)
	if status != "" {
		path += "?status=" + status
	}
	if r := c.Request("GET", path, nil); r.Status != 200 || r.JSON(&out) != nil {
		t.Fatalf("list suggestions: %d %s", r.Status, r.Body)
	}
	return out.Items
}

func decide(c *servertest.Client, id int64, action string) (int, string) {
	r := c.Request("POST", fmt.Sprintf("/api/v1/suggestions/%d/%s", id, action), map[string]any{})
	var e sgError
	_ = r.JSON(&e)
	return r.Status, e.Error.Code
}

// u16 is a string's length in UTF-16 units, the API's positions.
func u16(s string) int { return collab.UTF16Len(s) }

// TestSuggestions_Lifecycle walks a suggestion through the API on each
// engine: made by another federation's member, carried through a co-edit,
// accepted by an editor (whose open editor receives the change), a second
// one outdated by a co-edit then rejected, and the refusals of bad input.
func TestSuggestions_Lifecycle(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			app := servertest.New(t, engine)
			app.Server.SetCollabIdle(time.Hour)
			editor := app.User(models.RoleMember, "apebi")
			other := app.User(models.RoleMember, "ausim")
			third := app.User(models.RoleMember, "mnc")
			edAPI, edTok := coToken(t, app, editor)
			oc, tc := app.Login(other), app.Login(third)
			start := "Le cloud souverain 🇲🇦 est prioritaire."
			id := app.Measure(t, editor, servertest.MeasureSpec{Body: start, Visibility: models.VisibilityPlatform,
				Pillar: "enablers", Axis: "cloud_computing"})
			ws := coDial(t, app.URL, edTok)
			defer ws.close()
			ws.join(id)

			// 1. Another federation suggests "national" for "souverain".
			souv := strings.Index(start, "souverain")
			st, s1, code := suggest(t, oc, id, souv, souv+len("souverain"), "national", 0)
			if st != 201 || s1.Quote != "souverain" || s1.Status != "open" || s1.Author.ID != other.ID || s1.Can.Accept || !s1.Can.Reject {
				t.Fatalf("suggest: %d %s %+v", st, code, s1)
			}
			if list := listSuggestions(t, edAPI, id, "open"); len(list) != 1 || list[0].ID != s1.ID || !list[0].Can.Accept {
				t.Fatalf("the editor's list: %+v", list)
			}

			// 2. The editor types at the start: the suggestion moves along.
			text := "Oui. " + start
			ws.push(id, 0, coEdit("ed", start, text))
			ws.expect("collab.ack")
			if list := listSuggestions(t, oc, id, ""); list[0].From != s1.From+5 || list[0].Quote != "souverain" {
				t.Fatalf("after a co-edit before it: %+v", list[0])
			}

			// 3. A suggestion made on version 0 is mapped to the current text.
			prio := u16(start[:strings.Index(start, "prioritaire")])
			st, s2, code := suggest(t, oc, id, prio, prio+len("prioritaire"), "urgent", 0)
			if st != 201 || s2.From != prio+5 || s2.Quote != "prioritaire" {
				t.Fatalf("suggest on an older version: %d %s %+v", st, code, s2)
			}

			// 4. Bad input, each refused with its code and nothing stored.
			flag := u16(text[:strings.Index(text, "🇲🇦")])
			for _, tc2 := range []struct {
				name     string
				c        *servertest.Client
				from, to int
				insert   string
				version  int64
				status   int
				code     string
			}{
				{"past the end", oc, 0, u16(text) + 1, "x", 1, 422, "invalid_span"},
				{"reversed", oc, 5, 2, "x", 1, 422, "invalid_span"},
				{"negative", oc, -1, 2, "x", 1, 422, "invalid_span"},
				{"splits a surrogate pair", oc, flag + 1, flag + 2, "", 1, 422, "invalid_span"},
				{"a future version", oc, 0, 1, "x", 99, 409, "unknown_version"},
				{"changes nothing", oc, 3, 3, "", 1, 422, "invalid_fields"},
				{"same text", oc, 0, 3, "Oui", 1, 422, "invalid_fields"},
				{"200 KB", oc, 0, 1, strings.Repeat("a", 200*1024), 1, 422, "invalid_fields"},
				{"overlaps another person's", tc, s1.From + 5 + 2, s1.From + 5 + 4, "X", 1, 409, "suggestion_overlaps"},
			} {
				st, _, code := suggest(t, tc2.c, id, tc2.from, tc2.to, tc2.insert, tc2.version)
				if st != tc2.status || code != tc2.code {
					t.Errorf("%s: %d %s, want %d %s", tc2.name, st, code, tc2.status, tc2.code)
				}
			}
			if list := listSuggestions(t, oc, id, ""); len(list) != 2 {
				t.Fatalf("refused suggestions were stored: %+v", list)
			}
			if st, code := decide(oc, s1.ID, "accept"); st != 403 {
				t.Errorf("the suggester accepts their own: %d %s", st, code)
			}
			if st, code := decide(tc, s1.ID, "reject"); st != 403 {
				t.Errorf("a third person rejects: %d %s", st, code)
			}
			if st, _ := decide(tc, 999999, "accept"); st != 404 {
				t.Errorf("an unknown suggestion: %d", st)
			}

			// 5. The editor accepts the first: the open editor receives it.
			var acc struct {
				Suggestion sgJSON `json:"suggestion"`
				Version    int64  `json:"version"`
			}
			if r := edAPI.Request("POST", fmt.Sprintf("/api/v1/suggestions/%d/accept", s1.ID), nil); r.Status != 200 || r.JSON(&acc) != nil {
				t.Fatalf("accept: %d %s", r.Status, r.Body)
			}
			if acc.Suggestion.Status != "accepted" || acc.Suggestion.DecidedBy == nil || acc.Suggestion.DecidedBy.ID != editor.ID || acc.Version != 2 {
				t.Fatalf("accepted: %+v", acc)
			}
			up := ws.expect("collab.updates")
			want := strings.Replace(text, "souverain", "national", 1)
			if up.From != 1 || coApply(t, text, up.Updates) != want {
				t.Fatalf("the editor received %s", up.Raw)
			}
			text = want
			if got := coGet(t, edAPI, id); got.Body != text {
				t.Fatalf("the measure's text: %q", got.Body)
			}
			var revs struct {
				Items []struct {
					Reason  string `json:"reason"`
					Authors []struct {
						ID int64 `json:"id"`
					} `json:"authors"`
				} `json:"items"`
			}
			if r := edAPI.Request("GET", fmt.Sprintf("/api/v1/measures/%d/revisions", id), nil); r.Status != 200 || r.JSON(&revs) != nil {
				t.Fatalf("revisions: %d %s", r.Status, r.Body)
			}
			if len(revs.Items) == 0 || revs.Items[0].Reason != "suggestion" || len(revs.Items[0].Authors) != 2 || revs.Items[0].Authors[0].ID != other.ID || revs.Items[0].Authors[1].ID != editor.ID {
				t.Fatalf("the revision of the accept: %+v", revs.Items)
			}
			if st, code := decide(edAPI, s1.ID, "accept"); st != 409 || code != "already_decided" {
				t.Errorf("accepted twice: %d %s", st, code)
			}
			if st, code := decide(edAPI, s1.ID, "reject"); st != 409 || code != "already_decided" {
				t.Errorf("rejected after accepting: %d %s", st, code)
			}

			// 6. The editor rewrites "prioritaire": the second is outdated.
			next := strings.Replace(text, "prioritaire", "essentiel", 1)
			ws.push(id, 2, coEdit("ed", text, next))
			ws.expect("collab.ack")
			text = next
			if list := listSuggestions(t, oc, id, "outdated"); len(list) != 1 || list[0].ID != s2.ID || !list[0].Can.Reject || list[0].Can.Accept {
				t.Fatalf("outdated (its author may still withdraw it): %+v", list)
			}
			if st, code := decide(edAPI, s2.ID, "accept"); st != 409 || code != "suggestion_outdated" {
				t.Errorf("accepting an outdated suggestion: %d %s", st, code)
			}
			if got := coGet(t, edAPI, id); got.Body != text {
				t.Fatalf("a refused accept changed the text: %q", got.Body)
			}
			if st, code := decide(oc, s2.ID, "reject"); st != 200 {
				t.Errorf("the suggester withdraws an outdated suggestion: %d %s", st, code)
			}
			for typ, n := range map[string]int{"suggestion.created": 2, "suggestion.accepted": 1, "suggestion.outdated": 1, "suggestion.rejected": 1} {
				if got := len(eventsOf(t, app, id, typ)); got != n {
					t.Errorf("%d %s events, want %d", got, typ, n)
				}
			}
			// The editor (who follows the measure) was told once of the two
			// suggestions by one person while the first was unread; the
			// author of the accepted one, of the decision; withdrawing one's
			// own tells nobody.
			if got := fmt.Sprint(notifTypes(notificationsOf(t, edAPI, ""))); got != fmt.Sprintf("[suggestion.created:%d]", id) {
				t.Errorf("the editor's notifications: %s", got)
			}
			if got := fmt.Sprint(notifTypes(notificationsOf(t, oc, ""))); got != fmt.Sprintf("[suggestion.accepted:%d]", id) {
				t.Errorf("the suggester's notifications: %s", got)
			}
			// Once read, the next suggestion tells them again.
			if st := edAPI.Do("POST", "/api/v1/notifications/read", map[string]any{"all": true}, nil); st != 204 {
				t.Fatalf("mark read: %d", st)
			}
			if st, _, code := suggest(t, oc, id, 0, 0, "Note : ", coVersion(t, edAPI, id)); st != 201 {
				t.Fatalf("a third suggestion: %d %s", st, code)
			}
			if got := notificationsOf(t, edAPI, "?unread=1"); len(got.Items) != 1 || got.Items[0].Type != "suggestion.created" {
				t.Errorf("after reading, a new suggestion: %v", notifTypes(got))
			}
		})
	}
}

// TestSuggestions_Workflow: suggestions made while a measure is in review
// wait until it is sent back for changes; a closed measure takes none.
func TestSuggestions_Workflow(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	editor := app.User(models.RoleMember, "apebi")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ec, rc := app.Login(editor), app.Login(reviewer)
	body := "Former dix mille jeunes aux métiers du numérique."
	id := app.Measure(t, editor, servertest.MeasureSpec{Body: body, Visibility: models.VisibilityPlatform})
	if st := ec.Do("POST", fmt.Sprintf("/api/v1/measures/%d/submit", id), map[string]any{}, nil); st != 200 {
		t.Fatalf("submit: %d", st)
	}
	dix := strings.Index(body, "dix mille")
	st, s, code := suggest(t, rc, id, dix, dix+len("dix mille"), "vingt mille", coVersion(t, ec, id))
	if st != 201 {
		t.Fatalf("a reviewer suggests on a measure in review: %d %s", st, code)
	}
	if st, code := decide(ec, s.ID, "accept"); st != 409 || code != "not_editable" {
		t.Fatalf("accepting while in review: %d %s", st, code)
	}
	var m struct {
		Revision int `json:"revision"`
	}
	ec.Do("GET", fmt.Sprintf("/api/v1/measures/%d", id), nil, &m)
	if st := rc.Do("POST", fmt.Sprintf("/api/v1/measures/%d/reviews", id),
		map[string]any{"decision": "changes_requested", "note": "Voir ma suggestion.", "revision": m.Revision}, nil); st != 201 {
		t.Fatalf("request changes: %d", st)
	}
	if st, code := decide(ec, s.ID, "accept"); st != 200 {
		t.Fatalf("accepting once sent back: %d %s", st, code)
	}
	if got := coGet(t, ec, id).Body; got != strings.Replace(body, "dix mille", "vingt mille", 1) {
		t.Fatalf("text after accepting: %q", got)
	}
	closed := app.Measure(t, editor, servertest.MeasureSpec{Body: body, Visibility: models.VisibilityPlatform, Status: "withdrawn"})
	if st, _, code := suggest(t, rc, closed, 0, 1, "X", 0); st != 409 || code != "not_editable" {
		t.Fatalf("suggesting on a withdrawn measure: %d %s", st, code)
	}
}

// TestSuggestions_LostAccess: someone who can no longer see a measure can
// neither suggest on it nor learn that it exists.
func TestSuggestions_LostAccess(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	editor := app.User(models.RoleMember, "apebi")
	other := app.User(models.RoleMember, "ausim")
	oc := app.Login(other)
	id := app.Measure(t, editor, servertest.MeasureSpec{Body: "Texte de la mesure.", Visibility: models.VisibilityFederation})
	if st, _, code := suggest(t, oc, id, 0, 5, "Corps", 0); st != 404 {
		t.Fatalf("another federation on a federation draft: %d %s", st, code)
	}
	if r := oc.Request("GET", suggestionsPath(id), nil); r.Status != 404 {
		t.Fatalf("listing: %d", r.Status)
	}
}

// coVersion reads a measure's collab version from its JSON.
func coVersion(t *testing.T, c *servertest.Client, id int64) int64 {
	t.Helper()
	var m struct {
		Version *int64 `json:"version"`
	}
	if r := c.Request("GET", fmt.Sprintf("/api/v1/measures/%d", id), nil); r.Status != 200 || r.JSON(&m) != nil || m.Version == nil {
		t.Fatalf("measure version: %d %s", r.Status, r.Body)
	}
	return *m.Version
}

// TestSuggestions_PageWithoutJavaScript: the measure page lists each
// suggestion as a diff in its context, and plain forms accept or reject
// it; a reviewer's review form says how many are open.
func TestSuggestions_PageWithoutJavaScript(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	editor := app.User(models.RoleMember, "apebi")
	other := app.User(models.RoleMember, "ausim")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ec, oc := app.Login(editor), app.Login(other)
	body := "Généraliser la signature électronique dans les administrations d'ici 2027."
	id := app.Measure(t, editor, servertest.MeasureSpec{Body: body, Visibility: models.VisibilityPlatform})
	at := u16(body[:strings.Index(body, "2027")])
	_, s1, _ := suggest(t, oc, id, at, at+4, "2026", 0)
	sig := u16(body[:strings.Index(body, "signature")])
	_, s2, _ := suggest(t, oc, id, sig, sig, "<b>vraie</b> ", 0)

	page := string(ec.Request("GET", fmt.Sprintf("/measures/%d", id), nil).Body)
	for _, want := range []string{
		`id="suggestion-` + fmt.Sprint(s1.ID) + `"`,
		`administrations d&#39;ici <del><span class="visually-hidden">supprimé : </span>2027</del><ins><span class="visually-hidden">ajouté : </span>2026</ins>.`,
		`<ins><span class="visually-hidden">ajouté : </span>&lt;b&gt;vraie&lt;/b&gt; </ins>signature`,
		`action="/suggestions/` + fmt.Sprint(s1.ID) + `/accept"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the editor's page lacks %s", want)
		}
	}
	if strings.Contains(string(oc.Request("GET", fmt.Sprintf("/measures/%d", id), nil).Body), "/accept\"") {
		t.Error("the suggester is offered to accept")
	}
	// Reply: the comment form, quoting the words the suggestion changes.
	if want := fmt.Sprintf(`href="/measures/%d?quote=2027#comment-form"`, id); !strings.Contains(page, want) {
		t.Errorf("no reply link %s", want)
	}
	reply := string(ec.Request("GET", fmt.Sprintf("/measures/%d?quote=2027", id), nil).Body)
	if !strings.Contains(reply, `id="comment-quote-field" open`) || !strings.Contains(reply, `name="anchor_quote" maxlength="5000" rows="2" dir="auto" aria-describedby="comment-quote-help">2027</textarea>`) {
		t.Error("replying does not open the comment form on the quoted words")
	}

	r := postForm(ec, fmt.Sprintf("/suggestions/%d/accept", s1.ID), form(ec, "measure", fmt.Sprint(id)))
	if r.Status != 303 || r.Header.Get("Location") != fmt.Sprintf("/measures/%d#suggestions", id) {
		t.Fatalf("accept by form: %d %s", r.Status, r.Header.Get("Location"))
	}
	if got := coGet(t, ec, id).Body; got != strings.Replace(body, "2027", "2026", 1) {
		t.Fatalf("text after the form's accept: %q", got)
	}
	r = postForm(ec, fmt.Sprintf("/suggestions/%d/accept", s1.ID), form(ec, "measure", fmt.Sprint(id)))
	if r.Status != 409 || !strings.Contains(string(r.Body), "déjà été traitée") {
		t.Fatalf("accepting twice by form: %d", r.Status)
	}
	r = postForm(ec, fmt.Sprintf("/suggestions/%d/reject", s2.ID), form(ec, "measure", fmt.Sprint(id)))
	if r.Status != 303 {
		t.Fatalf("reject by form: %d", r.Status)
	}
	page = string(ec.Request("GET", fmt.Sprintf("/measures/%d", id), nil).Body)
	if !strings.Contains(page, "2 suggestions traitées") || !strings.Contains(page, "Rejetée par") {
		t.Error("the decided suggestions are not listed")
	}
	if r := postForm(ec, fmt.Sprintf("/suggestions/%d/accept", s1.ID), form(ec)); r.Status == 303 || r.Status == 500 {
		t.Errorf("a form without its measure: %d", r.Status)
	}

	// In review: the reviewer is told how many suggestions are open.
	_, _, _ = suggest(t, oc, id, 0, 0, "Objectif : ", coVersion(t, ec, id))
	if st := ec.Do("POST", fmt.Sprintf("/api/v1/measures/%d/submit", id), map[string]any{}, nil); st != 200 {
		t.Fatalf("submit: %d", st)
	}
	rp := string(app.Login(reviewer).Request("GET", fmt.Sprintf("/measures/%d", id), nil).Body)
	if !strings.Contains(rp, `data-open-suggestions="1"`) || !strings.Contains(rp, "1 suggestion ouverte") {
		t.Error("the review form does not count the open suggestions")
	}
}

// TestSuggestions_DecideAll: an editor accepts all of one person's
// suggestions, then rejects all the rest, through the API and the page's
// forms; others may not.
func TestSuggestions_DecideAll(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	editor := app.User(models.RoleMember, "apebi")
	amal := app.User(models.RoleMember, "ausim")
	omar := app.User(models.RoleMember, "mnc")
	ec, ac, oc := app.Login(editor), app.Login(amal), app.Login(omar)
	body := "Un deux trois quatre cinq."
	id := app.Measure(t, editor, servertest.MeasureSpec{Body: body, Visibility: models.VisibilityPlatform})
	pos := func(w string) int { return u16(body[:strings.Index(body, w)]) }
	suggest(t, ac, id, pos("deux"), pos("deux")+4, "2", 0)
	suggest(t, ac, id, pos("quatre"), pos("quatre")+6, "4", 0)
	suggest(t, oc, id, pos("cinq"), pos("cinq")+4, "5", 0)

	page := string(ec.Request("GET", fmt.Sprintf("/measures/%d", id), nil).Body)
	for _, want := range []string{"Tout accepter", "Tout rejeter", `name="author_id" value="` + fmt.Sprint(amal.ID) + `"`, "Accepter toutes celles de"} {
		if !strings.Contains(page, want) {
			t.Errorf("the editor's page lacks %q", want)
		}
	}
	if strings.Contains(string(ac.Request("GET", fmt.Sprintf("/measures/%d", id), nil).Body), "Tout accepter") {
		t.Error("a suggester is offered to accept all")
	}
	if r := ac.Request("POST", fmt.Sprintf("/api/v1/measures/%d/suggestions/accept", id), map[string]any{}); r.Status != 403 {
		t.Fatalf("a suggester accepts all: %d", r.Status)
	}
	var res struct {
		Decided  []sgJSON `json:"decided"`
		Outdated int      `json:"outdated"`
	}
	if r := ec.Request("POST", fmt.Sprintf("/api/v1/measures/%d/suggestions/accept", id), map[string]any{"author_id": amal.ID}); r.Status != 200 || r.JSON(&res) != nil {
		t.Fatalf("accept all of one person: %d %s", r.Status, r.Body)
	}
	if len(res.Decided) != 2 || res.Outdated != 0 {
		t.Fatalf("accepted %d, outdated %d", len(res.Decided), res.Outdated)
	}
	if got := coGet(t, ec, id).Body; got != "Un 2 trois 4 cinq." {
		t.Fatalf("text after accepting all of one person: %q", got)
	}
	page = string(ec.Request("GET", fmt.Sprintf("/measures/%d", id), nil).Body)
	if strings.Contains(page, "Tout accepter") {
		t.Error("accept all is offered for a single open suggestion")
	}
	// A change over several lines, made on an older version, with CRLF
	// line breaks (stored as \n, as the co-editor counts them).
	cur := coGet(t, ec, id).Body
	at := u16(cur[:strings.Index(cur, "trois")])
	// The same positions in the first text covered "ux tr", which an
	// accept has rewritten since: outdated.
	if st, _, code := suggest(t, oc, id, at, at+5, "x", 0); st != 409 || code != "suggestion_outdated" {
		t.Fatalf("positions of an old version whose words changed: %d %s", st, code)
	}
	st, ml, code := suggest(t, oc, id, at, at+5, "trois\r\n\n- quatre bis\n- quatre ter", coVersion(t, ec, id))
	if st != 201 || ml.Insert != "trois\n\n- quatre bis\n- quatre ter" {
		t.Fatalf("a multi-line suggestion: %d %s %q", st, code, ml.Insert)
	}
	if st, code := decide(ec, ml.ID, "accept"); st != 200 {
		t.Fatalf("accepting the multi-line suggestion: %d %s", st, code)
	}
	if got := coGet(t, ec, id).Body; got != "Un 2 trois\n\n- quatre bis\n- quatre ter 4 cinq." {
		t.Fatalf("text after the multi-line suggestion: %q", got)
	}
	r := postForm(ec, fmt.Sprintf("/measures/%d/suggestions/reject", id), form(ec))
	if r.Status != 303 {
		t.Fatalf("reject all by form: %d", r.Status)
	}
	if open := listSuggestions(t, ec, id, "open"); len(open) != 0 {
		t.Fatalf("open after rejecting all: %+v", open)
	}
	if got := coGet(t, ec, id).Body; got != "Un 2 trois\n\n- quatre bis\n- quatre ter 4 cinq." {
		t.Fatalf("rejecting changed the text: %q", got)
	}
}
