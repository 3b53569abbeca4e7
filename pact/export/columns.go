package export

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"pacte/pact"
)

// Columns are the names of the CSV's columns and of the XLSX's measures
// sheet, in order. They are a published interface (docs/exports.md): add
// new ones at the end, never rename.
func Columns() []string {
	return []string{"id", "url", "title", "summary", "body", "pillar", "pillar_name", "axis", "axis_name",
		"lead_organization", "lead_organization_name", "cosponsors", "cosponsor_names",
		"revision", "sha256", "approved_at", "published_at"}
}

// Where the numeric columns are, for the XLSX to write numbers.
const (
	colID       = 0
	colRevision = 13
)

// record is one measure as the cells of Columns.
func record(m pact.Measure) []string {
	slugs := make([]string, len(m.Cosponsors))
	names := make([]string, len(m.Cosponsors))
	for i, o := range m.Cosponsors {
		slugs[i], names[i] = o.Slug, o.Name
	}
	return []string{strconv.FormatInt(m.ID, 10), m.URL, m.Title, m.Summary, m.Body, m.Pillar, m.PillarName,
		m.Axis, m.AxisName, m.Lead.Slug, m.Lead.Name, strings.Join(slugs, "; "), strings.Join(names, "; "),
		strconv.Itoa(m.Revision), pact.TextHash(m.Title, m.Summary, m.Body), date(m.ApprovedAt), date(m.PublishedAt)}
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Row is a measure read back from an export: what verify needs to
// recompute its fingerprint and name it.
type Row struct {
	ID       int64
	Revision int
	Title    string
	Summary  string
	Body     string
}

// table turns a header and its records back into rows. A column may go
// on in continuation columns "<name>_2", "<name>_3"… (the XLSX's cells are
// too small for the longest bodies): their cells are joined in order,
// then decode undoes the format's escaping.
type table struct {
	parts map[string][]int // column name → indexes of its cells, in order
}

func newTable(header []string) (*table, error) {
	t := &table{parts: map[string][]int{}}
	type cont struct{ n, index int }
	conts := map[string][]cont{}
	for i, name := range header {
		if _, dup := t.parts[name]; dup {
			return nil, fmt.Errorf("the column %q appears twice", name)
		}
		if base, n, ok := continuation(name); ok {
			conts[base] = append(conts[base], cont{n, i})
			continue
		}
		t.parts[name] = []int{i}
	}
	for base, cs := range conts {
		if _, ok := t.parts[base]; !ok {
			return nil, fmt.Errorf("the column %s_%d continues a column %q that is not there", base, cs[0].n, base)
		}
		slices.SortFunc(cs, func(a, b cont) int { return a.n - b.n })
		for k, c := range cs {
			if c.n != k+2 {
				return nil, fmt.Errorf("the column %s_%d is missing", base, k+2)
			}
			t.parts[base] = append(t.parts[base], c.index)
		}
	}
	for _, need := range []string{"id", "revision", "title", "summary", "body"} {
		if _, ok := t.parts[need]; !ok {
			return nil, fmt.Errorf("there is no %q column", need)
		}
	}
	return t, nil
}

// continuation recognises "<column>_<n>" for a known column and n ≥ 2.
func continuation(name string) (base string, n int, ok bool) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil || n < 2 || !slices.Contains(Columns(), name[:i]) {
		return "", 0, false
	}
	return name[:i], n, true
}

// cell joins the parts of column name in rec (missing cells are empty).
func (t *table) cell(rec []string, name string, decode func(string) string) string {
	var b strings.Builder
	for _, i := range t.parts[name] {
		if i < len(rec) {
			b.WriteString(rec[i])
		}
	}
	return decode(b.String())
}

// row reads one record; line numbers the record for the error message.
func (t *table) row(rec []string, line int, decode func(string) string) (Row, error) {
	r := Row{Title: t.cell(rec, "title", decode), Summary: t.cell(rec, "summary", decode), Body: t.cell(rec, "body", decode)}
	id, rev := strings.TrimSpace(t.cell(rec, "id", decode)), strings.TrimSpace(t.cell(rec, "revision", decode))
	var err error
	if r.ID, err = strconv.ParseInt(id, 10, 64); err != nil || r.ID <= 0 {
		return r, fmt.Errorf("row %d: the id %q is not a measure number", line, id)
	}
	if r.Revision, err = strconv.Atoi(rev); err != nil {
		return r, fmt.Errorf("row %d (measure %d): the revision %q is not a number", line, r.ID, rev)
	}
	return r, nil
}
