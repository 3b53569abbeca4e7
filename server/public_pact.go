package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/singleflight"

	"pacte/models"
	"pacte/pact"
)

// publicSite serves the public side of the Pact (portal, feed, sitemap,
// documents, open data) from rendered responses kept in memory. Each
// response is made once per state of the public Pact: the hub bumps the
// version when an event may change what the public sees (observe), and an
// entry of an older version is made again. ETags are hashes of the bytes,
// so a response made again with nothing changed keeps its ETag and
// readers still get their 304.
type publicSite struct {
	version atomic.Int64
	entries *cache[publicKey, *publicEntry]
	flight  singleflight.Group
	snap    atomic.Pointer[pactSnapshot] // the latest read (pactSnapshot)
	// changed wakes the warmer (public_documents.go) after a change; one
	// pending wake is enough.
	changed chan struct{}
	stop    context.CancelFunc // the warmer's, set by Start
	done    chan struct{}      // closed when the warmer has stopped
}

type publicKey struct {
	route, lang, query string
}

type publicEntry struct {
	version      int64
	body         []byte
	contentType  string
	etag         string
	lastModified time.Time
	filename     string // a download's name; "" for pages
}

func newPublicSite() *publicSite {
	return &publicSite{entries: newCache[publicKey, *publicEntry](512, 256<<20,
		func(e *publicEntry) int { return len(e.body) }), changed: make(chan struct{}, 1), done: make(chan struct{})}
}

// observe bumps the version on the events that change the public Pact
// (changesPublicPact). Called by the hub for every event, in order,
// whichever instance wrote it.
func (p *publicSite) observe(ev models.Event) {
	if !changesPublicPact(ev) {
		return
	}
	p.version.Add(1)
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// changesPublicPact reports whether ev can change what the public sees:
// a publication or unpublication, or a change of status or co-sponsors of
// a measure that is published (an amendment approved, a federation
// joining). Drafts moving along leave the public caches and PDFs alone.
func changesPublicPact(ev models.Event) bool {
	switch ev.Type {
	case "measure.published", "measure.unpublished":
		return true
	case "user.erased":
		// Mentions of the person in measures' texts, published ones
		// included, were given the pseudonym.
		return strings.Contains(ev.Payload, `"measure_ids"`)
	case "measure.status_changed":
		m, _ := ev.Data()["measure"].(map[string]any)
		return m["published_at"] != nil
	case "cosponsor.added", "cosponsor.removed":
		return ev.Data()["published_at"] != nil
	}
	return false
}

// fresh reports whether the response of key is cached for the present
// state of the public Pact.
func (p *publicSite) fresh(key publicKey) bool {
	e, ok := p.entries.get(key)
	return ok && e.version == p.version.Load()
}

// built is a public response being made: its bytes and what it depends on.
type built struct {
	body         []byte
	contentType  string
	lastModified time.Time
	filename     string
}

// servePublic answers a public GET from the cache, making the response
// with build when the cached one is older than the public Pact. Concurrent
// requests for the same response wait for one making.
func (s *Server) servePublic(c echo.Context, key publicKey, build func(ctx context.Context) (*built, error)) error {
	e, err := s.publicEntry(c.Request().Context(), key, build)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", e.etag)
	if !e.lastModified.IsZero() {
		h.Set("Last-Modified", e.lastModified.Format(http.TimeFormat))
	}
	// A minute fresh, then revalidated (cheaply: 304); a CDN may serve a
	// stale copy for up to ten minutes while it revalidates, never longer.
	h.Set("Cache-Control", "public, max-age=60, stale-while-revalidate=600")
	h.Set("Content-Type", e.contentType)
	if e.filename != "" {
		h.Set("Content-Disposition", `attachment; filename="`+e.filename+`"`)
	}
	if notModified(c.Request(), e) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, e.contentType, e.body)
}

// publicEntry gives the cached response of key for the present state of
// the public Pact, making it with build when there is none.
func (s *Server) publicEntry(ctx context.Context, key publicKey, build func(ctx context.Context) (*built, error)) (*publicEntry, error) {
	p := s.public
	v := p.version.Load()
	if e, ok := p.entries.get(key); ok && e.version == v {
		return e, nil
	}
	flightKey := key.route + "\x00" + key.lang + "\x00" + key.query + "\x00" + strconv.FormatInt(v, 10)
	res, err, _ := p.flight.Do(flightKey, func() (any, error) {
		// Not the caller's context: the response is shared by every
		// reader waiting for it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		b, err := build(ctx)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b.body)
		ne := &publicEntry{version: v, body: b.body, contentType: b.contentType, filename: b.filename,
			etag: `"` + hex.EncodeToString(sum[:16]) + `"`, lastModified: b.lastModified.UTC().Truncate(time.Second)}
		p.entries.put(key, ne)
		return ne, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*publicEntry), nil
}

// notModified applies If-None-Match, or else If-Modified-Since (RFC 9110
// §13.2.2).
func notModified(r *http.Request, e *publicEntry) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range splitETags(inm) {
			if tag == "*" || tag == e.etag || tag == "W/"+e.etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !e.lastModified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !e.lastModified.After(t) {
			return true
		}
	}
	return false
}

func splitETags(h string) []string {
	var out []string
	start := -1
	quoted := false
	for i := 0; i <= len(h); i++ {
		if i == len(h) || (!quoted && (h[i] == ',' || h[i] == ' ')) {
			if start >= 0 {
				out = append(out, h[start:i])
				start = -1
			}
			continue
		}
		if h[i] == '"' {
			quoted = !quoted
		}
		if start < 0 {
			start = i
		}
	}
	return out
}

