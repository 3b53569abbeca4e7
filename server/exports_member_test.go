package server_test

import (
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// TestMemberExports: a measure's Markdown export holds its text, reviews
// and history, for those who can see the measure only; the review queue
// exports as CSV for reviewers only.
func TestMemberExports(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	author := app.User(models.RoleMember, "apebi")
	outsider := app.User(models.RoleMember, "msec")
	reviewer := app.User(models.RoleReviewer, "ministry")
	ac, oc, rc := app.Login(author), app.Login(outsider), app.Login(reviewer)

	m := msCreate(t, ac, "Plateforme nationale des données ouvertes")
	private := msCreate(t, ac, "Brouillon réservé à l'APEBI")
	var cur msMeasure
	msDo(t, ac, "POST", msPath(m.ID, "/submit"), nil, 200, &cur)

	queue := rc.Raw("GET", "/review/export.csv", "", nil)
	if queue.Status != 200 || !strings.HasPrefix(string(queue.Body), "\ufeffid,title") || !strings.Contains(string(queue.Body), m.Title) {
		t.Fatalf("review queue CSV: %d %.200s", queue.Status, queue.Body)
	}
	if strings.Contains(string(queue.Body), private.Title) {
		t.Fatal("the queue exports a draft")
	}
	if r := ac.Raw("GET", "/review/export.csv", "", nil); r.Status != 403 {
		t.Fatalf("a member exports the review queue: %d", r.Status)
	}

	msDo(t, rc, "POST", msPath(m.ID, "/reviews"), map[string]any{"decision": "changes_requested",
		"note": "Préciser le calendrier de mise en ligne.", "revision": cur.Revision}, 201, nil)
	md := ac.Raw("GET", "/measures/"+itoa(m.ID)+"/export.md", "", nil)
	body := string(md.Body)
	if md.Status != 200 || !strings.HasPrefix(md.Header.Get("Content-Type"), "text/markdown") || md.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("markdown export: %d %q", md.Status, md.Header.Get("Content-Type"))
	}
	for _, want := range []string{"# " + m.Title, "Premier paragraphe.", "Préciser le calendrier de mise en ligne.", "| 1 |"} {
		if !strings.Contains(body, want) {
			t.Errorf("markdown export lacks %q:\n%s", want, body)
		}
	}
	pdfExport := ac.Raw("GET", "/measures/"+itoa(m.ID)+"/export.pdf", "", nil)
	if pdfExport.Status != 200 || !strings.HasPrefix(string(pdfExport.Body), "%PDF-") || pdfExport.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("PDF export: %d %q", pdfExport.Status, pdfExport.Header.Get("Content-Type"))
	}
	if text, ok := pdfText(t, pdfExport.Body); ok {
		for _, want := range []string{"Premier paragraphe.", "Préciser le calendrier de mise en ligne."} {
			if !strings.Contains(string(text), want) {
				t.Errorf("the PDF export lacks %q", want)
			}
		}
	}
	if r := oc.Raw("GET", "/measures/"+itoa(private.ID)+"/export.pdf", "", nil); r.Status != 404 {
		t.Fatalf("a measure one cannot see exports as PDF: %d", r.Status)
	}
	if r := oc.Raw("GET", "/measures/"+itoa(private.ID)+"/export.md", "", nil); r.Status != 404 {
		t.Fatalf("a measure one cannot see exports: %d", r.Status)
	}
	if r := app.Anonymous().Raw("GET", "/measures/"+itoa(m.ID)+"/export.md", "", nil); r.Status != 401 {
		t.Fatalf("anonymous export: %d", r.Status)
	}
}
