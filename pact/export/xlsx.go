package export

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"pacte/pact"
)

// The XLSX's sheets. Their names are part of the format: verify finds
// them by name.
const (
	MeasuresSheet = "Measures"
	ManifestSheet = "Manifest"
)

// maxCellUnits is the most an Excel cell holds: 32,767 characters,
// counted in UTF-16 code units. Longer texts go on in continuation
// columns; they are never cut.
const maxCellUnits = 32767

// columnWidth is in Excel's character widths, by column name.
func columnWidth(name string) float64 {
	switch name {
	case "id", "revision":
		return 8
	case "title", "pillar_name", "axis_name", "lead_organization_name", "url":
		return 40
	case "summary", "cosponsor_names":
		return 60
	case "sha256":
		return 66
	case "approved_at", "published_at":
		return 21
	case "pillar", "axis", "lead_organization", "cosponsors":
		return 18
	}
	return 80 // body and its continuations
}

// XLSX writes the workbook: the sheet "Measures" (the CSV's columns, then
// continuation columns "<column>_2"… when a text is longer than a cell
// holds) and the sheet "Manifest" holding m as fields and a table.
func XLSX(w io.Writer, doc *pact.Document, m pact.Manifest) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName(f.GetSheetName(0), MeasuresSheet); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: doc.Labels.Title, Subject: doc.Labels.Subtitle,
		Creator: "Pacte", Language: doc.Lang, Created: m.GeneratedAt, Modified: m.GeneratedAt}); err != nil {
		return err
	}
	if err := writeMeasuresSheet(f, doc); err != nil {
		return err
	}
	if _, err := f.NewSheet(ManifestSheet); err != nil {
		return err
	}
	if err := writeManifestSheet(f, m); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	_, err := f.WriteTo(w)
	return err
}

