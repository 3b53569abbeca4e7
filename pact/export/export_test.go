package export_test

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"maps"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"pacte/pact"
	"pacte/pact/export"
	"pacte/pact/export/exporttest"
	"pacte/pact/pdf"
)

const issuer = "https://pacte.example.ma"

func signer(t testing.TB) *pact.Signer {
	t.Helper()
	s, err := pact.NewSigner([]byte("pacte-test-seed-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func signedManifest(t testing.TB, doc *pact.Document, format string) pact.Manifest {
	m := pact.NewManifest(doc, format)
	signer(t).Sign(&m)
	return m
}

// wantRows is what every format must give back, text for text.
func wantRows(doc *pact.Document) []export.Row {
	var out []export.Row
	for _, m := range doc.Measures() {
		out = append(out, export.Row{ID: m.ID, Revision: m.Revision, Title: m.Title, Summary: m.Summary, Body: m.Body})
	}
	return out
}

// sameText compares rows by fingerprint where a format may rewrite line
// breaks (the CSV), and byte for byte otherwise.
func checkRows(t *testing.T, got, want []export.Row, exact bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Revision != w.Revision {
			t.Errorf("row %d: measure %d revision %d, want %d revision %d", i, g.ID, g.Revision, w.ID, w.Revision)
		}
		if exact && (g.Title != w.Title || g.Summary != w.Summary || g.Body != w.Body) {
			t.Errorf("measure %d: text changed:\n got %.200q\nwant %.200q", w.ID, g.Title+"|"+g.Summary+"|"+g.Body, w.Title+"|"+w.Summary+"|"+w.Body)
		}
		if pact.TextHash(g.Title, g.Summary, g.Body) != pact.TextHash(w.Title, w.Summary, w.Body) {
			t.Errorf("measure %d: fingerprint changed", w.ID)
		}
	}
}

func TestItems(t *testing.T) {
	doc := exporttest.Document(issuer, "fr")
	items := export.Items(doc)
	if len(items) != 4 || items[0].ID != 12 || items[1].ID != 7 {
		t.Fatalf("items not in document order: %+v", items)
	}
	raw, _ := json.Marshal(items[0])
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	for _, k := range []string{"id", "title", "summary", "body", "body_html", "pillar", "axis", "lead_organization",
		"cosponsors", "revision", "sha256", "approved_at", "published_at", "url"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("item lacks %q: %s", k, raw)
		}
	}
	if string(fields["lead_organization"]) != `{"slug":"apebi","name":"Fédération des technologies (APEBI)"}` ||
		!strings.HasPrefix(string(fields["cosponsors"]), `[{"slug":"fmt",`) || string(fields["published_at"]) != `"2026-11-13T09:30:00Z"` {
		t.Errorf("item shape: %s", raw)
	}
	if strings.Contains(items[0].BodyHTML, "<script") || !strings.Contains(items[0].BodyHTML, "<strong>partout</strong>") {
		t.Errorf("body_html: %s", items[0].BodyHTML)
	}
	if items[0].SHA256 != pact.TextHash(items[0].Title, items[0].Summary, items[0].Body) {
		t.Error("sha256 is not the text's")
	}
	if raw, _ := json.Marshal(export.Items(doc)[1]); !strings.Contains(string(raw), `"cosponsors":[]`) {
		t.Errorf("no co-sponsors must be [], not null: %s", raw)
	}
	if raw, _ := json.Marshal(export.Items(&pact.Document{})); string(raw) != "[]" {
		t.Errorf("empty document: %s", raw)
	}
}

