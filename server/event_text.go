package server

import (
	"context"
	"fmt"
	"html/template"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"pacte/models"
)

// How an event of the log reads for a person (the audit trail, an
// account's history): a sentence in their language naming who did what to
// what ("Nadia APEBI a soumis la mesure « Cloud souverain » à l'examen."),
// and its payload as a list of labelled facts, never its type key or JSON.

// eventView is one event as the page shows it.
type eventView struct {
	Label    string        // the kind of event, short ("Mesure soumise")
	Sentence template.HTML // who did what to what
	Details  []eventFact   // the payload's known fields
}

// eventFact is one line of an event's details.
type eventFact struct {
	Label string
	Value template.HTML
}

// eventSubject is what describing an event needs besides its payload.
type eventSubject struct {
	Type          string
	Actor         *models.UserRef
	MeasureID     *int64
	SubjectUserID *int64
	Data          map[string]any
}

// eventNames resolves the ids an event mentions, for one page.
type eventNames struct {
	people    map[int64]*models.User
	measures  map[int64]string // titles of the measures the reader may see
	linkUsers bool             // the reader may open account pages
}

// loadEventNames reads the names of the people the events are about.
func (s *Server) loadEventNames(ctx context.Context, viewer *models.User, evs []eventSubject, measures map[int64]string) (*eventNames, error) {
	ids := []int64{}
	for _, e := range evs {
		if e.SubjectUserID != nil {
			ids = append(ids, *e.SubjectUserID)
		}
		if e.Actor != nil {
			ids = append(ids, e.Actor.ID)
		}
	}
	people, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	if measures == nil {
		measures = map[int64]string{}
	}
	return &eventNames{people: people, measures: measures, linkUsers: models.Can(viewer, models.ActListUsers, nil)}, nil
}

// placeholder is {name} in a sentence.
var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// sentence fills a catalogue sentence's {placeholders} with HTML parts; the
// sentence's own text is escaped.
func (p *Page) sentence(key string, parts map[string]template.HTML) template.HTML {
	msg := template.HTMLEscapeString(p.T(key))
	return template.HTML(placeholder.ReplaceAllStringFunc(msg, func(m string) string {
		if v, ok := parts[m[1:len(m)-1]]; ok {
			return string(v)
		}
		return ""
	}))
}

// EventSentenceKeys lists the sentence keys an event of a type may use:
// the test checks each exists in every catalogue.
func EventSentenceKeys(typ string) []string {
	switch typ {
	case "user.updated":
		out := []string{}
		for _, v := range []string{"role", "status", "totp_on", "totp_off", "password", "password_others", "name", "locale", "time_zone", "profile", "other"} {
			out = append(out, "audit.sentence.user.updated."+v)
		}
		return out
	case "comment.deleted":
		return []string{"audit.sentence.comment.deleted", "audit.sentence.comment.deleted.by_moderator"}
	case "user.created":
		return []string{"audit.sentence.user.created", "audit.sentence.user.created.setup"}
	}
	return []string{"audit.sentence." + typ}
}

// sentenceKeys picks the sentences of one event (an account change may say
// several things).
func sentenceKeys(e eventSubject) []string {
	d := e.Data
	switch e.Type {
	case "user.updated":
		var out []string
		if ch, ok := d["changes"].(map[string]any); ok {
			for _, f := range []string{"name", "locale", "time_zone"} {
				if _, ok := ch[f]; ok {
					out = append(out, "audit.sentence.user.updated."+f)
				}
			}
		}
		if after, ok := d["after"].(map[string]any); ok {
			before, _ := d["before"].(map[string]any)
			for _, f := range []string{"role", "status"} {
				if fmt.Sprint(after[f]) != fmt.Sprint(before[f]) {
					out = append(out, "audit.sentence.user.updated."+f)
				}
			}
		}
		if on, ok := d["totp_enabled"].(bool); ok {
			if on {
				out = append(out, "audit.sentence.user.updated.totp_on")
			} else {
				out = append(out, "audit.sentence.user.updated.totp_off")
			}
		}
		if d["password_changed"] == true {
			if d["other_sessions_ended"] == true {
				out = append(out, "audit.sentence.user.updated.password_others")
			} else {
				out = append(out, "audit.sentence.user.updated.password")
			}
		}
		if d["profile"] == true {
			out = append(out, "audit.sentence.user.updated.profile") // events written before changes were recorded
		}
		if len(out) == 0 {
			out = append(out, "audit.sentence.user.updated.other")
		}
		return out
	case "comment.deleted":
		if d["by_moderator"] == true {
			return []string{"audit.sentence.comment.deleted.by_moderator"}
		}
	case "user.created":
		if d["via"] == "setup" {
			return []string{"audit.sentence.user.created.setup"}
		}
	}
	return []string{"audit.sentence." + e.Type}
}

