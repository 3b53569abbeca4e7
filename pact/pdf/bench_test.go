package pdf

import (
	"fmt"
	"strings"
	"testing"

	"pacte/pact"
)

var prose = []string{
	"La fédération porteuse réunit chaque trimestre un comité de suivi associant les collectivités, les opérateurs et les représentants des usagers, afin de mesurer l'avancement des chantiers et d'ajuster le calendrier.",
	"Les données produites dans le cadre de la mesure sont publiées sous licence ouverte, dans des formats réutilisables, accompagnées de leur documentation et d'un point de contact identifié.",
	"Un budget prévisionnel de 12 millions de dirhams est mobilisé sur trois ans, dont 40 % pour la formation des agents et 25 % pour l'accompagnement des petites communes.",
	"Les indicateurs retenus sont le nombre de services dématérialisés de bout en bout, le délai moyen de traitement des demandes et le taux de satisfaction mesuré auprès des usagers.",
	"La mesure s'appuie sur les référentiels existants de la DGSSI et de l'ADD ; elle ne crée aucune plateforme nouvelle lorsque un service mutualisé répond déjà au besoin.",
}

// realisticBody is a measure body of about size bytes: headings, prose,
// a list and, now and then, a table.
func realisticBody(i, size int) string {
	var b strings.Builder
	b.WriteString(frenchBody)
	for k := 0; b.Len() < size; k++ {
		if k%4 == 0 {
			fmt.Fprintf(&b, "\n## Volet %d\n\n", k/4+1)
		}
		b.WriteString(prose[(i+k)%len(prose)])
		b.WriteString(" ")
		b.WriteString(prose[(i+k+2)%len(prose)])
		b.WriteString("\n\n")
		if k%5 == 2 {
			b.WriteString("- Première étape du volet, avec un pilote désigné ;\n- deuxième étape, évaluée à mi-parcours ;\n- généralisation.\n\n")
		}
	}
	return b.String()
}

// bigDocument is 300 published measures of 3 to 6 KB each.
func bigDocument(t testing.TB) *pact.Document {
	doc := testDocument(t, "fr", 6, 5, 10)
	i := 0
	for p := range doc.Pillars {
		for a := range doc.Pillars[p].Axes {
			for m := range doc.Pillars[p].Axes[a].Measures {
				ms := &doc.Pillars[p].Axes[a].Measures[m]
				ms.Body = realisticBody(i, 3000+(i*97)%3000)
				ms.SHA256 = pact.TextHash(ms.Title, ms.Summary, ms.Body)
				i++
			}
		}
	}
	return doc
}

// BenchmarkRender_300Measures: go test -run '^$' -bench Render_300 -benchtime 5x ./pact/pdf/
func BenchmarkRender_300Measures(b *testing.B) {
	doc := bigDocument(b)
	r := renderer(b)
	cpu := cpuTime()
	for b.Loop() {
		out, err := r.Render(doc)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(out))/1024, "KB-of-PDF")
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "CPU-s/op")
}

// BenchmarkNewRenderer is the cost Render pays on each call and a
// Renderer pays once: parsing the five fonts.
func BenchmarkNewRenderer(b *testing.B) {
	for b.Loop() {
		if _, err := NewRenderer(); err != nil {
			b.Fatal(err)
		}
	}
}
