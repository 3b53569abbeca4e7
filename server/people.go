package server

import (
	"html/template"
	"strconv"
	"strings"

	"pacte/models"
)

// Names are not unique: anyone may call themselves what another person is
// called. So a person's name is never shown alone: every page shows it with
// their organisation, through Person (one helper for comments, editors,
// history, reviews, audit, moderation and the account lists).

// personOf reads a person's id, name and organisation from the shapes
// templates hold.
func personOf(v any) (id int64, name string, orgID *int64, ok bool) {
	switch x := v.(type) {
	case *models.User:
		if x == nil {
			return 0, "", nil, false
		}
		return x.ID, x.Name, x.OrganizationID, true
	case models.User:
		return x.ID, x.Name, x.OrganizationID, true
	case *models.UserRef:
		if x == nil {
			return 0, "", nil, false
		}
		return x.ID, x.Name, x.OrganizationID, true
	case models.UserRef:
		return x.ID, x.Name, x.OrganizationID, true
	}
	return 0, "", nil, false
}

// personName is the name to show: an erased account's pseudonym is said
// in the reader's language ("Former member #7").
func (p *Page) personName(v any) (name string, orgID *int64, ok bool) {
	id, name, orgID, ok := personOf(v)
	if ok && models.IsErasedName(id, name) {
		name = p.T("person.erased", id)
	}
	return name, orgID, ok
}

// orgShort is how an organisation is named beside a person: the
// federation's acronym (APEBI), or "Ministry" in the reader's language.
func (p *Page) orgShort(orgID *int64) (short, full string) {
	if orgID == nil {
		return p.T("person.no_org"), ""
	}
	refs := p.refs()
	if refs == nil {
		return "", ""
	}
	o, ok := refs.OrgByID[*orgID]
	if !ok {
		return "", ""
	}
	if o.Kind == models.KindMinistry {
		return p.T("person.ministry"), o.Name(p.Locale)
	}
	return strings.ToUpper(o.Slug), o.Name(p.Locale)
}

// refs gives the organisations, read once per page.
func (p *Page) refs() *measureRefs {
	if p.orgRefs == nil && p.srv != nil && p.ctx != nil {
		p.orgRefs, _ = p.srv.measureRefs(p.ctx)
	}
	return p.orgRefs
}

// Person shows a name with its organisation beside it:
// <span class="person"><bdi>Nadia</bdi> <span class="person-org">APEBI</span></span>.
// The name is isolated (<bdi>) so a right-to-left name cannot reorder the
// text around it.
func (p *Page) Person(v any) template.HTML {
	name, orgID, ok := p.personName(v)
	if !ok {
		return ""
	}
	short, full := p.orgShort(orgID)
	var b strings.Builder
	b.WriteString(`<span class="person"><bdi class="person-name">`)
	b.WriteString(template.HTMLEscapeString(name))
	b.WriteString(`</bdi>`)
	if short != "" {
		b.WriteString(` <span class="person-org"`)
		if full != "" {
			b.WriteString(` title="` + template.HTMLEscapeString(full) + `"`)
		}
		b.WriteString(`>` + template.HTMLEscapeString(short) + `</span>`)
	}
	b.WriteString(`</span>`)
	return template.HTML(b.String())
}

// PersonText is Person as plain text, for <option> labels and attributes:
// "Nadia — APEBI".
func (p *Page) PersonText(v any) string {
	name, orgID, ok := p.personName(v)
	if !ok {
		return ""
	}
	if short, _ := p.orgShort(orgID); short != "" {
		return name + " — " + short
	}
	return name
}

// PersonName is a person's name alone, as a heading shows it (with the
// pseudonym of an erased account in the reader's language).
func (p *Page) PersonName(v any) string {
	name, _, _ := p.personName(v)
	return name
}

// VisibleTo says exactly who can read a measure, naming its federations:
// "Visible par : APEBI (fédération porteuse), MNC (co-signataire), ses
// rédacteurs, modérateurs et administrateurs". It follows
// models.CanSeeMeasure.
func (p *Page) VisibleTo(m *models.Measure) string {
	if m == nil {
		return ""
	}
	if m.Visibility == models.VisibilityPlatform {
		return p.T("measures.visible_to", p.T("measures.visible_to.platform"))
	}
	lead := m.LeadOrganizationID
	short, _ := p.orgShort(&lead)
	parts := []string{p.T("measures.visible_to.lead", short)}
	for _, id := range m.CosponsorIDs {
		short, _ := p.orgShort(&id)
		parts = append(parts, p.T("measures.visible_to.cosponsor", short))
	}
	parts = append(parts, p.T("measures.visible_to.editors"), p.T("measures.visible_to.staff"))
	return p.T("measures.visible_to", strings.Join(parts, p.T("measures.visible_to.separator")))
}

// OrgLabels are the short names of every organisation, for scripts that
// show people they receive live (presence, new comments): rendered as
// data-org-<id> attributes on <div data-org-labels>.
func (p *Page) OrgLabels() []choice {
	r := p.refs()
	if r == nil {
		return nil
	}
	out := make([]choice, 0, len(r.Orgs))
	for _, o := range r.Orgs {
		id := o.ID
		short, _ := p.orgShort(&id)
		out = append(out, choice{Value: strconv.FormatInt(id, 10), Label: short})
	}
	return out
}
