package pact_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"pacte/pact"
)

// goldenDoc holds two measures out of id order, one with characters that
// HTML escaping would change in its text.
func goldenDoc() *pact.Document {
	casa := time.FixedZone("Casablanca", 3600)
	return &pact.Document{Lang: "fr", Issuer: "https://pacte.example.ma",
		GeneratedAt: time.Date(2026, 12, 4, 10, 0, 0, 0, casa),
		Pillars: []pact.Pillar{{Key: "p1", Axes: []pact.Axis{{Key: "", Measures: []pact.Measure{
			{ID: 12, Revision: 3, Title: "Fibre pour tous", Summary: "Raccorder les écoles.", Body: "# Objet\n\nLa fibre <partout> & vite."},
			{ID: 3, Revision: 1, Title: "الإدارة الرقمية", Summary: "ملخص", Body: "نص"},
		}}}}}}
}

// The canonical form is what gets signed, so it is pinned byte for byte
// (docs/exports.md documents this very string). The fingerprints were
// computed with sha256sum, not with TextHash.
const goldenCanonical = `{"issuer":"https://pacte.example.ma","generated_at":"2026-12-04T09:00:00Z","key_id":"","format":"csv","lang":"fr",` +
	`"measures":[{"id":3,"revision":1,"sha256":"c6261c05ee3cfd8f014954db03c6cbc3afa689994a010ae889c45a9e10e053f1"},` +
	`{"id":12,"revision":3,"sha256":"7764df0984419ee938cfe282731c0ba81fa353298bb6d54c441460cc1ed7310d"}]}`

func TestManifest_CanonicalGolden(t *testing.T) {
	m := pact.NewManifest(goldenDoc(), "csv")
	if got := string(m.Canonical()); got != goldenCanonical {
		t.Errorf("canonical form changed:\n got %s\nwant %s", got, goldenCanonical)
	}
	// The signature is left out, whatever it holds.
	m.Signature = "c2lnbmVk"
	if got := string(m.Canonical()); got != goldenCanonical {
		t.Errorf("the signature leaks into the canonical form: %s", got)
	}
}

func TestManifest_CanonicalNoHTMLEscapingAndOptionalFields(t *testing.T) {
	m := pact.Manifest{Issuer: "https://x.example/?a=1&b=<2>", GeneratedAt: "2026-01-02T03:04:05Z", KeyID: "00ff",
		Format: "pdf", Document: &pact.DocumentDigest{Bytes: 1234, SHA256: "ab"}}
	want := `{"issuer":"https://x.example/?a=1&b=<2>","generated_at":"2026-01-02T03:04:05Z","key_id":"00ff","format":"pdf",` +
		`"document":{"bytes":1234,"sha256":"ab"},"measures":[]}`
	if got := string(m.Canonical()); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// A manifest read back from any layout (indented, fields reordered) gives
// the same canonical bytes.
func TestManifest_CanonicalStableThroughJSON(t *testing.T) {
	m := pact.NewManifest(goldenDoc(), "json")
	m.KeyID, m.Signature = "1a2b3c4d5e6f7a8b", "c2ln"
	indented, _ := json.MarshalIndent(m, "", "    ")
	var back pact.Manifest
	if err := json.Unmarshal(indented, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, m) || string(back.Canonical()) != string(m.Canonical()) {
		t.Errorf("round trip changed the manifest:\n%s\n%s", back.Canonical(), m.Canonical())
	}
	reordered := `{"measures":[{"sha256":"` + m.Measures[0].SHA256 + `","revision":1,"id":3},{"id":12,"revision":3,"sha256":"` + m.Measures[1].SHA256 +
		`"}],"signature":"c2ln","lang":"fr","format":"json","key_id":"1a2b3c4d5e6f7a8b","generated_at":"2026-12-04T09:00:00Z","issuer":"https://pacte.example.ma"}`
	var re pact.Manifest
	if err := json.Unmarshal([]byte(reordered), &re); err != nil {
		t.Fatal(err)
	}
	if string(re.Canonical()) != string(m.Canonical()) {
		t.Errorf("field order in the file changed the canonical form:\n%s", re.Canonical())
	}
}

func TestNewManifest_EmptyDocument(t *testing.T) {
	m := pact.NewManifest(&pact.Document{Issuer: "https://p.example", GeneratedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, "xlsx")
	want := `{"issuer":"https://p.example","generated_at":"2026-01-01T00:00:00Z","key_id":"","format":"xlsx","measures":[]}`
	if got := string(m.Canonical()); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// NewManifest fingerprints the text it is given, not a stale SHA256 field.
func TestNewManifest_HashesTheText(t *testing.T) {
	doc := goldenDoc()
	doc.Pillars[0].Axes[0].Measures[0].SHA256 = "stale"
	m := pact.NewManifest(doc, "json")
	if m.Measures[1].ID != 12 || m.Measures[1].SHA256 != pact.TextHash("Fibre pour tous", "Raccorder les écoles.", "# Objet\n\nLa fibre <partout> & vite.") {
		t.Errorf("measure 12: %+v", m.Measures[1])
	}
}
