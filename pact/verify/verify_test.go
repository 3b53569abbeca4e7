package verify_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pacte/pact"
	"pacte/pact/export"
	"pacte/pact/export/exporttest"
	"pacte/pact/pdf"
	"pacte/pact/verify"
)

// installation is a Pacte as verify sees it: an issuer serving its key,
// and the documents it published.
type installation struct {
	signer *pact.Signer
	srv    *httptest.Server
	doc    *pact.Document
	dir    string
	pages  []byte
}

func newInstallation(t *testing.T) *installation {
	t.Helper()
	s, err := pact.NewSigner([]byte("pacte-test-seed-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	in := &installation{signer: s, dir: t.TempDir()}
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != verify.WellKnownKeyPath {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(in.signer.PublicKey())
	}))
	t.Cleanup(in.srv.Close)
	in.doc = exporttest.Document(in.srv.URL, "fr")
	in.pages = exporttest.PagesPDF("Pacte Maroc Digital")
	return in
}

// publish writes the document in format as the server serves it and
// returns its path (a CSV's manifest goes beside it, as pacte.csv.manifest).
func (in *installation) publish(t *testing.T, format string) string {
	t.Helper()
	var buf bytes.Buffer
	m := pact.NewManifest(in.doc, format)
	in.signer.Sign(&m)
	var err error
	switch format {
	case "csv":
		err = export.CSV(&buf, in.doc)
		var mb bytes.Buffer
		if err == nil {
			err = export.WriteManifest(&mb, m)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(in.dir, "pacte.csv.manifest"), mb.Bytes(), 0o644)
		}
	case "json":
		err = export.JSON(&buf, in.doc, m)
	case "xlsx":
		err = export.XLSX(&buf, in.doc, m)
	case "pdf":
		err = export.PDF(&buf, in.doc, in.signer, in.pages)
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(in.dir, "pacte."+format)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(args ...string) (code int, out string) {
	var stdout, stderr bytes.Buffer
	code = verify.Command(context.Background(), args, &stdout, &stderr)
	return code, stdout.String() + stderr.String()
}

// changeOnce replaces old by new in the file, which must hold old once.
func changeOnce(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte(old)); n != 1 {
		t.Fatalf("%q appears %d times in %s", old, n, path)
	}
	if err := os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

const changedMeasure12 = "measure 12 «Fibre pour tous» (revision 3): its text differs from the signed one"

// onlyMeasure12 checks that the report on path names measure 12 and no other.
func onlyMeasure12(t *testing.T, path string) {
	t.Helper()
	code, out := run(path)
	if code != 1 || !strings.Contains(out, changedMeasure12) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, other := range []string{"measure 7 ", "measure 21 ", "measure 30 ", "signature"} {
		if strings.Contains(out, other) {
			t.Errorf("names %q too:\n%s", other, out)
		}
	}
}

func TestVerify_FreshExports(t *testing.T) {
	in := newInstallation(t)
	for _, format := range []string{"csv", "json", "xlsx", "pdf"} {
		t.Run(format, func(t *testing.T) {
			path := in.publish(t, format)
			code, out := run(path)
			want := path + ": 4 measures, signature by key " + in.signer.KeyID() + " valid (issued by " + in.srv.URL + ")\n"
			if code != 0 || out != want {
				t.Fatalf("exit %d:\n%s\nwant %s", code, out, want)
			}
		})
	}
}

func TestVerify_ChangedText(t *testing.T) {
	in := newInstallation(t)
	t.Run("csv", func(t *testing.T) {
		path := in.publish(t, "csv")
		changeOnce(t, path, "**partout**", "**partouT**")
		onlyMeasure12(t, path)
	})
	t.Run("csv/title", func(t *testing.T) {
		path := in.publish(t, "csv")
		changeOnce(t, path, "Startups", "StartupS")
		code, out := run(path)
		if code != 1 || !strings.Contains(out, "measure 30 «StartupS» (revision 5): its text differs from the signed one") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("json", func(t *testing.T) {
		path := in.publish(t, "json")
		changeOnce(t, path, "**partout**", "**partouT**")
		onlyMeasure12(t, path)
	})
	t.Run("xlsx", func(t *testing.T) {
		path := in.publish(t, "xlsx")
		rezip(t, path, "xl/worksheets/sheet1.xml", "**partout**", "**partouT**")
		onlyMeasure12(t, path)
	})
	// The long body's last part is in a continuation column.
	t.Run("xlsx/continuation", func(t *testing.T) {
		path := in.publish(t, "xlsx")
		rezip(t, path, "xl/worksheets/sheet1.xml", "الجهات، </t>", "الجهات. </t>")
		code, out := run(path)
		if code != 1 || !strings.Contains(out, "measure 21 «الإدارة الرقمية» (revision 2): its text differs from the signed one") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("pdf/attachment", func(t *testing.T) {
		path := in.publish(t, "pdf")
		data, _ := os.ReadFile(path)
		files, err := pdf.Attachments(data)
		if err != nil {
			t.Fatal(err)
		}
		j := files[export.PDFAttachment]
		if bytes.Count(j, []byte("**partout**")) != 1 {
			t.Fatal("pacte.json does not hold the body once")
		}
		j = bytes.Replace(j, []byte("**partout**"), []byte("**partouT**"), 1)
		// The attacker redoes the update from the signed pages.
		forged, err := pdf.Attach(in.pages, pdf.File{Name: export.PDFAttachment, MIME: "application/json",
			Description: "The text of every measure and the signed manifest (check with: pacte verify)", Data: j})
		if err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(path, forged, 0o644)
		onlyMeasure12(t, path)
	})
	t.Run("pdf/pages", func(t *testing.T) {
		path := in.publish(t, "pdf")
		changeOnce(t, path, "(Pacte Maroc Digital)", "(Pacte Maroc Digitax)")
		code, out := run(path)
		if code != 1 || !strings.Contains(out, "the PDF's pages differ from the signed ones") || strings.Contains(out, "measure ") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("pdf/later-update", func(t *testing.T) {
		path := in.publish(t, "pdf")
		data, _ := os.ReadFile(path)
		more, err := pdf.Attach(data, pdf.File{Name: "note.txt", Data: []byte("added later")})
		if err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(path, more, 0o644)
		code, out := run(path)
		if code != 1 || !strings.Contains(out, "the PDF was changed after it was signed") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}

// rezip changes one file inside a zip (an XLSX), as an editor would.
func rezip(t *testing.T, path, name, old, new string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == name {
			if bytes.Count(data, []byte(old)) != 1 {
				t.Fatalf("%q appears %d times in %s", old, bytes.Count(data, []byte(old)), name)
			}
			data = bytes.Replace(data, []byte(old), []byte(new), 1)
			found = true
		}
		w, _ := zw.Create(f.Name)
		_, _ = w.Write(data)
	}
	if err := zw.Close(); err != nil || !found {
		t.Fatalf("rezip: %v, found %v", err, found)
	}
	zr.Close()
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerify_MissingAndExtraMeasures(t *testing.T) {
	in := newInstallation(t)
	path := in.publish(t, "json")
	// The manifest keeps 4 measures; the file loses one and gains another.
	data, _ := os.ReadFile(path)
	var doc map[string]json.RawMessage
	_ = json.Unmarshal(data, &doc)
	var items []map[string]any
	_ = json.Unmarshal(doc["items"], &items)
	items[1]["id"] = 99 // measure 7 becomes 99
	doc["items"], _ = json.Marshal(items)
	data, _ = json.Marshal(doc)
	_ = os.WriteFile(path, data, 0o644)
	code, out := run(path)
	if code != 1 || !strings.Contains(out, "measure 7 (revision 1) is in the signed manifest but missing from the file") ||
		!strings.Contains(out, "measure 99 «=HYPERLINK(\"http://evil.example\",\"clic\")» (revision 1) is in the file but not in the signed manifest") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestVerify_Signature(t *testing.T) {
	in := newInstallation(t)
	other, err := pact.NewSigner(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	otherKey := filepath.Join(t.TempDir(), "other.json")
	j, _ := json.Marshal(other.PublicKey())
	_ = os.WriteFile(otherKey, j, 0o644)
	ourKey := filepath.Join(t.TempDir(), "ours.b64")
	_ = os.WriteFile(ourKey, []byte(in.signer.PublicKey().PublicKey+"\n"), 0o644)

	for _, format := range []string{"csv", "json", "xlsx", "pdf"} {
		t.Run(format+"/WrongKeyFile", func(t *testing.T) {
			code, out := run(in.publish(t, format), "--key", otherKey)
			if code != 1 || !strings.Contains(out, "the manifest names key \""+in.signer.KeyID()+"\", but the key given is "+other.KeyID()) {
				t.Fatalf("exit %d:\n%s", code, out)
			}
		})
	}
	t.Run("BareKeyFile", func(t *testing.T) {
		if code, out := run(in.publish(t, "csv"), "--key="+ourKey); code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("KeyURL", func(t *testing.T) {
		if code, out := run(in.publish(t, "json"), "--key", in.srv.URL+verify.WellKnownKeyPath); code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("IssuerServesAnotherKey", func(t *testing.T) {
		path := in.publish(t, "json")
		in.signer = other
		defer func() { in.signer, _ = pact.NewSigner([]byte("pacte-test-seed-0123456789abcdef")) }()
		if code, out := run(path); code != 1 || !strings.Contains(out, "names key") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	// Someone fixes the manifest's fingerprint to match a changed text:
	// the signature no longer holds.
	t.Run("ManifestChanged", func(t *testing.T) {
		path := in.publish(t, "csv")
		changeOnce(t, path, "**partout**", "**partouT**")
		mpath := filepath.Join(in.dir, "pacte.csv.manifest")
		m, _ := export.ReadManifest(bytes.NewReader(mustRead(t, mpath)))
		changed := in.doc.Pillars[0].Axes[0].Measures[0]
		for i := range m.Measures {
			if m.Measures[i].ID == 12 {
				m.Measures[i].SHA256 = pact.TextHash(changed.Title, changed.Summary, strings.Replace(changed.Body, "partout", "partouT", 1))
			}
		}
		var buf bytes.Buffer
		_ = export.WriteManifest(&buf, m)
		_ = os.WriteFile(mpath, buf.Bytes(), 0o644)
		code, out := run(path)
		if code != 1 || !strings.Contains(out, "does not match the manifest: it was changed after signing") || strings.Contains(out, "measure 12") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("Unsigned", func(t *testing.T) {
		path := in.publish(t, "json")
		changeOnce(t, path, `"signature": "`, `"signaturX": "`)
		if code, out := run(path); code != 1 || !strings.Contains(out, "not signed") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("ManifestOfAnotherFormat", func(t *testing.T) {
		path := in.publish(t, "csv")
		jpath := in.publish(t, "json")
		code, out := run(path, jpath) // the JSON export is not a manifest
		if code != 2 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		m := pact.NewManifest(in.doc, "json")
		in.signer.Sign(&m)
		var buf bytes.Buffer
		_ = export.WriteManifest(&buf, m)
		mpath := filepath.Join(t.TempDir(), "m.json")
		_ = os.WriteFile(mpath, buf.Bytes(), 0o644)
		if code, out := run(path, mpath); code != 1 || !strings.Contains(out, "signed for a json document, not for this csv file") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerify_Unreadable(t *testing.T) {
	in := newInstallation(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, data, 0o644)
		return p
	}
	csvPath := in.publish(t, "csv")
	good := func(format string) []byte { return mustRead(t, in.publish(t, format)) }
	pdfData := good("pdf")
	cases := map[string][]string{
		"NoSuchFile":     {filepath.Join(dir, "nope.pdf")},
		"Directory":      {dir},
		"BrokenZip":      {write("x.xlsx", []byte("PK\x03\x04 broken"))},
		"BrokenJSON":     {write("x.json", []byte(`{"items": [`))},
		"BrokenPDF":      {write("x.pdf", []byte("%PDF-1.7\n garbage"))},
		"TruncatedPDF":   {write("t.pdf", pdfData[:len(pdfData)/2])},
		"PDFNoManifest":  {write("p.pdf", in.pages)},
		"NotACSV":        {write("notes.txt", []byte("hello\nworld\n"))},
		"CSVNoManifest":  {write("alone.csv", good("csv"))},
		"CSVBadManifest": {csvPath, write("bad.manifest", []byte("not json"))},
		"KeyMissing":     {in.publish(t, "json"), "--key", filepath.Join(dir, "no-key.json")},
		"KeyGarbage":     {in.publish(t, "json"), "--key", write("k.txt", []byte("not a key"))},
		"KeyURL404":      {in.publish(t, "json"), "--key", in.srv.URL + "/nothing"},
		"KeyUnreachable": {in.publish(t, "json"), "--key", "http://127.0.0.1:1/key"},
		"Usage":          {},
		"TooManyFiles":   {"a", "b", "c"},
		"UnknownOption":  {csvPath, "--frobnicate"},
		"KeyWithoutURL":  {csvPath, "--key"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if code, out := run(args...); code != 2 || out == "" {
				t.Fatalf("exit %d:\n%s", code, out)
			}
		})
	}
	// An issuer that is not a web address: the key must be given.
	t.Run("IssuerNotAURL", func(t *testing.T) {
		path := in.publish(t, "json")
		changeOnce(t, path, `"issuer": "`+in.srv.URL+`"`, `"issuer": "file:///etc/passwd"`)
		if code, out := run(path); code != 2 || !strings.Contains(out, "--key") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}

func TestVerify_ManifestBesideCSV(t *testing.T) {
	in := newInstallation(t)
	path := in.publish(t, "csv")
	// A browser saved the manifest with a .json suffix, and the CSV under another name.
	renamed := filepath.Join(in.dir, "pacte-2026.csv")
	_ = os.Rename(path, renamed)
	_ = os.Rename(path+".manifest", renamed+".manifest.json")
	if code, out := run(renamed); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestDetect(t *testing.T) {
	for data, want := range map[string]string{"%PDF-1.7": "pdf", "PK\x03\x04": "xlsx", "{}": "json", "\uFEFF\n {": "json",
		"\uFEFFid,url": "csv", "": "csv", " %PDF-": "csv"} {
		if got := verify.Detect([]byte(data)); got != want {
			t.Errorf("Detect(%q) = %s, want %s", data, got, want)
		}
	}
}

// A title in a changed file cannot hide the report with terminal escapes.
func TestVerify_TitleIsShownSafely(t *testing.T) {
	in := newInstallation(t)
	path := in.publish(t, "json")
	changeOnce(t, path, `"title": "Fibre pour tous"`, `"title": "Fibre\u001b[2K\r\u202e pour tous"`)
	code, out := run(path)
	if code != 1 || strings.ContainsAny(out, "\x1b\r\u202e") || !strings.Contains(out, "measure 12 «Fibre\uFFFD[2K\uFFFD\uFFFD pour tous»") {
		t.Fatalf("exit %d:\n%q", code, out)
	}
}

// The PDF as the server makes it: the real renderer's pages.
func TestVerify_RenderedPDF(t *testing.T) {
	in := newInstallation(t)
	pages, err := pdf.Render(in.doc)
	if err != nil {
		t.Fatal(err)
	}
	in.pages = pages
	path := in.publish(t, "pdf")
	if code, out := run(path); code != 0 || !strings.Contains(out, "4 measures, signature by key") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	data := mustRead(t, path)
	data[len(pages)/2] ^= 1
	_ = os.WriteFile(path, data, 0o644)
	if code, out := run(path); code != 1 || !strings.Contains(out, "the PDF's pages differ from the signed ones") {
		t.Fatalf("one bit of the pages: exit %d:\n%s", code, out)
	}
}
