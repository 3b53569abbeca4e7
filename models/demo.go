package models

import (
	"context"
	"fmt"
	"strings"
)

// DemoDomain is the email domain of demonstration accounts; nothing else
// uses it, so the demo data can always be told apart.
const DemoDomain = "demo.pacte.ma"

// DemoAccount is a demonstration account, as printed for the operator.
type DemoAccount struct {
	Email string
	Name  string
	Role  string
	Org   string // slug, "" for none
}

var demoAccounts = []DemoAccount{
	{"amina.benali", "Amina Benali", RoleMember, "apebi"},
	{"youssef.elidrissi", "Youssef El Idrissi", RoleMember, "apebi"},
	{"karim.tazi", "Karim Tazi", RoleMember, "ausim"},
	{"salma.berrada", "Salma Berrada", RoleMember, "ausim"},
	{"nadia.alaoui", "Nadia Alaoui", RoleMember, "mnc"},
	{"omar.chraibi", "Omar Chraibi", RoleMember, "mnc"},
	{"leila.bennani", "Leila Bennani", RoleMember, "msec"},
	{"mehdi.ouazzani", "Mehdi Ouazzani", RoleMember, "msec"},
	{"fatimazahra.lahlou", "Fatima Zahra Lahlou", RoleReviewer, "ministry"},
	{"hicham.benjelloun", "Hicham Benjelloun", RoleReviewer, "ministry"},
	{"rachid.amrani", "Rachid Amrani", RoleModerator, "ausim"},
	{"sara.kettani", "Sara Kettani", RoleAdmin, ""},
}

// demoStep is what happens to a demo measure after it is created, in order.
type demoStep struct {
	by     string // account (local part) acting
	action string // edit | open | submit | approve | changes | reject | withdraw | amend | cosponsor | editor | comment
	text   string // new body for edit, note for reviews, comment text, editor to add
}

type demoMeasure struct {
	lead                 string // author's account
	title, summary, body string
	pillar, axis         string
	steps                []demoStep
}

