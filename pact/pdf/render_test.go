package pdf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"

	"pacte/pact"
)

func render(t testing.TB, doc *pact.Document) []byte {
	t.Helper()
	out, err := renderer(t).Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, []byte("%PDF-1.7")) {
		t.Fatalf("not a PDF: %q", out[:min(20, len(out))])
	}
	return out
}

// pageImages renders every page as a PNG at 60 dpi and returns their
// paths. With PACTE_PDF_SHOTS=dir set, it also copies them there, to look at.
func pageImages(t *testing.T, pdf []byte, name string) []string {
	t.Helper()
	dir := t.TempDir()
	runTool(t, pdf, "pdftoppm", "-png", "-r", "60", "{}", filepath.Join(dir, name))
	shots, err := filepath.Glob(filepath.Join(dir, name+"-*.png"))
	if err != nil || len(shots) == 0 {
		t.Fatalf("pdftoppm made no image: %v", err)
	}
	for _, s := range shots {
		if fi, err := os.Stat(s); err != nil || fi.Size() < 1000 {
			t.Errorf("%s: %v, %d bytes", s, err, fi.Size())
		}
	}
	if keep := os.Getenv("PACTE_PDF_SHOTS"); keep != "" {
		if err := os.MkdirAll(keep, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range shots {
			b, _ := os.ReadFile(s)
			os.WriteFile(filepath.Join(keep, filepath.Base(s)), b, 0o644)
		}
	}
	return shots
}

// pages is pdftotext's text page by page (index 0 is page 1).
func pages(t testing.TB, pdf []byte, extra ...string) []string {
	t.Helper()
	return strings.Split(pdfText(t, pdf, 0, 0, extra...), "\f")
}

func TestRender_French(t *testing.T) {
	doc := testDocument(t, "fr", 3, 3, 4) // 36 measures: the contents take two pages
	out := render(t, doc)

	info := runTool(t, out, "pdfinfo", "{}")
	for _, want := range []string{"Title:           Pacte Maroc Digital", "Page size:       595.276 x 841.89 pts (A4)"} {
		if !strings.Contains(info, want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, info)
		}
	}
	n := pdfPages(t, info)
	if shots := pageImages(t, out, "fr"); len(shots) != n {
		t.Errorf("%d images for %d pages", len(shots), n)
	}

	text := pages(t, out)
	if !strings.Contains(squeeze(text[0]), "36 mesures") || !strings.Contains(text[0], "Document établi le") {
		t.Errorf("cover:\n%s", text[0])
	}
	if strings.Contains(text[0], "Page 1") {
		t.Error("the cover has a page number")
	}
	if !strings.Contains(squeeze(strings.Join(text, " ")), frenchSentence) {
		t.Error("the French sentence is not intact in the extracted text")
	}
	for i := 1; i < n; i++ {
		if want := fmt.Sprintf("Page %d sur %d", i+1, n); !strings.Contains(text[i], want) {
			t.Errorf("page %d: no %q", i+1, want)
		}
	}
	// Markdown: emphasis, lists, table cells, code, link text.
	body := squeeze(strings.Join(text, " "))
	for _, want := range []string{"données ouvertes ;", "Recenser les jeux de données existants ;", "Communes couvertes", "100 %",
		"GET /api/v1/datasets?commune=casablanca&format=csv", "publication du catalogue", "Une citation du rapport annuel."} {
		if !strings.Contains(strings.ReplaceAll(body, "\u200b", ""), want) {
			t.Errorf("no %q in the text", want)
		}
	}
	checkContents(t, out, doc, "Fédération porteuse")
}

var tocLine = regexp.MustCompile(`^\s*(\S.*?)\s{2,}(\d+)\s*$`)