// describeEvent writes one event for the page's reader.
func (p *Page) describeEvent(e eventSubject, names *eventNames) eventView {
	d := e.Data
	if d == nil {
		d = map[string]any{}
	}
	v := eventView{Label: p.T("event." + e.Type)}
	if !p.srv.i18n.Has(p.Locale, "event."+e.Type) {
		v.Label = p.T("audit.unknown_event")
	}
	parts := map[string]template.HTML{
		"actor":   p.eventActor(e.Actor, names),
		"measure": p.eventMeasure(e.MeasureID, d, names),
		"user":    p.eventUser(e.SubjectUserID, d, names),
		"comment": p.eventComment(e.MeasureID, d),
	}
	parts["org"] = template.HTML(template.HTMLEscapeString(p.orgFull(anyInt(d["organization_id"]))))
	if r, ok := d["review"].(map[string]any); ok {
		parts["decision"] = p.textOf("measures.verdict.", r["decision"])
	}
	parts["from"] = p.statusText(d["from"])
	parts["to"] = p.statusText(d["to"])
	parts["revision"] = template.HTML(template.HTMLEscapeString(fmt.Sprint(d["revision"])))
	if after, ok := d["after"].(map[string]any); ok {
		parts["role"] = p.textOf("role.", after["role"])
		parts["status"] = p.textOf("status.", after["status"])
	} else if r, ok := d["role"].(string); ok {
		parts["role"] = p.textOf("role.", r)
	}
	if ch, ok := d["changes"].(map[string]any); ok {
		for f, c := range ch {
			if m, ok := c.(map[string]any); ok {
				parts[f+"_from"] = p.changeValue(f, m["from"])
				parts[f+"_to"] = p.changeValue(f, m["to"])
			}
		}
	}
	var sentences []string
	keys := sentenceKeys(e)
	// The label says what happened: "Langue changée", not "Compte modifié".
	if k := "event." + strings.TrimPrefix(keys[0], "audit.sentence."); p.srv.i18n.Has(p.Locale, k) {
		v.Label = p.T(k)
	}
	known := true
	for _, k := range keys {
		if !p.srv.i18n.Has(p.Locale, k) {
			known = false
		}
	}
	if known {
		for _, k := range keys {
			sentences = append(sentences, string(p.sentence(k, parts)))
		}
	} else {
		parts["event"] = template.HTML(template.HTMLEscapeString(v.Label))
		sentences = append(sentences, string(p.sentence("audit.sentence.unknown", parts)))
	}
	v.Sentence = template.HTML(strings.Join(sentences, " "))
	v.Details = p.eventFacts("", d, names)
	return v
}

func (p *Page) eventActor(a *models.UserRef, names *eventNames) template.HTML {
	if a == nil {
		return template.HTML(template.HTMLEscapeString(p.T("audit.system_actor")))
	}
	ref := *a
	if u := names.people[a.ID]; u != nil {
		ref.Name, ref.OrganizationID = u.Name, u.OrganizationID
	}
	return p.Person(ref)
}

func (p *Page) eventMeasure(id *int64, d map[string]any, names *eventNames) template.HTML {
	if id == nil {
		return ""
	}
	title, ok := names.measures[*id]
	if !ok {
		if m, isMap := d["measure"].(map[string]any); isMap {
			title, ok = m["title"].(string)
		}
	}
	label := template.HTMLEscapeString(p.T("audit.measure_ref", *id))
	if ok && title != "" {
		// The title is isolated: a French title in an Arabic sentence
		// keeps its own order, across line breaks too.
		label = fmt.Sprintf(template.HTMLEscapeString(p.T("audit.measure_titled")), `<bdi dir="auto">`+template.HTMLEscapeString(title)+`</bdi>`)
	}
	return template.HTML(`<a href="/measures/` + strconv.FormatInt(*id, 10) + `">` + label + `</a>`)
}

