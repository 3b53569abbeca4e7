package pact

import (
	"time"

	"pacte/i18n"
)

// Labels are the words of the document in its language (i18n/*.pact.json),
// so that the PDF, the print page and the exports say the same thing.
type Labels struct {
	Title         string // "Pacte Maroc Digital"
	Subtitle      string // what the document is
	Contents      string // table of contents
	Lead          string // "Lead federation"
	Cosponsors    string // "Co-sponsored by"
	NoCosponsors  string
	Approved      string // "Approved on"
	Published     string // "Published on"
	Revision      string // "Revision"
	Annex         string // the annex's title
	AnnexIntro    string // what the annex is for
	Fingerprint   string // "SHA-256"
	Generated     string // "Generated on %s" (one %s: the date)
	Page          string // "Page %d of %d" (page, pages)
	MeasureCount  string // "%d measures" (plural, in the language)
	Verify        string // how to check the document (one %s: the key's address)
	NoAxis        string // heading of a pillar's measures without an axis
	Empty         string // the document when nothing is published
	MeasureNumber string // "Measure %d"
}

// LabelsFor fills the labels of lang from the catalogue.
func LabelsFor(cat *i18n.Catalog, lang string, measures int) Labels {
	t := func(k string, args ...any) string { return cat.T(lang, "pact."+k, args...) }
	return Labels{Title: t("title"), Subtitle: t("subtitle"), Contents: t("contents"), Lead: t("lead"),
		Cosponsors: t("cosponsors"), NoCosponsors: t("no_cosponsors"), Approved: t("approved"),
		Published: t("published"), Revision: t("revision"), Annex: t("annex"), AnnexIntro: t("annex_intro"),
		Fingerprint: t("fingerprint"), Generated: t("generated"), Page: t("page"),
		MeasureCount: cat.N(lang, "pact.measure_count", measures), Verify: t("verify"),
		NoAxis: t("no_axis"), Empty: t("empty"), MeasureNumber: t("measure_number")}
}

// FormatDate writes a date as the language does (4 décembre 2026,
// 4 December 2026, 4 دجنبر 2026: Latin digits, as Moroccan print uses) in
// the zone given (the Pact's dates are Morocco's: models.DefaultTimeZone).
func FormatDate(t time.Time, loc *time.Location, lang string) string {
	return i18n.FormatDate(t, loc, lang)
}