func TestJSON_RoundTrip(t *testing.T) {
	doc := exporttest.Document(issuer, "fr")
	m := signedManifest(t, doc, "json")
	var buf bytes.Buffer
	if err := export.JSON(&buf, doc, m); err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	if string(top["lang"]) != `"fr"` || string(top["generated_at"]) != `"2026-12-04T08:00:00Z"` || top["items"] == nil || top["manifest"] == nil {
		t.Errorf("top level: %v", slices.Collect(maps.Keys(top)))
	}
	if strings.Contains(buf.String(), `\u003c`) {
		t.Error("HTML escaping in the JSON export")
	}
	rows, back, err := export.ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, wantRows(doc), true)
	if !reflect.DeepEqual(back, m) {
		t.Errorf("manifest changed:\n got %+v\nwant %+v", back, m)
	}
	for name, bad := range map[string]string{"Empty": "", "Array": "[]", "NoManifest": `{"items":[]}`,
		"NoItems": `{"manifest":{}}`, "Trailing": `{"items":[],"manifest":{}} x`, "ItemWithoutBody": `{"items":[{"id":1,"revision":1,"title":"t","summary":"s"}],"manifest":{}}`} {
		if _, _, err := export.ReadJSON(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: read", name)
		}
	}
}

func TestManifest_WriteRead(t *testing.T) {
	doc := exporttest.Document(issuer, "ar")
	m := signedManifest(t, doc, "csv")
	var buf bytes.Buffer
	if err := export.WriteManifest(&buf, m); err != nil {
		t.Fatal(err)
	}
	back, err := export.ReadManifest(&buf)
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("%v\n%+v", err, back)
	}
	if _, err := export.ReadManifest(strings.NewReader("null")); err == nil {
		t.Error("null read as a manifest")
	}
}

func TestCSV(t *testing.T) {
	doc := exporttest.Document(issuer, "fr")
	var buf bytes.Buffer
	if err := export.CSV(&buf, doc); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	header := "id,url,title,summary,body,pillar,pillar_name,axis,axis_name,lead_organization,lead_organization_name," +
		"cosponsors,cosponsor_names,revision,sha256,approved_at,published_at\r\n"
	if !strings.HasPrefix(raw, "\uFEFF"+header) {
		t.Fatalf("BOM and header: %.300q", raw)
	}
	if strings.Count(raw, "\n") != strings.Count(raw, "\r\n") {
		t.Error("a line ends without CR")
	}
	// A spreadsheet must not see a formula; the apostrophe is taken off again.
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(raw, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[2][2] != `'=HYPERLINK("http://evil.example","clic")` || recs[2][3][0] != '\'' || recs[4][3] != "''Guillemets' d’abord" {
		t.Errorf("formula escaping: %q %q %q", recs[2][2], recs[2][3], recs[4][3])
	}
	if recs[1][11] != "fmt; cgem" || recs[1][15] != "2026-11-12T09:30:00Z" || recs[1][13] != "3" {
		t.Errorf("row of measure 12: %q", recs[1])
	}
	rows, err := export.ReadCSV(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, wantRows(doc), false)
	// Only line breaks may differ: "\r" and "\r\n" come back as "\n".
	if rows[1].Body != strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(wantRows(doc)[1].Body) || rows[0] != wantRows(doc)[0] {
		t.Errorf("CSV text: %q", rows[1].Body)
	}
	for name, bad := range map[string]string{"Empty": "", "NoBody": "id,revision,title,summary\r\n1,1,t,s\r\n",
		"BadID": header + "x,u,t,s,b,p,pn,a,an,l,ln,c,cn,1,h,d,d\r\n", "Ragged": header + "1,2\r\n", "BadQuote": header + "\"1,\r\n"} {
		if _, err := export.ReadCSV(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: read", name)
		}
	}
}

func TestXLSX_RoundTrip(t *testing.T) {
	for _, lang := range []string{"fr", "ar"} {
		t.Run(lang, func(t *testing.T) {
			doc := exporttest.Document(issuer, lang)
			m := signedManifest(t, doc, "xlsx")
			var buf bytes.Buffer
			if err := export.XLSX(&buf, doc, m); err != nil {
				t.Fatal(err)
			}
			rows, back, err := export.ReadXLSX(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, rows, wantRows(doc), true)
			if !reflect.DeepEqual(back, m) {
				t.Errorf("manifest changed:\n got %+v\nwant %+v", back, m)
			}
			if err := pact.VerifyManifest(back, ed25519Key(t)); err != nil {
				t.Error(err)
			}
			checkWorkbook(t, buf.Bytes(), lang)
		})
	}
}

func ed25519Key(t *testing.T) []byte {
	k, err := base64.StdEncoding.DecodeString(signer(t).PublicKey().PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// checkWorkbook looks at the workbook as Excel would show it.
func checkWorkbook(t *testing.T, data []byte, lang string) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"Measures", "Manifest"}) {
		t.Errorf("sheets %q", got)
	}
	rows, _ := f.GetRows("Measures", excelize.Options{RawCellValue: true})
	header := rows[0]
	if !reflect.DeepEqual(header[:17], export.Columns()) {
		t.Errorf("header %q", header)
	}
	if len(header) < 20 || header[17] != "body_2" || header[18] != "body_3" {
		t.Errorf("the long body has no continuation columns: %q", header)
	}
	for r, row := range rows {
		for c, v := range row {
			if n := len(utf16.Encode([]rune(v))); n > 32767 {
				t.Errorf("cell %d,%d holds %d UTF-16 units", r, c, n)
			}
		}
	}
	var long []string
	for _, row := range rows[1:] {
		if row[0] == "21" {
			long = row
		}
	}
	if long == nil || len(long[4]) < 32000 || long[17] == "" {
		t.Fatalf("the long body is not split across columns")
	}
	if v, _ := f.GetCellType("Measures", "A2"); v != excelize.CellTypeNumber && v != excelize.CellTypeUnset {
		t.Errorf("id is not a number: %v", v)
	}
	style, _ := f.GetCellStyle("Measures", "C1")
	if s, err := f.GetStyle(style); err != nil || s.Font == nil || !s.Font.Bold {
		t.Errorf("header is not bold: %+v %v", s, err)
	}
	panes, _ := f.GetPanes("Measures")
	if !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header row not frozen: %+v", panes)
	}
	view, _ := f.GetSheetView("Measures", 0)
	if rtl := view.RightToLeft != nil && *view.RightToLeft; rtl != (lang == "ar") {
		t.Errorf("right to left %v for %s", rtl, lang)
	}
	if w, _ := f.GetColWidth("Measures", "E"); w < 50 {
		t.Errorf("body column width %v", w)
	}
	man, _ := f.GetRows("Manifest")
	if man[0][0] != "issuer" || man[0][1] != issuer || man[3][1] != "xlsx" {
		t.Errorf("manifest sheet %q", man[:4])
	}
}