func (p *Page) eventUser(id *int64, d map[string]any, names *eventNames) template.HTML {
	if ref, ok := personRef(d["user"]); ok {
		if id == nil {
			id = &ref.ID
		}
	}
	if id == nil {
		if n := anyInt(d["user_id"]); n != nil {
			id = n
		} else {
			return ""
		}
	}
	var who template.HTML
	if u := names.people[*id]; u != nil {
		who = p.Person(u)
	} else if ref, ok := personRef(d["user"]); ok {
		who = p.Person(ref)
	} else {
		who = template.HTML(template.HTMLEscapeString(p.T("audit.user_object", *id)))
	}
	if names.linkUsers {
		return template.HTML(`<a href="/admin/users/`+strconv.FormatInt(*id, 10)+`">`) + who + "</a>"
	}
	return who
}

func (p *Page) eventComment(measureID *int64, d map[string]any) template.HTML {
	id := anyInt(d["comment_id"])
	if id == nil {
		return ""
	}
	label := template.HTMLEscapeString(p.T("audit.comment_ref", *id))
	if measureID == nil {
		return template.HTML(label)
	}
	return template.HTML(`<a href="/measures/` + strconv.FormatInt(*measureID, 10) + `#comment-` + strconv.FormatInt(*id, 10) + `">` + label + `</a>`)
}

// statusText names a measure status, or shows nothing for a non-status.
func (p *Page) statusText(v any) template.HTML {
	return p.textOf("measures.status.", v)
}

// textOf translates a value of a known family ("role.", "status.", …),
// or shows it as it is when the catalogue does not know it.
func (p *Page) textOf(prefix string, v any) template.HTML {
	s, ok := v.(string)
	if !ok || s == "" {
		return ""
	}
	if p.srv.i18n.Has(p.Locale, prefix+s) {
		return template.HTML(template.HTMLEscapeString(p.T(prefix + s)))
	}
	return template.HTML("<bdi>" + template.HTMLEscapeString(s) + "</bdi>")
}

// changeValue shows a profile field's old or new value.
func (p *Page) changeValue(field string, v any) template.HTML {
	s := fmt.Sprint(v)
	switch field {
	case "locale":
		return p.textOf("lang.", s)
	case "time_zone":
		return template.HTML(`<bdi dir="ltr">` + template.HTMLEscapeString(s) + `</bdi>`)
	}
	return template.HTML("<bdi>" + template.HTMLEscapeString(s) + "</bdi>")
}

// orgFull names an organisation in the reader's language.
func (p *Page) orgFull(id *int64) string {
	if id == nil {
		return ""
	}
	if r := p.refs(); r != nil {
		if o, ok := r.OrgByID[*id]; ok {
			if o.Kind == models.KindMinistry {
				return o.Name(p.Locale)
			}
			return strings.ToUpper(o.Slug)
		}
	}
	return p.T("audit.org_object", *id)
}

// personRef reads {id, name, organization_id} from a payload.
func personRef(v any) (models.UserRef, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return models.UserRef{}, false
	}
	id := anyInt(m["id"])
	if id == nil {
		return models.UserRef{}, false
	}
	name, _ := m["name"].(string)
	return models.UserRef{ID: *id, Name: name, OrganizationID: anyInt(m["organization_id"])}, true
}

// anyInt reads a JSON number as an id.
func anyInt(v any) *int64 {
	switch x := v.(type) {
	case float64:
		n := int64(x)
		return &n
	case int64:
		return &x
	case int:
		n := int64(x)
		return &n
	case *int64:
		return x
	}
	return nil
}

