package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"pacte/models"
)

// The published Pact, written straight through SQL: the measures rows as
// publication leaves them (approved, opened to the platform, published_at,
// published_revision, approved_at, public_changed_at) and the revision rows
// that the public query (models.PublicMeasures) joins for the text.

var sentences = []string{
	"La digitalisation des services publics réduit les délais de traitement pour les citoyens comme pour les entreprises.",
	"Les fédérations proposent un calendrier de mise en œuvre sur trois ans, assorti d'indicateurs publiés chaque semestre.",
	"Le financement s'appuie sur le Fonds de développement du numérique et sur des partenariats public-privé.",
	"Une attention particulière est portée aux régions situées hors de l'axe Casablanca-Rabat, où l'accès au très haut débit reste inégal.",
	"Les données produites restent hébergées au Maroc, conformément à la loi 05-20 relative à la cybersécurité et à la loi 09-08.",
	"Les start-up et les PME accèdent à la commande publique grâce à des dossiers de candidature simplifiés et dématérialisés.",
	"Un comité de suivi réunit le ministère, les fédérations et les collectivités territoriales une fois par trimestre.",
	"La formation de 50 000 jeunes aux métiers du numérique d'ici 2030 s'appuie sur les écoles de codage et les universités.",
	"Les administrations publient leurs données ouvertes dans des formats lisibles par machine, sous une licence libre.",
	"L'identité numérique permet aux usagers de s'authentifier une seule fois pour l'ensemble des démarches en ligne.",
	"Les indicateurs de résultat sont le nombre de démarches dématérialisées, le délai moyen de traitement et la satisfaction des usagers.",
	"Les prestataires labellisés s'engagent sur des niveaux de service, de sécurité et de réversibilité contrôlés chaque année.",
}

var listItems = []string{
	"cartographie des démarches existantes et de leurs délais",
	"appel à projets ouvert aux PME et aux start-up marocaines",
	"mise en place d'un guichet d'accompagnement dans chaque région",
	"publication trimestrielle des indicateurs sur le portail national",
	"évaluation indépendante à mi-parcours, rendue publique",
	"formation des agents publics aux nouveaux outils",
}

var headings = []string{"Contexte", "Objectifs", "Dispositif proposé", "Calendrier", "Financement", "Indicateurs de suivi", "Gouvernance"}

// arabic is the text of the few measures written in Arabic.
var arabic = []struct{ title, summary, para string }{
	{"صندوق وطني لتمويل المقاولات الناشئة", "صندوق عمومي خاص يمول المقاولات الناشئة المغربية في مراحلها الأولى.",
		"يستهدف الصندوق المقاولات الناشئة في جميع جهات المملكة، مع إعطاء الأولوية للمشاريع التي تخلق فرص الشغل للشباب."},
	{"الشباك الوحيد الرقمي للمقاولات الصغرى والمتوسطة", "منصة واحدة تجمع كل الإجراءات الإدارية للمقاولات الصغرى والمتوسطة.",
		"تمكن المنصة المقاولات من تتبع ملفاتها ومعرفة آجال المعالجة بدقة، وتنشر الإدارة مؤشرات الأداء كل ثلاثة أشهر."},
	{"تكوين الشباب في مهن الذكاء الاصطناعي", "برنامج وطني لتكوين عشرة آلاف شاب في مهن الذكاء الاصطناعي والبيانات.",
		"يعتمد البرنامج على شراكة بين الجامعات ومدارس البرمجة والمقاولات، مع منح للطلبة من الجهات الأقل تجهيزا."},
}

// placements are where measures sit in the seeded taxonomy.
var placements = [][2]string{
	{"public_services", ""}, {"digital_economy", "offshoring"}, {"digital_economy", "startups"},
	{"digital_economy", "sme_digitalisation"}, {"digital_economy", "youth_it_training"}, {"enablers", "digital_talent"},
	{"enablers", "cloud_computing"}, {"enablers", "network_5g"}, {"enablers", "artificial_intelligence"}, {"enablers", "digital_sovereignty"},
}

