package pdf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"pacte/i18n"
	"pacte/pact"
)

// The sentences the tests look for in the extracted text.
const (
	frenchSentence = "La fédération s'engage à ouvrir les données des collectivités territoriales avant la fin de l'année."
	arabicSentence = "تلتزم الفيدرالية بنشر المعطيات المفتوحة للجماعات الترابية في أفق 2030 بتنسيق مع APEBI."
)

var testRenderer = sync.OnceValues(NewRenderer)

// renderer is one Renderer shared by the tests, as a server would share it.
func renderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := testRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func labels(t testing.TB, lang string, measures int) pact.Labels {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return pact.LabelsFor(cat, lang, measures)
}

const frenchBody = `La mesure porte sur trois chantiers.

## Contexte

Les collectivités publient peu de **données ouvertes** ; les formats sont *hétérogènes* et la ` + "`qualité`" + ` inégale.

- Recenser les jeux de données existants ;
- publier un catalogue commun ;
  - avec des métadonnées DCAT ;
- former les agents.

1. Premier trimestre : inventaire.
2. Deuxième trimestre : [publication](https://data.gov.ma) du catalogue.

> Une citation du rapport annuel.

| Indicateur | Cible 2026 | Cible 2030 |
| --- | --- | --- |
| Jeux publiés | 120 | 600 |
| Communes couvertes | 30 % | 100 % |

` + "```" + `
GET /api/v1/datasets?commune=casablanca&format=csv
` + "```" + `
`

const arabicBody = `تهدف هذه المبادرة إلى تعزيز الشفافية.

## السياق

- جرد مجموعات المعطيات الموجودة؛
- نشر فهرس موحد بصيغة CSV؛
- تكوين الأطر.

1. الفصل الأول: الجرد.
2. الفصل الثاني: النشر.
`

func measure(id int64, lang string) pact.Measure {
	day := time.Date(2026, 11, 4, 10, 0, 0, 0, time.UTC)
	m := pact.Measure{
		ID: id, Revision: int(id%4) + 1,
		Lead:        pact.Organization{Slug: "apebi", Name: "Fédération des technologies de l'information (APEBI)"},
		Cosponsors:  []pact.Organization{{Slug: "cgem", Name: "CGEM"}, {Slug: "anrt", Name: "ANRT"}},
		ApprovedAt:  day,
		PublishedAt: day.AddDate(0, 0, 3),
		URL:         fmt.Sprintf("https://pacte.example.ma/m/%d", id),
	}
	if lang == "ar" {
		m.Title = fmt.Sprintf("فتح المعطيات العمومية للجماعات %d", id)
		m.Summary = arabicSentence
		m.Body = arabicBody
		m.Lead.Name = "فيدرالية تكنولوجيا المعلومات"
		m.Cosponsors = nil
	} else {
		m.Title = fmt.Sprintf("Ouvrir les données publiques des collectivités %d", id)
		m.Summary = frenchSentence
		m.Body = frenchBody
	}
	m.SHA256 = pact.TextHash(m.Title, m.Summary, m.Body)
	return m
}

// testDocument is a Pact in lang with pillars × axes × perAxis measures.
func testDocument(t testing.TB, lang string, pillars, axes, perAxis int) *pact.Document {
	t.Helper()
	doc := &pact.Document{Lang: lang, Issuer: "https://pacte.example.ma", GeneratedAt: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	id := int64(1)
	for p := range pillars {
		pl := pact.Pillar{Key: fmt.Sprintf("p%d", p), Name: fmt.Sprintf("Pilier %d — Digitaliser les services publics", p+1)}
		if lang == "ar" {
			pl.Name = fmt.Sprintf("الركيزة %d: رقمنة الخدمات العمومية", p+1)
		}
		for a := range axes {
			ax := pact.Axis{Key: fmt.Sprintf("a%d", a), Name: fmt.Sprintf("Axe %d.%d — Données ouvertes", p+1, a+1)}
			if lang == "ar" {
				ax.Name = fmt.Sprintf("المحور %d.%d: المعطيات المفتوحة", p+1, a+1)
			}
			if a == 0 {
				ax.Key, ax.Name = "", ""
			}
			for range perAxis {
				ax.Measures = append(ax.Measures, measure(id, lang))
				id++
			}
			pl.Axes = append(pl.Axes, ax)
		}
		doc.Pillars = append(doc.Pillars, pl)
	}
	doc.Labels = labels(t, lang, int(id-1))
	return doc
}

// pdfText is what pdftotext extracts from pages first to last (0: all).
func pdfText(t testing.TB, pdf []byte, first, last int, extra ...string) string {
	t.Helper()
	args := append([]string{}, extra...)
	if first > 0 {
		args = append(args, "-f", fmt.Sprint(first), "-l", fmt.Sprint(last))
	}
	args = append(args, "{}", "-")
	return runTool(t, pdf, "pdftotext", args...)
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), " ") }