// checkContents reads the page numbers the contents print (pdftotext
// -layout puts a title and its number on one line) and checks each measure's
// title is on that page.
func checkContents(t *testing.T, pdf []byte, doc *pact.Document, measurePageMark string) {
	t.Helper()
	layout := pages(t, pdf, "-layout")
	raw := pages(t, pdf)
	printed := map[string]int{}
	contentPages := 0
	for i := 1; i < len(layout) && !strings.Contains(raw[i], measurePageMark); i++ {
		contentPages++
		for _, line := range strings.Split(layout[i], "\n") {
			if m := tocLine.FindStringSubmatch(line); m != nil {
				n, _ := strconv.Atoi(m[2])
				printed[squeeze(m[1])] = n
			}
		}
	}
	if contentPages < 2 {
		t.Errorf("contents on %d page(s); this document needs 2", contentPages)
	}
	for _, m := range doc.Measures() {
		title := squeeze(sprintf(doc.Labels.MeasureNumber, m.ID) + " — " + m.Title)
		page, ok := printed[title]
		if !ok {
			t.Errorf("the contents do not list %q", title)
			continue
		}
		if page < 2+contentPages || page > len(raw) {
			t.Errorf("%q: page %d out of range", title, page)
			continue
		}
		// pdftotext -f N -l N, as a reader would check it.
		if got := squeeze(pdfText(t, pdf, page, page)); !strings.Contains(got, title) || !strings.Contains(got, measurePageMark) {
			t.Errorf("%q is not on page %d, as the contents say", title, page)
		}
	}
}

func pdfPages(t testing.TB, info string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo gives no page count:\n%s", info)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Poppler (22.12) gives right-to-left text in logical order, each line
// wrapped in RLE … PDF (U+202B, U+202C) and each left-to-right run inside
// in LRE … PDF (U+202A), that run's characters left in visual order, so
// neutrals beside it (spaces, the final full stop) travel with it.
const popplerArabicSentence = "\u202bتلتزم الفيدرالية بنشر المعطيات المفتوحة للجماعات الترابية في أفق \u202a 2030\u202cبتنسيق مع \u202a.APEBI\u202c\u202c"

func TestRender_Arabic(t *testing.T) {
	doc := testDocument(t, "ar", 2, 2, 3)
	out := render(t, doc)
	pageImages(t, out, "ar")

	text := pdfText(t, out, 0, 0)
	if !strings.Contains(text, popplerArabicSentence+"\n") {
		t.Errorf("pdftotext does not give the Arabic summary as poppler 22 writes it, %q; got:\n%s", popplerArabicSentence, firstLineWith(text, "تلتزم"))
	}
	// Whatever the marks, the words must come in reading order.
	plain := squeeze(stripBidi(norm.NFKC.String(text)))
	for _, want := range []string{
		"تلتزم الفيدرالية بنشر المعطيات المفتوحة للجماعات الترابية في أفق",
		"بتنسيق مع",
		"الفيدرالية الحاملة", "لا فيدرالية أخرى", // lam-alef, one glyph, two letters
		"تهدف هذه المبادرة إلى تعزيز الشفافية.",
		"نشر فهرس موحد بصيغة CSV",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("no %q in the extracted text", want)
		}
	}
	layout := squeeze(stripBidi(pdfText(t, out, 0, 0, "-layout")))
	if !strings.Contains(layout, "تلتزم الفيدرالية بنشر المعطيات المفتوحة") {
		t.Error("pdftotext -layout loses the Arabic word order")
	}
	n := pdfPages(t, runTool(t, out, "pdfinfo", "{}"))
	// The footer, as poppler gives it: "2" takes the space before it along.
	if want := fmt.Sprintf("\u202bالصفحة \u202a %d\u202cمن \u202a%d\u202c\u202c", 2, n); !strings.Contains(text, want) {
		t.Errorf("no %q footer", want)
	}

	parsed, err := readDocument(out)
	if err != nil {
		t.Fatal(err)
	}
	cat, _, _ := parsed.catalog()
	if lang, _ := cat["Lang"].(pdfString); lang != "ar" {
		t.Errorf("/Lang = %q", lang)
	}
}