// demoMeasures draw on the Digital Morocco Pact and Maroc Digital 2030.
var demoMeasures = []demoMeasure{
	{lead: "amina.benali", pillar: "public_services",
		title:   "Guichet unique numérique pour la création et la vie des entreprises",
		summary: "Un portail unique, de la création de l'entreprise à sa radiation, pour toutes les démarches auprès de l'administration, de la CNSS et de la DGI.",
		body: "## Constat\n\nCréer une entreprise au Maroc demande encore plusieurs passages physiques auprès de l'OMPIC, de la DGI, de la CNSS et du tribunal de commerce.\n\n" +
			"## Mesure proposée\n\n- Un **identifiant unique** de l'entreprise (ICE) utilisé par toutes les administrations.\n- Un dossier « dites-le nous une fois » : aucune pièce déjà détenue par l'État n'est redemandée.\n- Le suivi de chaque démarche en ligne, avec un délai garanti.\n\n" +
			"## Calendrier\n\n1. 2025 : création et modifications statutaires.\n2. 2026 : déclarations sociales et fiscales.\n3. 2027 : cessation et radiation.\n",
		steps: []demoStep{
			{"youssef.elidrissi", "editor", ""},
			{"amina.benali", "open", ""},
			{"karim.tazi", "cosponsor", ""},
			{"amina.benali", "submit", ""},
			{"fatimazahra.lahlou", "changes", "Merci de préciser le coût estimé et l'articulation avec le portail actuel des CRI."},
			{"youssef.elidrissi", "edit", "\n## Coût et articulation\n\nCoût estimé : 180 MDH sur trois ans. Le portail s'appuie sur la plateforme des Centres régionaux d'investissement, qui devient son point d'entrée.\n"},
			{"amina.benali", "submit", ""},
			{"hicham.benjelloun", "approve", "Mesure claire et chiffrée ; à inscrire dans la feuille de route 2025."},
			{"hicham.benjelloun", "publish", "Publiée avec la première série du Pacte."},
			{"karim.tazi", "comment", "Bravo ! Pensons à l'accessibilité pour les auto-entrepreneurs en zone rurale."},
		}},
	{lead: "youssef.elidrissi", pillar: "enablers", axis: "cloud_computing",
		title:   "Cloud souverain national pour les données publiques",
		summary: "Héberger les données sensibles de l'État et des établissements publics dans un cloud qualifié, opéré au Maroc par des acteurs soumis au droit marocain.",
		body: "## Objectif\n\nGarantir que les données publiques sensibles restent sous juridiction marocaine, conformément à la loi 05-20 sur la cybersécurité.\n\n" +
			"## Dispositif\n\n- Un **référentiel de qualification** des offres cloud publié par la DGSSI.\n- Une obligation d'hébergement qualifié pour les données classifiées.\n- Un marché-cadre ouvert aux opérateurs nationaux et aux partenariats avec les hyperscalers.\n",
		steps: []demoStep{
			{"youssef.elidrissi", "open", ""},
			{"nadia.alaoui", "cosponsor", ""},
			{"youssef.elidrissi", "submit", ""},
			{"omar.chraibi", "comment", "Le référentiel devrait distinguer au moins trois niveaux de sensibilité."},
			{"leila.bennani", "comment", "Les startups nationales doivent pouvoir candidater au marché-cadre, même en groupement."},
		}},
	{lead: "karim.tazi", pillar: "enablers", axis: "network_5g",
		title:   "5G et couverture très haut débit des zones rurales",
		summary: "Conditionner l'attribution des fréquences 5G à des obligations de couverture des communes rurales et des axes routiers.",
		body: "## Mesure\n\nL'ANRT assortit les licences 5G d'obligations de couverture : 85 % de la population en 2030, dont toutes les communes rurales de plus de 2 000 habitants.\n\n" +
			"## Financement\n\nLe Fonds du service universel finance les sites non rentables, mutualisés entre opérateurs.\n",
		steps: []demoStep{
			{"karim.tazi", "open", ""},
			{"karim.tazi", "submit", ""},
			{"fatimazahra.lahlou", "changes", "Les objectifs de couverture doivent être déclinés par région, avec des jalons intermédiaires en 2027."},
		}},
	{lead: "nadia.alaoui", pillar: "digital_economy", axis: "youth_it_training",
		title:   "Former 100 000 jeunes aux métiers du numérique d'ici 2030",
		summary: "Des parcours courts et certifiants, co-construits avec les entreprises, pour former 100 000 jeunes par an aux métiers du numérique.",
		body: "## Parcours\n\n- Bootcamps de 6 mois (développement, data, cybersécurité).\n- Alternance dans les entreprises membres des fédérations.\n- Certification reconnue par l'État.\n\n" +
			"## Cibles\n\n100 000 jeunes formés, dont 40 % de femmes et 30 % hors de l'axe Casablanca-Rabat.\n",
		steps: []demoStep{
			{"nadia.alaoui", "open", ""},
			{"amina.benali", "cosponsor", ""},
			{"leila.bennani", "cosponsor", ""},
			{"nadia.alaoui", "submit", ""},
			{"hicham.benjelloun", "approve", "Approuvée ; suivi annuel des cohortes demandé."},
			{"hicham.benjelloun", "publish", ""},
			{"nadia.alaoui", "amend", ""},
			{"omar.chraibi", "edit", "\n## Amendement\n\nAjout d'un volet « reconversion » pour 20 000 diplômés d'autres filières.\n"},
		}},
	{lead: "leila.bennani", pillar: "digital_economy", axis: "startups",
		title:   "Statut juridique de la startup innovante",
		summary: "Un statut de « startup innovante » ouvrant droit à des avantages fiscaux, sociaux et à une procédure simplifiée de levée de fonds.",
		body: "## Critères\n\n- Moins de 8 ans d'existence.\n- Dépenses de R&D ou d'innovation d'au moins 15 % des charges.\n\n" +
			"## Avantages\n\n- Exonération d'IS pendant 5 ans.\n- Bons de souscription de parts de créateur (BSPCE) pour attirer les talents.\n- Ouverture au financement participatif (loi 15-18).\n",
		steps: []demoStep{
			{"leila.bennani", "open", ""},
			{"amina.benali", "cosponsor", ""},
			{"mehdi.ouazzani", "editor", ""},
			{"leila.bennani", "submit", ""},
			{"youssef.elidrissi", "comment", "L'APEBI soutient ; attention à la définition des dépenses d'innovation."},
		}},
	{lead: "mehdi.ouazzani", pillar: "digital_economy", axis: "startups",
		title:   "Commande publique ouverte aux startups",
		summary: "Réserver 20 % des marchés publics numériques aux startups et PME innovantes, et simplifier les dossiers de candidature.",
		body:    "## Mesure\n\n- Quota de 20 % des achats numériques de l'État.\n- Dossier de candidature allégé sous 1 MDH.\n- Paiement à 60 jours garanti.\n",
		steps: []demoStep{
			{"mehdi.ouazzani", "open", ""},
			{"karim.tazi", "comment", "Un quota est-il compatible avec le décret sur les marchés publics ? À vérifier."},
		}},
	{lead: "salma.berrada", pillar: "digital_economy", axis: "sme_digitalisation",
		title:   "Chèque numérique pour la digitalisation des TPE et PME",
		summary: "Un chèque de 10 000 à 50 000 DH pour financer l'équipement, les logiciels et l'accompagnement des TPE et PME.",
		body: "## Dispositif\n\nLe chèque couvre 70 % des dépenses éligibles : logiciel de gestion, site marchand, paiement électronique, formation.\n\n" +
			"## Opérateur\n\nGéré par Maroc PME avec des prestataires labellisés par les fédérations.\n",
		steps: []demoStep{
			{"salma.berrada", "open", ""},
			{"youssef.elidrissi", "cosponsor", ""},
			{"salma.berrada", "submit", ""},
			{"fatimazahra.lahlou", "approve", "Approuvée, sous réserve d'un plafond global annuel."},
			{"fatimazahra.lahlou", "publish", ""},
		}},
	{lead: "amina.benali", pillar: "digital_economy", axis: "offshoring",
		title:   "Offshoring et nearshore : 50 000 emplois supplémentaires",
		summary: "Renforcer l'offre Maroc Offshore : nouveaux parcs, incitations à l'emploi qualifié, promotion auprès des donneurs d'ordre européens.",
		body:    "## Brouillon de travail\n\n- Deux nouveaux parcs à Fès et Oujda.\n- Prime à l'embauche de profils bac+5.\n- *À compléter : cible de pays.*\n",
		steps: []demoStep{
			{"youssef.elidrissi", "edit", "\n- Cible prioritaire : France, Espagne, Belgique.\n"},
		}},
	{lead: "omar.chraibi", pillar: "enablers", axis: "artificial_intelligence",
		title:   "L'intelligence artificielle au service de l'administration",
		summary: "Des projets pilotes d'IA dans trois administrations, encadrés par une charte éthique et une évaluation publique.",
		body:    "## Pilotes\n\n1. Tri automatique du courrier des citoyens.\n2. Assistant conversationnel en darija et en amazighe.\n3. Détection de fraude aux aides publiques.\n\n## Cadre\n\nUne charte publiée et un registre des algorithmes publics.\n",
		steps: []demoStep{
			{"amina.benali", "editor", ""},
			{"amina.benali", "edit", "\n## Données\n\nLes données d'entraînement restent hébergées au Maroc.\n"},
		}},
	{lead: "karim.tazi", pillar: "public_services",
		title:   "Identité numérique unifiée des citoyens",
		summary: "Étendre la CNIE électronique à un moyen d'identification en ligne accepté par tous les services publics et privés.",
		body:    "## Mesure\n\n- Authentification par la CNIE sur mobile.\n- Fédération d'identité pour les portails publics.\n- Ouverture encadrée aux banques et opérateurs.\n",
		steps: []demoStep{
			{"karim.tazi", "open", ""},
			{"nadia.alaoui", "cosponsor", ""},
			{"karim.tazi", "submit", ""},
			{"hicham.benjelloun", "approve", "Approuvée ; coordination avec la DGSN indispensable."},
		}},
	{lead: "youssef.elidrissi", pillar: "enablers", axis: "cloud_computing",
		title:   "Data centers : exonération totale de TVA sur l'électricité",
		summary: "Exonérer de TVA l'électricité consommée par les data centers installés au Maroc.",
		body:    "## Mesure\n\nExonération de TVA sur l'électricité des data centers pendant 10 ans.\n",
		steps: []demoStep{
			{"youssef.elidrissi", "submit", ""},
			{"fatimazahra.lahlou", "reject", "Une exonération générale n'est pas envisageable ; proposez plutôt un tarif lié aux énergies renouvelables."},
		}},
	{lead: "nadia.alaoui", pillar: "enablers", axis: "digital_sovereignty",
		title:   "Gouvernance des données publiques",
		summary: "Une autorité de la donnée publique chargée de l'ouverture des données et de leur protection.",
		body:    "## Mesure\n\nCréation d'une autorité de la donnée publique.\n",
		steps: []demoStep{
			{"nadia.alaoui", "submit", ""},
			{"nadia.alaoui", "withdraw", ""},
		}},
	{lead: "leila.bennani", pillar: "enablers", axis: "digital_talent",
		title:   "Visa tech pour les talents numériques étrangers",
		summary: "Un visa de travail accéléré (15 jours) pour les experts numériques recrutés par des entreprises marocaines.",
		body:    "## Mesure\n\n- Procédure en ligne, délai de 15 jours.\n- Liste de métiers en tension revue chaque année.\n- Accès facilité pour les conjoints.\n",
		steps: []demoStep{
			{"leila.bennani", "open", ""},
			{"salma.berrada", "comment", "Utile pour nos membres ; la liste des métiers devrait être établie avec les fédérations."},
		}},
}