// eventFacts lists the payload's fields the reader can make sense of, each
// labelled in their language. Nested objects (before/after, the parts only
// moderators see) add their fields; a measure or comment snapshot is left
// out (the sentence names it); ids of what the sentence links are left out.
func (p *Page) eventFacts(prefix string, d map[string]any, names *eventNames) []eventFact {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []eventFact
	for _, k := range keys {
		v := d[k]
		label := p.fieldLabel(k)
		if prefix != "" {
			label = prefix + " · " + label
		}
		switch k {
		case "measure", "comment", "user_id", "comment_id", "body_html", "anchor", "id", "parent_id":
			continue
		case "moderator_only", "review":
			if m, ok := v.(map[string]any); ok {
				out = append(out, p.eventFacts(prefix, m, names)...)
			}
			continue
		case "before", "after":
			if m, ok := v.(map[string]any); ok {
				out = append(out, p.eventFacts(label, m, names)...)
			}
			continue
		case "changes":
			if m, ok := v.(map[string]any); ok {
				fs := make([]string, 0, len(m))
				for f := range m {
					fs = append(fs, f)
				}
				sort.Strings(fs)
				for _, f := range fs {
					c, _ := m[f].(map[string]any)
					out = append(out, eventFact{Label: p.fieldLabel(f),
						Value: p.changeValue(f, c["from"]) + template.HTML(template.HTMLEscapeString(p.T("audit.arrow"))) + p.changeValue(f, c["to"])})
				}
			}
			continue
		}
		val := p.factValue(k, v, names)
		if val == "" {
			continue
		}
		out = append(out, eventFact{Label: label, Value: val})
	}
	return out
}

func (p *Page) factValue(k string, v any, names *eventNames) template.HTML {
	esc := func(s string) template.HTML { return template.HTML(template.HTMLEscapeString(s)) }
	switch k {
	case "from", "to":
		return p.statusText(v)
	case "decision":
		return p.textOf("measures.verdict.", v)
	case "reason", "transition":
		if s, ok := v.(string); ok && p.srv.i18n.Has(p.Locale, "measures.reason."+s) {
			return esc(p.T("measures.reason." + s))
		}
		if s, ok := v.(string); ok && s != "" {
			return template.HTML(`<span dir="auto">` + template.HTMLEscapeString(s) + `</span>`)
		}
		return ""
	case "role":
		return p.textOf("role.", v)
	case "status":
		return p.textOf("status.", v)
	case "organization_id":
		return esc(p.orgFull(anyInt(v)))
	case "user", "reporter", "hidden_by", "reviewer":
		if ref, ok := personRef(v); ok {
			if u := names.people[ref.ID]; u != nil {
				return p.Person(u)
			}
			return p.Person(ref)
		}
		return ""
	case "fields":
		list, ok := v.([]any)
		if !ok {
			return ""
		}
		var fs []string
		for _, f := range list {
			s := fmt.Sprint(f)
			if p.srv.i18n.Has(p.Locale, "measures.field."+s) {
				s = p.T("measures.field." + s)
			}
			fs = append(fs, template.HTMLEscapeString(s))
		}
		return template.HTML(strings.Join(fs, p.T("audit.list_separator")))
	case "note":
		if s, ok := v.(string); ok && s != "" {
			return template.HTML(`<span dir="auto">` + template.HTMLEscapeString(s) + `</span>`)
		}
		return ""
	case "email":
		if s, ok := v.(string); ok {
			return template.HTML(`<bdi dir="ltr">` + template.HTMLEscapeString(s) + `</bdi>`)
		}
	case "via":
		return p.textOf("audit.via.", v)
	}
	switch x := v.(type) {
	case bool:
		if x {
			return esc(p.T("audit.yes"))
		}
		return esc(p.T("audit.no"))
	case float64:
		return esc(strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		if x == "" {
			return ""
		}
		return template.HTML(`<span dir="auto">` + template.HTMLEscapeString(x) + `</span>`)
	}
	return "" // nested values of unknown fields are not shown as JSON
}

// fieldLabel names a payload field in the reader's language.
func (p *Page) fieldLabel(k string) string {
	if key := "audit.field." + k; p.srv.i18n.Has(p.Locale, key) {
		return p.T(key)
	}
	return strings.ReplaceAll(k, "_", " ")
}