// pactSnapshot is the public Pact read from the database at one moment,
// with the reference data that names things. It is made once per state of
// the public Pact (version) and shared by every response of that state;
// each language's arrangement of it is made once too (doc).
type pactSnapshot struct {
	version  int64
	measures []models.PublicMeasure
	refs     *measureRefs
	changed  time.Time

	mu   sync.Mutex
	docs map[string]*pact.Document // by language, read only once made
}

// pactSnapshot gives the snapshot of the present state, reading it once.
func (s *Server) pactSnapshot(ctx context.Context) (*pactSnapshot, error) {
	v := s.public.version.Load()
	if snap := s.public.snap.Load(); snap != nil && snap.version == v {
		return snap, nil
	}
	res, err, _ := s.public.flight.Do("snapshot\x00"+strconv.FormatInt(v, 10), func() (any, error) {
		snap, err := s.loadPactSnapshot(ctx, v)
		if err != nil {
			return nil, err
		}
		s.public.snap.Store(snap)
		return snap, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*pactSnapshot), nil
}

// loadPactSnapshot reads the public Pact from the database, for the state
// version (the one the caller saw before reading).
func (s *Server) loadPactSnapshot(ctx context.Context, version int64) (*pactSnapshot, error) {
	ms, err := s.store.PublicMeasures(ctx)
	if err != nil {
		return nil, err
	}
	refs, err := s.measureRefs(ctx)
	if err != nil {
		return nil, err
	}
	changed, err := s.store.PublicChangedAt(ctx)
	if err != nil {
		return nil, err
	}
	return &pactSnapshot{version: version, measures: ms, refs: refs, changed: changed, docs: map[string]*pact.Document{}}, nil
}

// doc is the snapshot arranged as the Pact in one language, made once.
func (s *Server) doc(snap *pactSnapshot, lang string) *pact.Document {
	snap.mu.Lock()
	defer snap.mu.Unlock()
	d, ok := snap.docs[lang]
	if !ok {
		d = s.document(snap, lang)
		snap.docs[lang] = d
	}
	return d
}

// stillCurrent reports whether the published measures are still the ones
// of the snapshot (same ids, same approved revisions): a document that took
// seconds to make is made again if a measure was unpublished meanwhile.
func (s *Server) stillCurrent(ctx context.Context, snap *pactSnapshot) (bool, error) {
	now, err := s.store.PublicMeasures(ctx)
	if err != nil {
		return false, err
	}
	return slices.EqualFunc(now, snap.measures, func(a, b models.PublicMeasure) bool {
		return a.ID == b.ID && a.Revision == b.Revision && slices.Equal(a.CosponsorIDs, b.CosponsorIDs)
	}), nil
}

// document arranges the snapshot as the Pact in one language: by pillar and
// axis in taxonomy order, measures without an axis first in their pillar.
func (s *Server) document(snap *pactSnapshot, lang string) *pact.Document {
	doc := &pact.Document{Lang: lang, Issuer: s.cfg.BaseURL, GeneratedAt: s.store.Now().UTC(),
		Labels: pact.LabelsFor(s.i18n, lang, len(snap.measures))}
	org := func(id int64) pact.Organization {
		o := snap.refs.OrgByID[id]
		return pact.Organization{Slug: o.Slug, Name: o.Name(lang)}
	}
	for _, p := range snap.refs.Pillars {
		pp := pact.Pillar{Key: p.Key, Name: p.Name(lang)}
		axes := append([]models.Axis{{Key: "", PillarKey: p.Key}}, p.Axes...)
		for _, a := range axes {
			pa := pact.Axis{Key: a.Key, Name: a.Name(lang)}
			if a.Key == "" {
				pa.Name = doc.Labels.NoAxis
			}
			for _, m := range snap.measures {
				if m.Pillar != p.Key || m.Axis != a.Key {
					continue
				}
				pm := pact.Measure{ID: m.ID, Title: m.Title, Summary: m.Summary, Body: m.Body, Pillar: m.Pillar,
					Axis: m.Axis, PillarName: pp.Name, Lead: org(m.LeadOrganizationID), Revision: m.Revision,
					SHA256: pact.TextHash(m.Title, m.Summary, m.Body), ApprovedAt: m.ApprovedAt, PublishedAt: m.PublishedAt}
				if a.Key != "" {
					pm.AxisName = pa.Name
				}
				for _, id := range m.CosponsorIDs {
					pm.Cosponsors = append(pm.Cosponsors, org(id))
				}
				pm.URL = s.cfg.BaseURL + publicPath(m.ID, m.Title)
				pa.Measures = append(pa.Measures, pm)
			}
			if len(pa.Measures) > 0 {
				pp.Axes = append(pp.Axes, pa)
			}
		}
		if len(pp.Axes) > 0 {
			doc.Pillars = append(doc.Pillars, pp)
		}
	}
	return doc
}

// publicPath is a measure's public page: /pacte/<id>-<slug>.
func publicPath(id int64, title string) string {
	p := "/pacte/" + strconv.FormatInt(id, 10)
	if slug := pact.Slug(title); slug != "" {
		p += "-" + slug
	}
	return p
}

// publicLang is the language asked for (?lang=), the default for anything
// else: a bad value is not worth an error page.
func publicLang(c echo.Context) string {
	l := c.QueryParam("lang")
	if slices.Contains(models.Locales, l) {
		return l
	}
	return models.Locales[0]
}