// HasDemoData reports whether the demo accounts exist already.
func (s *Store) HasDemoData(ctx context.Context) (bool, error) {
	var n int64
	err := s.Read(ctx).Model(&User{}).Where("email = ?", demoAccounts[0].Email+"@"+DemoDomain).Count(&n).Error
	return n > 0, dbError(err)
}

// SetDemoPasswords gives every demo account the password (already hashed).
func (s *Store) SetDemoPasswords(ctx context.Context, hash string) error {
	return s.Write(ctx, func(tx *Tx) error {
		return tx.Model(&User{}).Where("email LIKE ?", "%@"+DemoDomain).
			Updates(map[string]any{"password_hash": hash, "updated_at": s.Now()}).Error
	})
}

// DemoAccounts lists the demo accounts with their full addresses.
func DemoAccounts() []DemoAccount {
	out := make([]DemoAccount, len(demoAccounts))
	for i, a := range demoAccounts {
		a.Email += "@" + DemoDomain
		out[i] = a
	}
	return out
}

// SeedDemo creates the demo accounts (with the hashed password) and the
// demo measures, through the same store functions people use, so the
// measures carry real revisions, reviews, comments and events.
func (s *Store) SeedDemo(ctx context.Context, passwordHash string) error {
	orgs, err := s.Organizations(ctx)
	if err != nil {
		return err
	}
	orgID := map[string]int64{}
	for _, o := range orgs {
		orgID[o.Slug] = o.ID
	}
	users := map[string]*User{}
	err = s.Write(ctx, func(tx *Tx) error {
		for _, a := range demoAccounts {
			now := s.Now()
			u := &User{Email: a.Email + "@" + DemoDomain, Name: a.Name, Role: a.Role, Status: StatusActive,
				PasswordHash: passwordHash, Locale: "fr", CreatedAt: now, UpdatedAt: now}
			if a.Org != "" {
				id, ok := orgID[a.Org]
				if !ok {
					return fmt.Errorf("demo: no organisation %q", a.Org)
				}
				u.OrganizationID = &id
			}
			if err := tx.Create(u).Error; err != nil {
				return err
			}
			users[a.Email] = u
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	for _, dm := range demoMeasures {
		if err := s.seedDemoMeasure(ctx, users, dm); err != nil {
			return fmt.Errorf("demo measure %q: %w", dm.title, err)
		}
	}
	return nil
}

func (s *Store) seedDemoMeasure(ctx context.Context, users map[string]*User, dm demoMeasure) error {
	m, err := s.CreateMeasure(ctx, users[dm.lead], NewMeasure{Title: dm.title, Summary: dm.summary, Body: dm.body, Pillar: dm.pillar, Axis: dm.axis})
	if err != nil {
		return err
	}
	id := m.ID
	// Editors of demo measures: the author and the other member of the
	// same federation, so that editing steps by either work.
	for _, step := range dm.steps {
		u := users[step.by]
		if u == nil {
			return fmt.Errorf("no demo account %q", step.by)
		}
		cur, err := s.MeasureByID(ctx, users["sara.kettani"], id)
		if err != nil {
			return err
		}
		switch step.action {
		case "editor":
			_, err = s.AddEditor(ctx, users[dm.lead], id, u.ID)
		case "edit":
			if !cur.IsEditorID(u.ID) {
				if _, err = s.AddEditor(ctx, users[dm.lead], id, u.ID); err != nil {
					return err
				}
			}
			body := strings.TrimRight(cur.Body, "\n") + "\n" + step.text
			_, err = s.UpdateMeasure(ctx, u, id, MeasureChange{Body: &body, Revision: cur.Revision})
		case "open":
			v := VisibilityPlatform
			_, err = s.UpdateMeasure(ctx, u, id, MeasureChange{Visibility: &v, Revision: cur.Revision})
		case "submit":
			_, err = s.TransitionMeasure(ctx, u, id, TransSubmit, 0)
		case "withdraw":
			_, err = s.TransitionMeasure(ctx, u, id, TransWithdraw, 0)
		case "amend":
			_, err = s.TransitionMeasure(ctx, u, id, TransAmend, 0)
		case "approve", "changes", "reject":
			decision := map[string]string{"approve": DecisionApproved, "changes": DecisionChangesRequested, "reject": DecisionRejected}[step.action]
			_, _, err = s.ReviewMeasure(ctx, u, id, ReviewInput{Decision: decision, Note: step.text, Revision: cur.Revision})
		case "publish":
			_, err = s.PublishMeasure(ctx, u, id, step.text)
		case "cosponsor":
			err = s.Cosponsor(ctx, u, id)
		case "comment":
			_, err = s.CreateComment(ctx, u, id, NewComment{Body: step.text})
		default:
			err = fmt.Errorf("unknown demo step %q", step.action)
		}
		if err != nil {
			return fmt.Errorf("%s by %s: %w", step.action, step.by, err)
		}
	}
	return nil
}
