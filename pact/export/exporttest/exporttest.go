// Package exporttest builds Pact documents for the tests of the exports
// and of `pacte verify`: a few measures whose texts hold everything that
// is hard to carry through a file format unchanged.
package exporttest

import (
	"strconv"
	"strings"
	"time"

	"pacte/pact"
)

// Document is a Pact of four measures in lang, issued by issuer:
//   - 7: a title that a spreadsheet would run as a formula, control
//     characters, text that looks like an XML escape, lone and CRLF line
//     breaks;
//   - 12: French with HTML-like text and co-sponsors;
//   - 21: an Arabic body of about 200 KB with emoji (surrogate pairs), far
//     longer than a cell;
//   - 30: a summary starting with an apostrophe and a body with leading
//     and trailing spaces.
func Document(issuer, lang string) *pact.Document {
	at := func(day int) time.Time { return time.Date(2026, 11, day, 9, 30, 0, 0, time.UTC) }
	m := func(id int64, rev int, title, summary, body, pillar, axis string, cos ...pact.Organization) pact.Measure {
		return pact.Measure{ID: id, Revision: rev, Title: title, Summary: summary, Body: body, Pillar: pillar,
			Axis: axis, PillarName: "Pilier " + pillar, AxisName: axisName(axis),
			Lead:       pact.Organization{Slug: "apebi", Name: "Fédération des technologies (APEBI)"},
			Cosponsors: cos, SHA256: pact.TextHash(title, summary, body), ApprovedAt: at(int(id % 20)), PublishedAt: at(int(id%20) + 1),
			URL: issuer + "/pacte/" + strconv.FormatInt(id, 10) + "-" + pact.Slug(title)}
	}
	long := strings.Repeat("تعميم الخدمات الرقمية على جميع المواطنين 🇲🇦 في كل الجهات، ", 2600) // ~200 KB
	return &pact.Document{Lang: lang, Issuer: issuer, GeneratedAt: time.Date(2026, 12, 4, 8, 0, 0, 0, time.UTC),
		Labels: pact.Labels{Title: "Pacte Maroc Digital"},
		Pillars: []pact.Pillar{
			{Key: "gov", Name: "Pilier gov", Axes: []pact.Axis{
				{Key: "", Measures: []pact.Measure{
					m(12, 3, "Fibre pour tous", "Raccorder les écoles <rurales> & les dispensaires.",
						"# Objet\n\nLa fibre **partout** — d’ici 2030.\n\n<script>alert(1)</script>", "gov", "",
						pact.Organization{Slug: "fmt", Name: "Fédération marocaine des télécoms"},
						pact.Organization{Slug: "cgem", Name: "CGEM; numérique"}),
				}},
				{Key: "services", Measures: []pact.Measure{
					m(7, 1, "=HYPERLINK(\"http://evil.example\",\"clic\")", "-5 % de délais; +10 guichets; @tous",
						"Ligne 1\r\nLigne 2\rLigne 3\n\t- puce\n\x01\x0b\x1f contrôle _x0041_ _x005F_x0041_ _X00ff_ \uFFFE fin", "gov", "services"),
				}},
			}},
			{Key: "eco", Name: "Pilier eco", Axes: []pact.Axis{
				{Key: "startups", Measures: []pact.Measure{
					m(21, 2, "الإدارة الرقمية", "ملخص التدبير", long, "eco", "startups"),
					m(30, 5, "Startups", "'Guillemets' d’abord", "  espaces autour  \n", "eco", "startups"),
				}},
			}},
		}}
}

func axisName(key string) string {
	if key == "" {
		return ""
	}
	return "Axe " + key
}