// A manifest of 400 measures is more than one cell could hold as JSON.
func TestXLSX_LargeManifest(t *testing.T) {
	doc := &pact.Document{Lang: "en", Issuer: issuer, Pillars: []pact.Pillar{{Key: "p", Axes: []pact.Axis{{}}}}}
	for i := range 400 {
		doc.Pillars[0].Axes[0].Measures = append(doc.Pillars[0].Axes[0].Measures,
			pact.Measure{ID: int64(1000 - i), Revision: i % 7, Title: "T", Summary: "S", Body: strings.Repeat("b", i)})
	}
	m := signedManifest(t, doc, "xlsx")
	if len(m.Canonical()) < 32767 {
		t.Fatalf("the test manifest is too small: %d bytes", len(m.Canonical()))
	}
	var buf bytes.Buffer
	if err := export.XLSX(&buf, doc, m); err != nil {
		t.Fatal(err)
	}
	rows, back, err := export.ReadXLSX(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 400 || !reflect.DeepEqual(back, m) {
		t.Errorf("%d rows; manifest equal: %v", len(rows), reflect.DeepEqual(back, m))
	}
}

func TestXLSX_Unreadable(t *testing.T) {
	f := excelize.NewFile()
	var noManifest bytes.Buffer
	_ = f.SetCellValue("Sheet1", "A1", "id")
	_, _ = f.WriteTo(&noManifest)
	for name, data := range map[string][]byte{"NotZip": []byte("PK not a zip"), "NoSheets": noManifest.Bytes()} {
		if _, _, err := export.ReadXLSX(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: read", name)
		}
	}
}

func TestPDF(t *testing.T) {
	doc := exporttest.Document(issuer, "fr")
	pages := exporttest.PagesPDF("Pacte Maroc Digital")
	var buf bytes.Buffer
	if err := export.PDF(&buf, doc, signer(t), pages); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	if !bytes.HasPrefix(out, pages) {
		t.Fatal("the pages' bytes changed")
	}
	rows, m, err := export.ReadPDF(out)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, wantRows(doc), true)
	if m.Format != "pdf" || m.Document == nil || m.Document.Bytes != int64(len(pages)) {
		t.Errorf("manifest %+v", m)
	}
	if err := pact.VerifyManifest(m, ed25519Key(t)); err != nil {
		t.Error(err)
	}
	if ok, err := export.PDFOnlyAttached(out, m.Document.Bytes); !ok || err != nil {
		t.Errorf("fresh PDF: only attached %v, %v", ok, err)
	}
	// Another update after the signed one could change what the pages show.
	again, err := appendUpdate(out)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := export.PDFOnlyAttached(again, m.Document.Bytes); ok {
		t.Error("a further update went unnoticed")
	}
	if _, _, err := export.ReadPDF(pages); err == nil {
		t.Error("a PDF without pacte.json was read")
	}
	if _, err := exec.LookPath("pdfinfo"); err == nil {
		cmd := exec.Command("pdfinfo", "-")
		cmd.Stdin = bytes.NewReader(out)
		if info, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(info), "Pages:           1") {
			t.Errorf("pdfinfo: %v\n%s", err, info)
		}
	}
}