// TestRender_ArabicLetters sets every Arabic letter alone, first, in the
// middle and last of a word, and reads them back: shaping must join them
// and the ToUnicode map must give back letters, not nothing.
func TestRender_ArabicLetters(t *testing.T) {
	letters := "ابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "ءآأؤإئةى" + "پڤڭ"
	var words []string
	for _, r := range letters {
		l := string(r)
		words = append(words, l, l+"ب", "ب"+l+"ب", "ب"+l)
	}
	doc := testDocument(t, "ar", 1, 1, 1)
	m := &doc.Pillars[0].Axes[0].Measures[0]
	m.Body = strings.Join(words, " ")
	out := render(t, doc)
	text := squeeze(stripBidi(norm.NFKC.String(pdfText(t, out, 0, 0))))
	for _, w := range words {
		if !strings.Contains(" "+text+" ", " "+norm.NFKC.String(w)+" ") {
			t.Errorf("%q (%U) is not in the extracted text", w, []rune(w))
		}
	}
}

func stripBidi(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0x202A && r <= 0x202E || r == 0x200E || r == 0x200F || r == 0x200B {
			return -1
		}
		return r
	}, s)
}

func firstLineWith(text, word string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			return fmt.Sprintf("%q", l)
		}
	}
	return "(none)"
}

func TestRender_OddInputs(t *testing.T) {
	huge := strings.Repeat("Un paragraphe de remplissage qui revient encore et encore, pour faire un corps très long. ", 60) + "\n\n"
	for name, body := range map[string]string{
		"HugeBody":      strings.Repeat(huge, 40), // 220 KB in paragraphs of 5 KB
		"OneHugeLine":   strings.Repeat("mot ", 50000),
		"Emoji":         "Des emoji 🎉🚀👩‍💻 et des drapeaux 🇲🇦 au milieu ✅ du texte ; et ﷺ.",
		"LongURL":       "Voir https://example.ma/" + strings.Repeat("segment-tres-long/", 40) + "?q=" + strings.Repeat("x", 300) + " puis la suite.",
		"LongWord":      strings.Repeat("a", 2000),
		"Table":         "| a | b |\n|---|---|\n| " + strings.Repeat("cellule longue ", 200) + " | x |\n" + strings.Repeat("| 1 | 2 |\n", 300),
		"WideTable":     "|" + strings.Repeat(" h |", 12) + "\n|" + strings.Repeat("---|", 12) + "\n|" + strings.Repeat(" v |", 12) + "\n",
		"Code":          "```go\n" + strings.Repeat("func f() { return \"une ligne de code assez longue pour déborder de la page sans espace_aucun_espace_ici\" }\n\n", 200) + "```\n",
		"Nested":        strings.Repeat("> ", 30) + "profond\n\n" + strings.Repeat("  ", 0) + "- a\n  - b\n    - c\n      - d\n        1. e\n",
		"HTML":          "<div><script>alert(1)</script></div>\n\nTexte <b>gras</b>.",
		"Controls":      "a\x00b\x01c\u202ed\u200de\r\nf\tg\uFFFDh",
		"MixedScripts":  "La DGSSI (المديرية العامة لأمن نظم المعلومات) publie 12 guides — ثم 2030.",
		"Empty":         "",
		"OnlyEmoji":     "🎉🎉🎉",
		"HeadingsOnly":  "# A\n## B\n### C\n#### D\n##### E\n###### F",
		"Images":        "![une image](https://example.ma/x.png) et [un lien](https://example.ma).",
		"TaskList":      "- [x] fait\n- [ ] à faire",
		"InvalidUTF8":   "ok \xff\xfe fin",
		"ManyNewlines":  strings.Repeat("ligne  \n", 2000),
		"ArabicHuge":    strings.Repeat("تلتزم الفيدرالية بنشر المعطيات المفتوحة. ", 3000),
		"ZeroWidthOnly": "\u200b\u200c\u200d\ufeff",
	} {
		t.Run(name, func(t *testing.T) {
			for _, lang := range []string{"fr", "ar"} {
				doc := testDocument(t, lang, 1, 1, 1)
				m := &doc.Pillars[0].Axes[0].Measures[0]
				m.Body = body
				m.Title = name + " " + m.Title
				out := render(t, doc)
				if _, err := readDocument(out); err != nil {
					t.Fatalf("%s: the PDF does not read back: %v", lang, err)
				}
			}
		})
	}
	t.Run("EmptyDocument", func(t *testing.T) {
		doc := &pact.Document{Lang: "fr", Labels: labels(t, "fr", 0)}
		out := render(t, doc)
		if text := squeeze(pdfText(t, out, 0, 0)); !strings.Contains(text, doc.Labels.Empty) {
			t.Errorf("the empty document does not say %q:\n%s", doc.Labels.Empty, text)
		}
	})
	t.Run("MissingFields", func(t *testing.T) {
		doc := &pact.Document{Pillars: []pact.Pillar{{Axes: []pact.Axis{{Measures: []pact.Measure{{}}}}}}}
		render(t, doc)
		if _, err := renderer(t).Render(nil); err == nil {
			t.Error("Render(nil) succeeded")
		}
	})
	t.Run("ExtractsAroundEmoji", func(t *testing.T) {
		doc := testDocument(t, "fr", 1, 1, 1)
		doc.Pillars[0].Axes[0].Measures[0].Body = "avant 🎉 après"
		if text := squeeze(pdfText(t, render(t, doc), 0, 0)); !strings.Contains(text, "avant après") {
			t.Errorf("emoji not dropped cleanly: %q", firstLineWith(text, "avant"))
		}
	})
}

