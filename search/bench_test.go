package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchWords is the vocabulary of the generated corpus: the domain's
// French, English and Arabic words, drawn with a Zipf law so that a few
// are everywhere (like "numérique") and most are rare.
func benchWords() []string {
	fr := strings.Fields(`numérique services publics administration citoyen État digitalisation plateforme
		données souveraineté cloud réseau couverture formation jeunes entreprises startups PME innovation
		intelligence artificielle cybersécurité identité portail guichet démarches dématérialisation
		interopérabilité gouvernance talents compétences écosystème financement incubateur accélérateur
		export offshoring centres appels emploi région territoire commune ministère transition réforme
		transformation infrastructure hébergement datacenter fibre optique 5G mobile internet haut débit
		paiement électronique facture signature archivage open data statistiques santé éducation justice
		fiscalité douane agriculture tourisme industrie énergie transport logistique commerce marché
		concurrence régulation protection vie privée consentement accès inclusion handicap femmes
		rural université recherche laboratoire brevets propriété intellectuelle standard norme qualité
		audit contrôle évaluation indicateur objectif calendrier budget partenariat convention appel projet
		pilote expérimentation déploiement généralisation maintenance support assistance usagers agents
		fonctionnaires simplification procédures délais coûts économies efficacité transparence confiance`)
	en := strings.Fields(`digital public services government platform data sovereignty cloud network training
		youth companies startups innovation artificial intelligence cybersecurity identity portal skills
		funding incubator export jobs infrastructure hosting payment signature health education trust`)
	ar := strings.Fields(`الرقمنة الإدارة الخدمات العمومية المواطن التحول الرقمي المنصة البيانات السيادة
		الشبكة التكوين الشباب المقاولات الابتكار الذكاء الاصطناعي الأمن السيبراني الهوية البوابة
		الكفاءات التمويل التشغيل البنية التحتية الصحة التعليم الثقة الشفافية الجهات الجماعات`)
	return slices.Concat(fr, en, ar)
}

// benchCorpus makes measures and their comments: each measure has a title
// of 5 words, a summary of 25 and a body of 300, each comment 40 words.
func benchCorpus(measures, commentsPer int) []Doc {
	words := benchWords()
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.1, 4, uint64(len(words)-1))
	text := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[zipf.Uint64()])
		}
		return b.String()
	}
	var docs []Doc
	for m := 1; m <= measures; m++ {
		lead := int64(1 + m%5)
		vis := VisibilityPlatform
		if m%4 == 0 {
			vis = "federation"
		}
		d := Doc{Type: TypeMeasure, ID: int64(m), Title: text(5), Summary: text(25), Body: text(300),
			Pillar: fmt.Sprintf("p%d", 1+m%3), Axis: fmt.Sprintf("a%d", m%10), Status: []string{"draft", "in_review", "approved"}[m%3],
			LeadOrgID: lead, OrgIDs: []int64{lead, 1 + (lead+1)%5}, EditorIDs: []int64{int64(100 + m%50)},
			Visibility: vis, At: day0.Add(time.Duration(m) * time.Minute)}
		docs = append(docs, d)
		if d.Status == "approved" {
			p := d
			p.Type = TypePublic
			docs = append(docs, p)
		}
		for c := 0; c < commentsPer; c++ {
			id := int64(m*commentsPer + c)
			docs = append(docs, Doc{Type: TypeComment, ID: id, MeasureID: d.ID, Title: d.Title, Body: text(40),
				Pillar: d.Pillar, Axis: d.Axis, Status: d.Status, LeadOrgID: lead, OrgIDs: d.OrgIDs,
				EditorIDs: d.EditorIDs, Visibility: vis, Hidden: c%50 == 0,
				At: day0.Add(time.Duration(id) * time.Second)})
		}
	}
	return docs
}

// BenchmarkSearch measures searches on 1,000 measures and 5,000 comments
// (about 6,300 documents): each kind of query alone, then 16 searchers at
// once with their 50th and 99th percentile latency.
func BenchmarkSearch(b *testing.B) {
	ix, rebuild, err := Open(filepath.Join(b.TempDir(), "index"))
	if err != nil || !rebuild {
		b.Fatal(rebuild, err)
	}
	defer ix.Close()
	docs := benchCorpus(1000, 5)
	start := time.Now()
	for i := 0; i < len(docs); i += 1000 {
		if err := ix.Apply(docs[i:min(i+1000, len(docs))], nil, 0); err != nil {
			b.Fatal(err)
		}
	}
	if err := ix.Apply(nil, nil, 1); err != nil {
		b.Fatal(err)
	}
	b.Logf("indexed %d documents in %v", len(docs), time.Since(start).Round(time.Millisecond))

	member := Scope{UserID: 120, OrgID: 2}
	cases := []struct {
		name  string
		scope Scope
		q     Query
	}{
		{"one word", member, Query{Text: "numérique "}},
		{"one rare word", member, Query{Text: "brevets "}},
		{"two words", member, Query{Text: "cloud souveraineté "}},
		{"three words", member, Query{Text: "données santé citoyen "}},
		{"typing", member, Query{Text: "interop"}},
		{"phrase", member, Query{Text: `"services publics"`}},
		{"excluded", member, Query{Text: "formation -jeunes "}},
		{"arabic", member, Query{Text: "التحول الرقمي "}},
		{"with filters", member, Query{Text: "données ", Pillar: "p2", Types: []string{TypeMeasure}}},
		{"one word, facets", member, Query{Text: "numérique ", Facets: true}},
		{"one rare word, facets", member, Query{Text: "brevets ", Facets: true}},
		{"staff", Scope{All: true, HiddenComments: true}, Query{Text: "cloud souveraineté "}},
		{"public", Scope{Public: true}, Query{Text: "cloud souveraineté "}},
		{"browse, no text", member, Query{}},
		{"deep page", member, Query{Text: "numérique ", Offset: 950, Size: 50}},
	}
	ctx := context.Background()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := ix.Search(ctx, c.scope, c.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("16 concurrent", func(b *testing.B) {
		var mu sync.Mutex
		var lat []time.Duration
		procs := runtime.GOMAXPROCS(0)
		b.SetParallelism((16 + procs - 1) / procs) // × GOMAXPROCS goroutines: 16 on 2 CPUs
		b.RunParallel(func(pb *testing.PB) {
			var mine []time.Duration
			for i := 0; pb.Next(); i++ {
				c := cases[i%9] // the 1-3 word queries, without facets
				t0 := time.Now()
				if _, err := ix.Search(ctx, c.scope, c.q); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
		if len(lat) > 0 {
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		}
	})
}
