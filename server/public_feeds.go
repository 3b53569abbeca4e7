package server

import (
	"bytes"
	"context"
	"encoding/xml"
	"slices"
	"strconv"

	"github.com/gorilla/feeds"
	"github.com/labstack/echo/v4"

	"pacte/models"
	"pacte/pact"
)

// pactFeed is /pacte/feed.atom?lang=: the publications, newest first, in
// one language (gorilla/feeds writes the Atom).
func (s *Server) pactFeed(c echo.Context) error {
	lang := publicLang(c)
	return s.servePublic(c, publicKey{route: "feed", lang: lang}, func(ctx context.Context) (*built, error) {
		snap, err := s.pactSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		doc := s.doc(snap, lang)
		t := func(k string) string { return s.i18n.T(lang, k) }
		f := &feeds.Feed{Title: doc.Labels.Title, Description: t("portal.feed.subtitle"),
			Link: &feeds.Link{Href: s.cfg.BaseURL + "/pacte" + langQuery(lang)}, Author: &feeds.Author{Name: doc.Labels.Title},
			Updated: snap.changed, Created: snap.changed}
		ms := doc.Measures()
		slices.SortStableFunc(ms, func(a, b pact.Measure) int { return b.PublishedAt.Compare(a.PublishedAt) })
		for _, m := range ms {
			f.Items = append(f.Items, &feeds.Item{
				Title: m.Title, Link: &feeds.Link{Href: m.URL + langQuery(lang)},
				Id:          s.cfg.BaseURL + "/pacte/" + strconv.FormatInt(m.ID, 10),
				Description: xmlText(m.Summary), Content: s.renderBody(m.Body),
				Created: m.PublishedAt, Updated: m.PublishedAt,
			})
		}
		var buf bytes.Buffer
		if err := f.WriteAtom(&buf); err != nil {
			return nil, err
		}
		return &built{body: buf.Bytes(), contentType: "application/atom+xml; charset=utf-8", lastModified: snap.changed}, nil
	})
}

func langQuery(lang string) string {
	if lang == models.Locales[0] {
		return ""
	}
	return "?lang=" + lang
}

// xmlText escapes plain text for a field the feed declares as HTML.
func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// sitemap is /sitemap.xml: the portal and every published measure, each
// with its pages in the other languages (hreflang alternates).
func (s *Server) sitemap(c echo.Context) error {
	return s.servePublic(c, publicKey{route: "sitemap"}, func(ctx context.Context) (*built, error) {
		snap, err := s.pactSnapshot(ctx)
		if err != nil {
			return nil, err
		}
		type link struct {
			Rel      string `xml:"rel,attr"`
			Hreflang string `xml:"hreflang,attr"`
			Href     string `xml:"href,attr"`
		}
		type entry struct {
			Loc     string `xml:"loc"`
			LastMod string `xml:"lastmod,omitempty"`
			Links   []link `xml:"xhtml:link"`
		}
		type urlset struct {
			XMLName xml.Name `xml:"urlset"`
			NS      string   `xml:"xmlns,attr"`
			XHTML   string   `xml:"xmlns:xhtml,attr"`
			URLs    []entry  `xml:"url"`
		}
		set := urlset{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", XHTML: "http://www.w3.org/1999/xhtml"}
		add := func(path, lastmod string) {
			alts := make([]link, 0, len(models.Locales))
			for _, l := range models.Locales {
				alts = append(alts, link{Rel: "alternate", Hreflang: l, Href: s.cfg.BaseURL + path + langQuery(l)})
			}
			for _, l := range models.Locales {
				set.URLs = append(set.URLs, entry{Loc: s.cfg.BaseURL + path + langQuery(l), LastMod: lastmod, Links: alts})
			}
		}
		changed := ""
		if !snap.changed.IsZero() {
			changed = snap.changed.UTC().Format("2006-01-02")
		}
		add("/pacte", changed)
		add("/pacte/print", changed)
		for _, m := range snap.measures {
			add(publicPath(m.ID, m.Title), m.ChangedAt.UTC().Format("2006-01-02"))
		}
		var buf bytes.Buffer
		buf.WriteString(xml.Header)
		if err := xml.NewEncoder(&buf).Encode(set); err != nil {
			return nil, err
		}
		return &built{body: buf.Bytes(), contentType: "application/xml; charset=utf-8", lastModified: snap.changed}, nil
	})
}
