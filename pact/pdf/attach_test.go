package pdf

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tdewolff/canvas"
	canvaspdf "github.com/tdewolff/canvas/renderers/pdf"

	"pacte/pact/fonts"
)

// smallPDF is a one-page PDF as canvas writes it (classic xref table,
// catalog in object 1): the base that Attach is made for.
func smallPDF(t testing.TB) []byte {
	t.Helper()
	font, err := canvas.LoadFont(fonts.SansRegular, 0, canvas.FontRegular)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := canvaspdf.New(&buf, 210, 297, nil)
	c := canvas.New(210, 297)
	canvas.NewContext(c).DrawText(20, 270, canvas.NewTextLine(font.Face(12, canvas.Black), "Pacte numérique : texte de base", canvas.Left))
	c.RenderTo(w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var manifest = File{
	Name:        "manifest.json",
	MIME:        "application/json",
	Description: "Manifeste signé — empreintes",
	Data:        []byte(`{"measures":[{"id":1,"sha256":"ab"}]}` + "\n"),
}

func TestAttach_RoundTrip(t *testing.T) {
	base := smallPDF(t)
	sig := File{Name: "manifest.json.sig", MIME: "application/octet-stream", Data: []byte{0, 1, 2, 0xFF, '(', ')', '\\'}}
	out, err := Attach(base, manifest, sig)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out[:len(base)], base) {
		t.Fatal("the bytes before the update changed")
	}
	got, err := Attachments(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got["manifest.json"], manifest.Data) || !bytes.Equal(got["manifest.json.sig"], sig.Data) {
		t.Fatalf("Attachments = %q", got)
	}

	t.Run("PopplerSeesIt", func(t *testing.T) {
		list := runTool(t, out, "pdfdetach", "-list", "{}")
		if !strings.Contains(list, "2 embedded files") || !strings.Contains(list, "1: manifest.json\n") {
			t.Fatalf("pdfdetach -list:\n%s", list)
		}
		dir := t.TempDir()
		runTool(t, out, "pdfdetach", "-saveall", "-o", dir, "{}")
		saved, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
		if err != nil || !bytes.Equal(saved, manifest.Data) {
			t.Fatalf("pdfdetach -saveall: %q, %v", saved, err)
		}
		if text := runTool(t, out, "pdftotext", "{}", "-"); !strings.Contains(text, "Pacte numérique : texte de base") {
			t.Fatalf("pdftotext after Attach: %q", text)
		}
		if info := runTool(t, out, "pdfinfo", "{}"); !strings.Contains(info, "Pages:           1") {
			t.Fatalf("pdfinfo after Attach:\n%s", info)
		}
	})
}

func TestAttach_AfterFurtherUpdates(t *testing.T) {
	base := smallPDF(t)
	once, err := Attach(base, manifest)
	if err != nil {
		t.Fatal(err)
	}
	// An unrelated update on top (here: the catalog gets /Lang).
	later, err := setCatalogEntries(once, pdfDict{"Lang": textString("fr")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Attachments(later)
	if err != nil || !bytes.Equal(got["manifest.json"], manifest.Data) {
		t.Fatalf("after a further update: %q, %v", got, err)
	}

	// Attaching again keeps the first file and replaces one of the same name.
	renamed := File{Name: "notes-é.txt", MIME: "text/plain", Data: []byte("deux")}
	replaced := File{Name: "manifest.json", Data: []byte("v2")}
	twice, err := Attach(later, renamed, replaced)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(twice[:len(later)], later) {
		t.Fatal("the bytes before the second update changed")
	}
	got, err = Attachments(twice)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got["manifest.json"]) != "v2" || string(got["notes-é.txt"]) != "deux" {
		t.Fatalf("after a second Attach: %q", got)
	}
	doc, err := readDocument(twice)
	if err != nil {
		t.Fatal(err)
	}
	cat, _, _ := doc.catalog()
	if lang, _ := cat["Lang"].(pdfString); lang != "fr" {
		t.Errorf("the catalog lost /Lang: %v", cat)
	}
	if af, _ := cat["AF"].(pdfArray); len(af) != 2 {
		t.Errorf("/AF = %v, want the two current file specifications", cat["AF"])
	}

	t.Run("PopplerSeesIt", func(t *testing.T) {
		list := runTool(t, twice, "pdfdetach", "-list", "{}")
		if !strings.Contains(list, "2 embedded files") || !strings.Contains(list, "notes-é.txt") {
			t.Fatalf("pdfdetach -list:\n%s", list)
		}
	})
}

func TestAttach_Errors(t *testing.T) {
	base := smallPDF(t)
	for name, files := range map[string][]File{
		"NoFile":    nil,
		"EmptyName": {{Name: "", Data: []byte("x")}},
		"Slash":     {{Name: "a/b", Data: []byte("x")}},
		"Twice":     {{Name: "a", Data: []byte("x")}, {Name: "a", Data: []byte("y")}},
	} {
		if _, err := Attach(base, files...); err == nil {
			t.Errorf("%s: Attach succeeded", name)
		}
	}
	if _, err := Attach([]byte("not a pdf"), manifest); err == nil {
		t.Error("Attach to garbage succeeded")
	}
	if _, err := Attachments(base[:len(base)/2]); err == nil {
		t.Error("Attachments of a truncated PDF succeeded")
	}
	if got, err := Attachments(base); err != nil || len(got) != 0 {
		t.Errorf("Attachments of a PDF without any = %q, %v", got, err)
	}
}

func FuzzAttachments(f *testing.F) {
	base := smallPDF(f)
	withFile, err := Attach(base, manifest)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(withFile)
	f.Add(withFile[len(base):]) // the update alone: offsets point nowhere
	f.Add([]byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer<</Root 1 0 R/Size 1>>\nstartxref\n9\n%%EOF"))
	f.Add([]byte("trailer<</Prev 0>>startxref 0"))
	f.Add([]byte("1 0 obj<</Length 1 0 R>>stream\nstartxref 0"))
	f.Fuzz(func(t *testing.T, pdf []byte) {
		files, err := Attachments(pdf)
		if err == nil && files == nil {
			t.Fatal("nil map without an error")
		}
	})
}