func writeMeasuresSheet(f *excelize.File, doc *pact.Document) error {
	base := Columns()
	measures := doc.Measures()
	// First pass: how many cells the longest text of each column needs.
	parts := make([]int, len(base))
	for _, ms := range measures {
		for c, v := range record(ms) {
			parts[c] = max(parts[c], len(splitCell(xstringEncode(v))))
		}
	}
	header := append([]string(nil), base...)
	for c, n := range parts {
		for k := 2; k <= n; k++ {
			header = append(header, base[c]+"_"+strconv.Itoa(k))
		}
	}

	if doc.Lang == "ar" {
		rtl := true
		if err := f.SetSheetView(MeasuresSheet, 0, &excelize.ViewOptions{RightToLeft: &rtl}); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(MeasuresSheet)
	if err != nil {
		return err
	}
	for i, name := range header {
		if b, _, ok := continuation(name); ok {
			name = b // a continuation is as wide as its column
		}
		if err := sw.SetColWidth(i+1, i+1, columnWidth(name)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, name := range header {
		cells[i] = excelize.Cell{StyleID: bold, Value: name}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for r, ms := range measures {
		cells := make([]any, len(header))
		next := len(base) // where the continuations of column c go
		for c, v := range record(ms) {
			chunks := splitCell(xstringEncode(v))
			for k := range parts[c] {
				var s string
				if k < len(chunks) {
					s = chunks[k]
				}
				if k == 0 {
					cells[c] = s
				} else {
					cells[next+k-1] = s
				}
			}
			next += parts[c] - 1
		}
		cells[colID], cells[colRevision] = ms.ID, ms.Revision // numbers, for sorting and filtering
		cell, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// splitCell cuts s into pieces of at most maxCellUnits UTF-16 units,
// between characters. An empty text is one empty cell.
func splitCell(s string) []string {
	var out []string
	start, units := 0, 0
	for i, r := range s {
		n := utf16Len(r)
		if units+n > maxCellUnits {
			out = append(out, s[start:i])
			start, units = i, 0
		}
		units += n
	}
	return append(out, s[start:])
}

func utf16Len(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// writeManifestSheet lays the manifest out as a person can read it and
// verify can rebuild it exactly: one "field | value" row per field, an
// empty row, then the table "id | revision | sha256", one row per measure.
func writeManifestSheet(f *excelize.File, m pact.Manifest) error {
	fields := [][2]string{{"issuer", m.Issuer}, {"generated_at", m.GeneratedAt}, {"key_id", m.KeyID},
		{"format", m.Format}, {"lang", m.Lang}}
	if m.Document != nil {
		fields = append(fields, [2]string{"document_bytes", strconv.FormatInt(m.Document.Bytes, 10)},
			[2]string{"document_sha256", m.Document.SHA256})
	}
	fields = append(fields, [2]string{"signature", m.Signature})
	sw, err := f.NewStreamWriter(ManifestSheet)
	if err != nil {
		return err
	}
	for i, w := range []float64{16, 70, 66} {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	row := 1
	put := func(cells ...any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, cells)
	}
	for _, kv := range fields {
		if err := put(excelize.Cell{StyleID: bold, Value: kv[0]}, kv[1]); err != nil {
			return err
		}
	}
	row++ // the empty row
	if err := put(excelize.Cell{StyleID: bold, Value: "id"}, excelize.Cell{StyleID: bold, Value: "revision"},
		excelize.Cell{StyleID: bold, Value: "sha256"}); err != nil {
		return err
	}
	for _, ms := range m.Measures {
		if err := put(ms.ID, ms.Revision, ms.SHA256); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// ReadXLSX reads the measures and the manifest of an XLSX export.
func ReadXLSX(r io.Reader) ([]Row, pact.Manifest, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: 1 << 30})
	if err != nil {
		return nil, pact.Manifest{}, fmt.Errorf("not a readable XLSX workbook: %w", err)
	}
	defer f.Close()
	rows, err := readMeasuresSheet(f)
	if err != nil {
		return nil, pact.Manifest{}, err
	}
	m, err := readManifestSheet(f)
	if err != nil {
		return nil, pact.Manifest{}, err
	}
	return rows, m, nil
}

func sheetRows(f *excelize.File, sheet string) ([][]string, error) {
	if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		return nil, fmt.Errorf("the workbook has no sheet %q", sheet)
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", sheet, err)
	}
	return rows, nil
}

func readMeasuresSheet(f *excelize.File) ([]Row, error) {
	recs, err := sheetRows(f, MeasuresSheet)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("the sheet %q is empty", MeasuresSheet)
	}
	t, err := newTable(recs[0])
	if err != nil {
		return nil, fmt.Errorf("sheet %q: %w", MeasuresSheet, err)
	}
	var rows []Row
	for i, rec := range recs[1:] {
		if len(rec) == 0 {
			continue
		}
		row, err := t.row(rec, i+2, xstringDecode)
		if err != nil {
			return nil, fmt.Errorf("sheet %q: %w", MeasuresSheet, err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func readManifestSheet(f *excelize.File) (pact.Manifest, error) {
	recs, err := sheetRows(f, ManifestSheet)
	if err != nil {
		return pact.Manifest{}, err
	}
	m := pact.Manifest{Measures: []pact.ManifestMeasure{}}
	bad := func(row int, format string, args ...any) error {
		return fmt.Errorf("sheet %q, row %d: %s", ManifestSheet, row, fmt.Sprintf(format, args...))
	}
	cell := func(rec []string, i int) string {
		if i < len(rec) {
			return rec[i]
		}
		return ""
	}
	table := false
	var doc pact.DocumentDigest
	hasDoc := false
	for i, rec := range recs {
		line := i + 1
		if len(rec) == 0 {
			continue
		}
		key, value := cell(rec, 0), cell(rec, 1)
		if !table {
			switch key {
			case "issuer":
				m.Issuer = value
			case "generated_at":
				m.GeneratedAt = value
			case "key_id":
				m.KeyID = value
			case "format":
				m.Format = value
			case "lang":
				m.Lang = value
			case "signature":
				m.Signature = value
			case "document_bytes":
				n, err := strconv.ParseInt(value, 10, 64)
				if err != nil {
					return m, bad(line, "document_bytes %q is not a number", value)
				}
				doc.Bytes, hasDoc = n, true
			case "document_sha256":
				doc.SHA256, hasDoc = value, true
			case "id":
				if value != "revision" || cell(rec, 2) != "sha256" {
					return m, bad(line, "the table's header must be id, revision, sha256")
				}
				table = true
			}
			continue
		}
		id, err := strconv.ParseInt(key, 10, 64)
		if err != nil {
			return m, bad(line, "the id %q is not a number", key)
		}
		rev, err := strconv.Atoi(value)
		if err != nil {
			return m, bad(line, "the revision %q is not a number", value)
		}
		m.Measures = append(m.Measures, pact.ManifestMeasure{ID: id, Revision: rev, SHA256: cell(rec, 2)})
	}
	if !table {
		return m, errors.New("the sheet " + strconv.Quote(ManifestSheet) + " has no table of measures")
	}
	if hasDoc {
		m.Document = &doc
	}
	return m, nil
}