// body writes a Markdown text of about size bytes: headings, paragraphs of
// three to five sentences, a list now and then.
func body(r *rand.Rand, size int) string {
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "## %s\n\n", headings[i%len(headings)])
		for p := 0; p < 2 && b.Len() < size; p++ {
			for s, n := 0, 3+r.IntN(3); s < n; s++ {
				b.WriteString(sentences[r.IntN(len(sentences))])
				b.WriteByte(' ')
			}
			b.WriteString("**Point clé** : voir [la stratégie Maroc Digital 2030](https://www.maroc.ma/).\n\n")
		}
		if i%2 == 1 {
			for j := 0; j < 3; j++ {
				fmt.Fprintf(&b, "- %s\n", listItems[r.IntN(len(listItems))])
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// seeded is what seed made.
type seeded struct {
	reviewer *models.User
	pending  int64 // approved, not yet published: published during the run
	first    int64 // a published measure of French text, for the page load
	bodies   int   // total bytes of the bodies
}

// seed writes n measures, n-1 of them published and the last approved only.
func seed(ctx context.Context, s *models.Store, n int) (*seeded, error) {
	r := rand.New(rand.NewPCG(7, 30))
	orgs, err := s.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	var feds []int64
	ministry := int64(0)
	for _, o := range orgs {
		switch o.Kind {
		case models.KindFederation:
			feds = append(feds, o.ID)
		case models.KindMinistry:
			ministry = o.ID
		}
	}
	if len(feds) < 2 || ministry == 0 {
		return nil, errors.New("the seeded organisations are missing")
	}
	now := s.Now().UTC().Truncate(time.Second)
	authors := make([]*models.User, len(feds))
	for i, org := range feds {
		authors[i] = &models.User{Email: fmt.Sprintf("membre%d@bench.pacte.ma", i), Name: fmt.Sprintf("Membre %d", i),
			OrganizationID: &org, Role: models.RoleMember, Status: models.StatusActive, Locale: "fr", CreatedAt: now, UpdatedAt: now}
	}
	reviewer := &models.User{Email: "relecteur@bench.pacte.ma", Name: "Relecteur", OrganizationID: &ministry,
		Role: models.RoleReviewer, Status: models.StatusActive, Locale: "fr", CreatedAt: now, UpdatedAt: now}
	if err := s.Write(ctx, func(tx *models.Tx) error {
		if err := tx.Create(authors).Error; err != nil {
			return err
		}
		return tx.Create(reviewer).Error
	}); err != nil {
		return nil, fmt.Errorf("create users: %w", err)
	}
	out := &seeded{reviewer: reviewer}
	err = s.Write(ctx, func(tx *models.Tx) error {
		for i := 0; i < n; i++ {
			lead := i % len(feds)
			author := authors[lead]
			title := fmt.Sprintf("Mesure %d : %s", i+1, strings.TrimSuffix(sentences[r.IntN(len(sentences))], "."))
			summary := sentences[r.IntN(len(sentences))]
			text := body(r, 3000+r.IntN(3000))
			if i%30 == 29 { // ten of three hundred
				a := arabic[(i/30)%len(arabic)]
				title, summary = a.title, a.summary
				text = "## النص\n\n" + a.para + "\n\n" + text
			}
			out.bodies += len(text)
			place := placements[i%len(placements)]
			var axis any
			if place[1] != "" {
				axis = place[1]
			}
			at := now.Add(-time.Duration(n-i) * time.Hour)
			var published, publishedBy, changed any
			if i < n-1 {
				published, publishedBy, changed = at.Add(30*time.Minute), reviewer.ID, at.Add(30*time.Minute)
			}
			var id int64
			if err := tx.Raw(`INSERT INTO measures (title, summary, body, pillar, axis, lead_organization_id, visibility, status,
				revision, published_revision, submitted_once, created_by, created_at, updated_at,
				approved_at, published_at, published_by, public_changed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				title, summary, text, place[0], axis, feds[lead], models.VisibilityPlatform, models.StatusApproved,
				true, author.ID, at, at, at, published, publishedBy, changed).Scan(&id).Error; err != nil {
				return fmt.Errorf("insert measure: %w", err)
			}
			if err := tx.Exec(`INSERT INTO revisions (measure_id, number, title, summary, body, pillar, axis, status, reason, authors, created_at)
				VALUES (?, 1, ?, ?, ?, ?, ?, ?, 'review', ?, ?)`,
				id, title, summary, text, place[0], axis, models.StatusApproved, fmt.Sprintf("[%d]", author.ID), at).Error; err != nil {
				return fmt.Errorf("insert revision: %w", err)
			}
			if err := tx.Exec(`INSERT INTO measure_editors (measure_id, user_id, added_by, created_at) VALUES (?, ?, ?, ?)`,
				id, author.ID, author.ID, at).Error; err != nil {
				return err
			}
			if i%3 == 0 { // a third are co-sponsored by the next federation
				co := authors[(lead+1)%len(feds)]
				if err := tx.Exec(`INSERT INTO measure_cosponsors (measure_id, organization_id, user_id, created_at) VALUES (?, ?, ?, ?)`,
					id, *co.OrganizationID, co.ID, at).Error; err != nil {
					return err
				}
			}
			switch {
			case i == n-1:
				out.pending = id
			case out.first == 0:
				out.first = id
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
