package server_test

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"pacte/models"
	"pacte/pact/pdf"
	"pacte/server/servertest"
)

// TestPublicPact_NothingLeaks: a draft, an in-review amendment, a hidden
// comment, a federation-only measure, a reviewer's note and the editors'
// emails each carry a marker; no public page, feed, sitemap, API answer or
// document (the PDF's text and attachments included) holds any of them,
// while the published text is in every one.
func TestPublicPact_NothingLeaks(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		author := app.User(models.RoleMember, "apebi")
		reviewer := app.User(models.RoleReviewer, "ministry")
		moderator := app.User(models.RoleModerator, "ministry")
		ac, rc, mc := app.Login(author), app.Login(reviewer), app.Login(moderator)
		const published = "PUBLISHEDTEXTQX"
		markers := map[string]string{
			"draft":     "LEAKDRAFTQX",
			"amendment": "LEAKAMENDQX",
			"hidden":    "LEAKHIDDENQX",
			"federal":   "LEAKFEDERALQX",
			"note":      "LEAKNOTEQX",
			"email":     author.Email,
		}

		// The published measure: approved with a reviewer's note, then
		// published, then amended (submitted: in review) with new text.
		m := msCreate(t, ac, "Mesure publiée "+published)
		var cur msMeasure
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"body": "Texte approuvé " + published + ".", "revision": m.Revision}, 200, &cur)
		msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &cur)
		msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "approved", "note": "Note interne " + markers["note"], "revision": cur.Revision}, 201, nil)
		msDo(t, rc, "POST", msPath(m.ID, "/publish"), map[string]any{"note": "Note de publication " + markers["note"]}, 200, nil)
		msDo(t, ac, "POST", msPath(m.ID, "/amend"), nil, 200, &cur)
		msDo(t, ac, "PATCH", msPath(m.ID), map[string]any{"title": "Amendement " + markers["amendment"], "body": "Nouveau " + markers["amendment"], "revision": cur.Revision}, 200, &cur)
		msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &cur)

		// A comment on it, hidden by a moderator.
		var c struct {
			ID int64 `json:"id"`
		}
		msDo(t, ac, "POST", msPath(m.ID, "/comments"), map[string]any{"body": "Commentaire " + markers["hidden"]}, 201, &c)
		msDo(t, mc, "POST", "/api/v1/comments/"+itoa(c.ID)+"/hide", map[string]any{"reason": "Hors sujet"}, 200, nil)

		// A draft open to the platform, and a federation-only measure.
		d := msCreate(t, ac, "Brouillon "+markers["draft"])
		msDo(t, ac, "PATCH", msPath(d.ID), map[string]any{"visibility": "platform", "revision": d.Revision}, 200, nil)
		msCreate(t, ac, "Fédéral "+markers["federal"])

		scan := func(what string, body []byte) {
			t.Helper()
			for name, mk := range markers {
				if bytes.Contains(body, []byte(mk)) {
					t.Errorf("%s holds the %s marker %q", what, name, mk)
				}
			}
		}
		needPublished := func(what string, body []byte) {
			t.Helper()
			if !bytes.Contains(body, []byte(published)) {
				t.Errorf("%s lacks the published text", what)
			}
		}
		get := func(path string) []byte {
			t.Helper()
			r := pubGet(t, app, path)
			if r.Status != 200 {
				t.Fatalf("%s: %d %.300s", path, r.Status, r.Body)
			}
			if r.Header.Get("Set-Cookie") != "" {
				t.Errorf("%s sets a cookie", path)
			}
			return r.Body
		}
		for _, lang := range []string{"fr", "en", "ar"} {
			for _, path := range []string{"/pacte", "/pacte/print", "/pacte/feed.atom", "/api/v1/public/measures", "/pacte.json", "/pacte.csv"} {
				body := get(path + "?lang=" + lang)
				scan(path+" ("+lang+")", body)
				needPublished(path+" ("+lang+")", body)
			}
			moved := pubGet(t, app, "/pacte/"+itoa(m.ID)+"?lang="+lang)
			if moved.Status != 301 {
				t.Fatalf("/pacte/id: %d", moved.Status)
			}
			scan("the redirect to the measure's page", []byte(moved.Header.Get("Location")))
			page := get(moved.Header.Get("Location"))
			scan("the measure's public page", page)
			needPublished("the measure's public page", page)
			scan("the CSV manifest", get("/pacte.csv.manifest?lang="+lang))

			x := get("/pacte.xlsx?lang=" + lang)
			zr, err := zip.NewReader(bytes.NewReader(x), int64(len(x)))
			if err != nil {
				t.Fatalf("xlsx: %v", err)
			}
			var all []byte
			for _, f := range zr.File {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				all = append(all, b...)
			}
			scan("the XLSX", all)
			needPublished("the XLSX", all)

			p := get("/pacte.pdf?lang=" + lang)
			scan("the PDF's bytes", p)
			files, err := pdf.Attachments(p)
			if err != nil {
				t.Fatalf("pdf attachments: %v", err)
			}
			for name, b := range files {
				scan("the PDF's attachment "+name, b)
				needPublished("the PDF's attachment "+name, b)
			}
			if text, ok := pdfText(t, p); ok {
				scan("the PDF's text", text)
				needPublished("the PDF's text", text)
			}
		}
		scan("the sitemap", get("/sitemap.xml"))
	})
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils), when
// installed (required with PACTE_REQUIRE_PDFTOOLS=1).
func pdfText(t *testing.T, file []byte) ([]byte, bool) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("PACTE_REQUIRE_PDFTOOLS") == "1" {
			t.Fatal("pdftotext is not installed (apt-get install poppler-utils)")
		}
		t.Log("pdftotext is not installed (apt-get install poppler-utils): the PDF's text is not scanned")
		return nil, false
	}
	in := filepath.Join(t.TempDir(), "pacte.pdf")
	if err := os.WriteFile(in, file, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return out, true
}
