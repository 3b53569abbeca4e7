package server

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"pacte/models"
)

// The viewer-independent part of the measure page (the measure with its
// editors, co-sponsors, reviews and published text, its latest revisions
// and their authors, the rendered bodies), kept in a small LRU. The key
// holds everything it depends on: the newest event of the whole log (every
// change to a measure's editors, co-sponsors, reviews or status, and every
// change to a person, writes one) and the measure row's update time and
// co-editing version (co-editing writes the body without an event). A
// viewer's right to see the measure is checked on every request against
// the cached access.
type measureViewKey struct {
	id, event int64
	updated   time.Time
	collab    int64
}

type measureView struct {
	key           measureViewKey
	detail        *models.MeasureDetail // shared, read only
	revisions     []models.Revision
	moreRevisions bool
	authors       map[int64]*models.User
	bodyHTML      string
	publishedHTML string

	mu        sync.Mutex
	fragments map[fragmentsKey]*measureFragments
}

// measureFragments are the page's viewer-independent sections, rendered
// once per language and reference data (organisation names).
type measureFragments struct {
	Head, Reviews, Facts, History string
}

type fragmentsKey struct {
	locale string
	zone   string // dates are shown in the viewer's time zone
	refs   *measureRefs
}

// fragments renders (or gives back) the sections of the page that are the
// same for every viewer, with p (whose Data is already filled) as dot.
func (s *Server) fragments(v *measureView, p *Page, refs *measureRefs) (*measureFragments, error) {
	k := fragmentsKey{p.Locale, p.TimeZoneName(), refs}
	v.mu.Lock()
	f := v.fragments[k]
	v.mu.Unlock()
	if f != nil {
		return f, nil
	}
	t, ok := s.views.pages["measure"]
	if !ok {
		return nil, fmt.Errorf("no template for page %q", "measure")
	}
	var buf strings.Builder
	f = &measureFragments{}
	for _, part := range []struct {
		name string
		out  *string
	}{{"measure-head", &f.Head}, {"measure-reviews", &f.Reviews}, {"measure-facts", &f.Facts}, {"measure-history", &f.History}} {
		buf.Reset()
		if err := t.ExecuteTemplate(&buf, part.name, p); err != nil {
			return nil, fmt.Errorf("render %s: %w", part.name, err)
		}
		*part.out = buf.String()
	}
	v.mu.Lock()
	if v.fragments == nil || len(v.fragments) >= 8 {
		v.fragments = map[fragmentsKey]*measureFragments{}
	}
	v.fragments[k] = f
	v.mu.Unlock()
	return f, nil
}

const measureViewEntries = 256

func newMeasureViewCache() *cache[measureViewKey, *measureView] {
	return newCache[measureViewKey, *measureView](measureViewEntries, 0, nil)
}

// measureView gives the viewer-independent part of a measure's page, from
// the cache when nothing changed since eventID (read before anything else
// of the measure, so an entry is never older than its key). It answers
// not found for a measure the viewer may not see.
func (s *Server) measureView(ctx context.Context, viewer *models.User, id, eventID int64) (*measureView, error) {
	updated, collab, found, err := s.store.MeasureStamp(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, models.NotFound("Measure")
	}
	key := measureViewKey{id: id, event: eventID, updated: updated, collab: collab}
	if v, ok := s.measureViews.get(key); ok {
		if !models.CanSeeMeasure(viewer, v.detail.Access()) {
			return nil, models.NotFound("Measure")
		}
		return v, nil
	}
	d, err := s.store.MeasureDetail(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	revs, err := s.store.ListRevisionsFor(ctx, viewer, d.Access(), "", 5)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for i := range revs.Items {
		ids = append(ids, revs.Items[i].Authors()...)
	}
	authors, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	v := &measureView{key: key, detail: d, revisions: revs.Items, moreRevisions: revs.NextCursor != "",
		authors: authors, bodyHTML: s.renderBody(d.Body)}
	if d.Published != nil {
		v.publishedHTML = s.renderBody(d.Published.Body)
	}
	// Only an entry read entirely after its key is safe to share.
	if d.UpdatedAt.Equal(updated) && d.CollabVersion == collab {
		s.measureViews.put(key, v)
	}
	return v, nil
}