// appendUpdate adds an incremental update after the signed one, as an
// attacker or a careless editor would.
func appendUpdate(file []byte) ([]byte, error) {
	return pdf.Attach(file, pdf.File{Name: "note.txt", MIME: "text/plain", Data: []byte("later")})
}

// Texts that Office Open XML escaping, excelize or the cell limit could
// change come back byte for byte.
func TestXLSX_TextsComeBackExactly(t *testing.T) {
	texts := []string{"_x0041_", "_x005F_x0041_", "_x005F_", "__x0041__", "_x0000\x00", "_x005F\x01", "a\x00b\x1f",
		"_X0041_ _x00zz_", "\uFFFE\uFFFF", "  spaces  ", "\ttab", "\r\n\r", "&lt;<b>&amp;", "]]>", "😀" + strings.Repeat("é", 40000),
		strings.Repeat("a", 32766) + "😀" + "_x0041_", "=1+1", "'quoted"}
	doc := &pact.Document{Lang: "en", Issuer: issuer, Pillars: []pact.Pillar{{Key: "p", Axes: []pact.Axis{{}}}}}
	for i, s := range texts {
		doc.Pillars[0].Axes[0].Measures = append(doc.Pillars[0].Axes[0].Measures,
			pact.Measure{ID: int64(i + 1), Revision: 1, Title: s, Summary: s, Body: s})
	}
	var buf bytes.Buffer
	if err := export.XLSX(&buf, doc, signedManifest(t, doc, "xlsx")); err != nil {
		t.Fatal(err)
	}
	rows, _, err := export.ReadXLSX(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range texts {
		if r := rows[i]; r.Title != s || r.Summary != s || r.Body != s {
			t.Errorf("%.60q came back as %.60q", s, r.Body)
		}
	}
}

// With the real renderer's pages, in Arabic.
func TestPDF_RenderedPages(t *testing.T) {
	doc := exporttest.Document(issuer, "ar")
	pages, err := pdf.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := export.PDF(&buf, doc, signer(t), pages); err != nil {
		t.Fatal(err)
	}
	rows, m, err := export.ReadPDF(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, rows, wantRows(doc), true)
	if err := pact.VerifyManifest(m, ed25519Key(t)); err != nil || m.Lang != "ar" {
		t.Errorf("manifest %v, lang %q", err, m.Lang)
	}
	if ok, err := export.PDFOnlyAttached(buf.Bytes(), m.Document.Bytes); !ok || err != nil {
		t.Errorf("only attached: %v, %v", ok, err)
	}
}