// TestRender_Concurrent renders with one Renderer from several goroutines,
// as the server does (run with -race).
func TestRender_Concurrent(t *testing.T) {
	r := renderer(t)
	var wg sync.WaitGroup
	results := make([][]byte, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lang := []string{"fr", "ar"}[i%2]
			out, err := r.Render(testDocument(t, lang, 1, 2, 2))
			if err != nil {
				t.Error(err)
			}
			results[i] = out
		}()
	}
	wg.Wait()
	for i, out := range results {
		if _, err := readDocument(out); err != nil {
			t.Errorf("render %d: %v", i, err)
		}
	}
}

func TestRender_Attach(t *testing.T) {
	out := render(t, testDocument(t, "ar", 1, 1, 2))
	with, err := Attach(out, manifest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(with[:len(out)], out) {
		t.Fatal("Attach changed the rendered bytes")
	}
	got, err := Attachments(with)
	if err != nil || !bytes.Equal(got["manifest.json"], manifest.Data) {
		t.Fatalf("Attachments = %q, %v", got, err)
	}
	if list := runTool(t, with, "pdfdetach", "-list", "{}"); !strings.Contains(list, "manifest.json") {
		t.Errorf("pdfdetach -list:\n%s", list)
	}
	doc, err := readDocument(with)
	if err != nil {
		t.Fatal(err)
	}
	cat, _, _ := doc.catalog()
	if cat["Lang"] == nil || cat["ViewerPreferences"] == nil {
		t.Errorf("Attach lost catalog entries: %v", cat)
	}
	if text := pdfText(t, with, 0, 0); !strings.Contains(stripBidi(text), "التدبير رقم") {
		t.Error("pdftotext cannot read the document after Attach")
	}
}

// TestRender_BreaksLoseNothing sets long paragraphs and code that break
// across many pages (and chunks), and reads every numbered word back once,
// in order.
func TestRender_BreaksLoseNothing(t *testing.T) {
	var prose, code strings.Builder
	for i := range 1500 {
		fmt.Fprintf(&prose, "mot%d ", i)
	}
	for i := range 400 {
		fmt.Fprintf(&code, "ligne%d\n", i)
		if i%7 == 0 {
			code.WriteString("\n")
		}
	}
	for _, lang := range []string{"fr", "ar"} {
		doc := testDocument(t, lang, 1, 1, 1)
		doc.Pillars[0].Axes[0].Measures[0].Body = prose.String() + "\n\n```\n" + code.String() + "```\n"
		text := pdfText(t, render(t, doc), 0, 0)
		for _, word := range []string{"mot", "ligne"} {
			found := regexp.MustCompile(`\b`+word+`(\d+)\b`).FindAllStringSubmatch(text, -1)
			want := map[string]int{"mot": 1500, "ligne": 400}[word]
			if len(found) != want {
				t.Errorf("%s: %d %s words read back, want %d", lang, len(found), word, want)
				continue
			}
			for i, f := range found {
				if f[1] != strconv.Itoa(i) {
					t.Errorf("%s: %s%s read back where %s%d was due", lang, word, f[1], word, i)
					break
				}
			}
		}
	}
}
