package models

import (
	"context"

	"gorm.io/gorm"
)

// Pillar is a pillar of Maroc Digital 2030, with its axes.
type Pillar struct {
	Key      string `gorm:"column:key;primaryKey"`
	Position int    `gorm:"column:position"`
	NameFr   string `gorm:"column:name_fr"`
	NameEn   string `gorm:"column:name_en"`
	NameAr   string `gorm:"column:name_ar"`
	Axes     []Axis `gorm:"-"`
}

// TableName tells GORM where pillars live.
func (Pillar) TableName() string { return "pillars" }

// Axis is an axis within a pillar.
type Axis struct {
	Key       string `gorm:"column:key;primaryKey"`
	PillarKey string `gorm:"column:pillar_key"`
	Position  int    `gorm:"column:position"`
	NameFr    string `gorm:"column:name_fr"`
	NameEn    string `gorm:"column:name_en"`
	NameAr    string `gorm:"column:name_ar"`
}

// TableName tells GORM where axes live.
func (Axis) TableName() string { return "axes" }

// Name gives the pillar's name in a locale.
func (p Pillar) Name(locale string) string { return pick(locale, p.NameFr, p.NameEn, p.NameAr) }

// Name gives the axis's name in a locale.
func (a Axis) Name(locale string) string { return pick(locale, a.NameFr, a.NameEn, a.NameAr) }

func pick(locale, fr, en, ar string) string {
	switch locale {
	case "en":
		return en
	case "ar":
		return ar
	}
	return fr
}

var seedOrganizations = []Organization{
	{Slug: "apebi", Kind: KindFederation,
		NameFr: "APEBI — Fédération des technologies de l'information, des télécommunications et de l'offshoring",
		NameEn: "APEBI — Federation of information technology, telecoms and offshoring",
		NameAr: "أبيبي — الفيدرالية المغربية لتكنولوجيا المعلومات والاتصالات والأوفشورينغ"},
	{Slug: "ausim", Kind: KindFederation,
		NameFr: "AUSIM — Association des utilisateurs des systèmes d'information au Maroc",
		NameEn: "AUSIM — Moroccan association of information-systems users",
		NameAr: "أوسيم — جمعية مستعملي نظم المعلومات بالمغرب"},
	{Slug: "mnc", Kind: KindFederation,
		NameFr: "MNC — Maroc Numeric Cluster",
		NameEn: "MNC — Maroc Numeric Cluster",
		NameAr: "المجمع المغربي للرقمنة"},
	{Slug: "msec", Kind: KindFederation,
		NameFr: "MSEC — Moroccan Startup Ecosystem Catalysts",
		NameEn: "MSEC — Moroccan Startup Ecosystem Catalysts",
		NameAr: "محفزو منظومة المقاولات الناشئة بالمغرب"},
	{Slug: "ministry", Kind: KindMinistry,
		NameFr: "Ministère de la Transition Numérique et de la Réforme de l'Administration",
		NameEn: "Ministry of Digital Transition and Administrative Reform",
		NameAr: "وزارة الانتقال الرقمي وإصلاح الإدارة"},
}

var seedPillars = []Pillar{
	{Key: "public_services", Position: 1,
		NameFr: "Digitalisation des services publics", NameEn: "Digitalising public services", NameAr: "رقمنة الخدمات العمومية"},
	{Key: "digital_economy", Position: 2,
		NameFr: "Économie numérique", NameEn: "Digital economy", NameAr: "الاقتصاد الرقمي",
		Axes: []Axis{
			{Key: "offshoring", NameFr: "Offshoring", NameEn: "Offshoring", NameAr: "ترحيل الخدمات (الأوفشورينغ)"},
			{Key: "startups", NameFr: "Écosystème des start-up", NameEn: "Start-up ecosystem", NameAr: "منظومة المقاولات الناشئة"},
			{Key: "sme_digitalisation", NameFr: "Digitalisation des PME", NameEn: "SME digitalisation", NameAr: "رقمنة المقاولات الصغرى والمتوسطة"},
			{Key: "youth_it_training", NameFr: "Formation des jeunes aux métiers du numérique", NameEn: "Youth IT training", NameAr: "تكوين الشباب في المهن الرقمية"},
		}},
	{Key: "enablers", Position: 3,
		NameFr: "Catalyseurs", NameEn: "Enablers", NameAr: "الممكنات",
		Axes: []Axis{
			{Key: "digital_talent", NameFr: "Talents numériques", NameEn: "Digital talent", NameAr: "الكفاءات الرقمية"},
			{Key: "cloud_computing", NameFr: "Cloud computing", NameEn: "Cloud computing", NameAr: "الحوسبة السحابية"},
			{Key: "network_5g", NameFr: "Couverture réseau et 5G", NameEn: "Network coverage and 5G", NameAr: "التغطية بالشبكة والجيل الخامس"},
			{Key: "artificial_intelligence", NameFr: "Intelligence artificielle", NameEn: "Artificial intelligence", NameAr: "الذكاء الاصطناعي"},
			{Key: "digital_sovereignty", NameFr: "Souveraineté et gouvernance numériques", NameEn: "Digital sovereignty and governance", NameAr: "السيادة والحكامة الرقمية"},
		}},
}

// seed inserts the organisations and the taxonomy on first start. Later
// starts leave them alone, so admins' edits stick.
func (s *Store) seed(ctx context.Context) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Organization{}).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			for _, o := range seedOrganizations {
				o.CreatedAt = s.Now()
				if err := tx.Create(&o).Error; err != nil {
					return err
				}
			}
		}
		if err := tx.Model(&Pillar{}).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			for _, p := range seedPillars {
				axes := p.Axes
				if err := tx.Create(&p).Error; err != nil {
					return err
				}
				for i, a := range axes {
					a.PillarKey, a.Position = p.Key, i+1
					if err := tx.Create(&a).Error; err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// Organizations lists every organisation, federations first.
func (s *Store) Organizations(ctx context.Context) ([]Organization, error) {
	var out []Organization
	err := s.Read(ctx).Order("kind, id").Find(&out).Error
	return out, dbError(err)
}

// OrganizationByID finds one organisation.
func (s *Store) OrganizationByID(ctx context.Context, id int64) (*Organization, error) {
	var o Organization
	if err := s.Read(ctx).First(&o, id).Error; err != nil {
		return nil, dbError(err)
	}
	return &o, nil
}

// Taxonomy gives the pillars in order with their axes.
func (s *Store) Taxonomy(ctx context.Context) ([]Pillar, error) {
	var pillars []Pillar
	if err := s.Read(ctx).Order("position").Find(&pillars).Error; err != nil {
		return nil, dbError(err)
	}
	var axes []Axis
	if err := s.Read(ctx).Order("pillar_key, position").Find(&axes).Error; err != nil {
		return nil, dbError(err)
	}
	for i := range pillars {
		for _, a := range axes {
			if a.PillarKey == pillars[i].Key {
				pillars[i].Axes = append(pillars[i].Axes, a)
			}
		}
	}
	return pillars, nil
}
