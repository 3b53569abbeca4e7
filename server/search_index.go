package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"pacte/models"
	"pacte/search"
)

// searchIndex keeps this instance's full-text index (package search) in
// step with the database by following the event log in order: each event
// names the measure or comment it changed, which is read again and written
// to the index together with the id of the last event applied. At start it
// catches up from that id; an index that is missing, corrupt or was never
// finished is rebuilt from the database. On PostgreSQL every instance keeps
// its own index and hears the others' events through the hub.
type searchIndex struct {
	store *models.Store
	ix    *search.Index
	log   *slog.Logger
	// wake is signalled (never blocking) when events were published.
	wake chan struct{}
	// carried remembers, per measure, what of it its comments' documents
	// were written with (carriedBy): when that changes, every comment of
	// the measure is written again. Empty at start, so a measure's first
	// change after a start rewrites its comments once.
	mu      sync.Mutex
	carried map[int64]string
	// applied is closed and replaced after each batch (tests and the
	// freshness of a writer's own next search wait on it).
	applied chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

// searchBatch is how many events, measures or comments one index write
// takes.
const searchBatch = 500

func openSearchIndex(dir string, store *models.Store, log *slog.Logger) (*searchIndex, bool, error) {
	// Open starts again from nothing when a rebuild was cut short: what it
	// wrote may include what was deleted since.
	ix, fresh, err := search.Open(dir)
	if err != nil {
		return nil, false, fmt.Errorf("search index in %s: %w", dir, err)
	}
	return &searchIndex{store: store, ix: ix, log: log, wake: make(chan struct{}, 1), carried: map[int64]string{},
		applied: make(chan struct{}), done: make(chan struct{})}, fresh, nil
}

// observe is called by the hub for every published event: the follower
// reads them from the log itself, so one wake-up covers any number.
func (si *searchIndex) observe(models.Event) {
	select {
	case si.wake <- struct{}{}:
	default:
	}
}

// start rebuilds the index when it must, then follows the log until
// close.
func (si *searchIndex) start(ctx context.Context, rebuild bool) {
	run, stop := context.WithCancel(context.WithoutCancel(ctx))
	si.stop = stop
	go func() {
		defer close(si.done)
		if rebuild {
			if _, err := si.rebuild(run); err != nil && run.Err() == nil {
				si.log.Warn("the search index could not be rebuilt; it will try again", "err", err)
			}
		}
		tick := time.NewTicker(5 * time.Second) // a missed wake-up costs at most this
		defer tick.Stop()
		for {
			if err := si.follow(run); err != nil && run.Err() == nil {
				si.log.Warn("the search index fell behind the event log", "err", err)
			}
			select {
			case <-run.Done():
				return
			case <-si.wake:
			case <-tick.C:
			}
		}
	}()
}

func (si *searchIndex) close() {
	if si.stop != nil {
		si.stop()
		<-si.done
	}
	si.ix.Close()
}

// rebuild writes every measure and comment again. The event id is read
// first, so what changes while it runs is applied after it.
func (si *searchIndex) rebuild(ctx context.Context) (ReindexResult, error) {
	var n ReindexResult
	began := time.Now()
	last, err := si.store.MaxEventID(ctx)
	if err != nil {
		return n, err
	}
	for after := int64(0); ; {
		ms, err := si.store.IndexMeasures(ctx, after, searchBatch)
		if err != nil {
			return n, err
		}
		if len(ms) == 0 {
			break
		}
		after = ms[len(ms)-1].ID
		docs, _, err := si.measureDocs(ctx, ms)
		if err != nil {
			return n, err
		}
		if err := si.ix.Apply(docs, nil, 0); err != nil {
			return n, err
		}
		n.Measures += len(ms)
	}
	for after := int64(0); ; {
		cs, err := si.store.IndexComments(ctx, models.IndexCommentFilter{AfterID: after, Limit: 4 * searchBatch})
		if err != nil {
			return n, err
		}
		if len(cs) == 0 {
			break
		}
		after = cs[len(cs)-1].ID
		docs, err := si.commentDocs(ctx, cs, nil)
		if err != nil {
			return n, err
		}
		if err := si.ix.Apply(docs, nil, 0); err != nil {
			return n, err
		}
		n.Comments += len(cs)
	}
	// Marking the last event makes the index complete: a rebuild cut short
	// leaves 0, and the next start rebuilds again (as it does, at no cost,
	// while the log is empty).
	if err := si.ix.Apply(nil, nil, last); err != nil {
		return n, err
	}
	si.signal()
	n.Took = time.Since(began)
	si.log.Info("search index rebuilt", "measures", n.Measures, "comments", n.Comments, "took", n.Took.Round(time.Millisecond).String())
	return n, nil
}

// follow applies the events after the last one indexed, a batch at a time.
func (si *searchIndex) follow(ctx context.Context) error {
	for {
		scan, err := si.store.EventsAfter(ctx, "", si.ix.LastEventID(), searchBatch)
		if err != nil {
			return err
		}
		if scan.Next == si.ix.LastEventID() {
			return nil
		}
		if err := si.apply(ctx, scan.Events, scan.Next); err != nil {
			return err
		}
		si.signal()
		if !scan.More {
			return nil
		}
	}
}

// apply writes what a run of events changed.
func (si *searchIndex) apply(ctx context.Context, evs []models.Event, last int64) error {
	var measureIDs, commentIDs []int64
	for _, ev := range evs {
		if strings.HasPrefix(ev.Type, "suggestion.") {
			// Nothing indexed changes (an accepted suggestion's text comes
			// with the measure.revision_saved it causes): many people
			// suggesting must not re-index the measure each time.
			continue
		}
		if id := ev.MeasureRef(); id != 0 && !slices.Contains(measureIDs, id) {
			measureIDs = append(measureIDs, id)
		}
		if id := eventCommentID(ev); id != 0 && !slices.Contains(commentIDs, id) {
			commentIDs = append(commentIDs, id)
		}
		if ev.Type == "user.erased" {
			// Mentions of the person in these comments and measures now say
			// the pseudonym.
			d := ev.Data()
			for _, v := range anySlice(d["comment_ids"]) {
				if f, ok := v.(float64); ok && !slices.Contains(commentIDs, int64(f)) {
					commentIDs = append(commentIDs, int64(f))
				}
			}
			for _, v := range anySlice(d["measure_ids"]) {
				if f, ok := v.(float64); ok && !slices.Contains(measureIDs, int64(f)) {
					measureIDs = append(measureIDs, int64(f))
				}
			}
		}
	}
	var docs []search.Doc
	var deletes []string
	if len(measureIDs) > 0 {
		ms, err := si.store.IndexMeasures(ctx, 0, 0, measureIDs...)
		if err != nil {
			return err
		}
		d, changed, err := si.measureDocs(ctx, ms)
		if err != nil {
			return err
		}
		docs = append(docs, d...)
		deletes = append(deletes, measureGone(ms, measureIDs)...)
		deletes = append(deletes, unpublished(ms, d)...)
		if len(changed) > 0 {
			// Their comments carry the old access: all of them again.
			cs, err := si.store.IndexComments(ctx, models.IndexCommentFilter{MeasureIDs: changed})
			if err != nil {
				return err
			}
			d, err := si.commentDocs(ctx, cs, ms)
			if err != nil {
				return err
			}
			docs = append(docs, d...)
			for _, c := range cs {
				commentIDs = slices.DeleteFunc(commentIDs, func(id int64) bool { return id == c.ID })
			}
		}
	}
	if len(commentIDs) > 0 {
		cs, err := si.store.IndexComments(ctx, models.IndexCommentFilter{IDs: commentIDs})
		if err != nil {
			return err
		}
		d, err := si.commentDocs(ctx, cs, nil)
		if err != nil {
			return err
		}
		docs = append(docs, d...)
		for _, id := range commentIDs {
			if !slices.ContainsFunc(cs, func(c models.IndexedComment) bool { return c.ID == id }) {
				deletes = append(deletes, search.Key(search.TypeComment, id)) // deleted
			}
		}
	}
	return si.ix.Apply(docs, deletes, last)
}

// measureGone gives the keys of the measures asked for that no longer
// exist.
func measureGone(ms []models.IndexedMeasure, ids []int64) []string {
	var out []string
	for _, id := range ids {
		if !slices.ContainsFunc(ms, func(m models.IndexedMeasure) bool { return m.ID == id }) {
			out = append(out, search.Key(search.TypeMeasure, id), search.Key(search.TypePublic, id))
		}
	}
	return out
}

// unpublished gives the keys of the published texts of measures in ms
// that measureDocs made none for: no longer (or never) published.
func unpublished(ms []models.IndexedMeasure, docs []search.Doc) []string {
	var out []string
	for _, m := range ms {
		if !slices.ContainsFunc(docs, func(d search.Doc) bool { return d.Type == search.TypePublic && d.ID == m.ID }) {
			out = append(out, search.Key(search.TypePublic, m.ID))
		}
	}
	return out
}

// measureDocs makes the documents of measures and of their published
// text, and reports the measures whose comments' documents are out of
// date: what of the measure they carry (title, taxonomy, status, access)
// changed since they were written, or is not known (the first change
// after a start).
func (si *searchIndex) measureDocs(ctx context.Context, ms []models.IndexedMeasure) ([]search.Doc, []int64, error) {
	if len(ms) == 0 {
		return nil, nil, nil
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	pub, err := si.store.PublicMeasures(ctx, ids...)
	if err != nil {
		return nil, nil, err
	}
	docs := make([]search.Doc, 0, len(ms)+len(pub))
	var changed []int64
	si.mu.Lock()
	defer si.mu.Unlock()
	for _, m := range ms {
		d := search.Doc{Type: search.TypeMeasure, ID: m.ID, MeasureID: m.ID, Title: m.Title, Summary: m.Summary,
			Body: m.Body, Pillar: m.Pillar, Axis: m.Axis, Status: m.Status, At: m.UpdatedAt}
		withAccess(&d, m.Access)
		docs = append(docs, d)
		if c := carriedBy(m); si.carried[m.ID] != c {
			changed = append(changed, m.ID)
			si.carried[m.ID] = c // apply writes the comments again
		}
	}
	for _, p := range pub {
		docs = append(docs, search.Doc{Type: search.TypePublic, ID: p.ID, MeasureID: p.ID, Title: p.Title, Summary: p.Summary,
			Body: p.Body, Pillar: p.Pillar, Axis: p.Axis, Status: models.StatusApproved,
			LeadOrgID: p.LeadOrganizationID, OrgIDs: append([]int64{p.LeadOrganizationID}, p.CosponsorIDs...),
			Visibility: models.VisibilityPlatform, At: p.PublishedAt})
	}
	return docs, changed, nil
}

// commentDocs makes the documents of comments, each with its measure's
// title and access (from ms when there, else read).
func (si *searchIndex) commentDocs(ctx context.Context, cs []models.IndexedComment, ms []models.IndexedMeasure) ([]search.Doc, error) {
	byID := map[int64]*models.IndexedMeasure{}
	for i := range ms {
		byID[ms[i].ID] = &ms[i]
	}
	var missing []int64
	for _, c := range cs {
		if _, ok := byID[c.MeasureID]; !ok && !slices.Contains(missing, c.MeasureID) {
			missing = append(missing, c.MeasureID)
		}
	}
	if len(missing) > 0 {
		more, err := si.store.IndexMeasures(ctx, 0, 0, missing...)
		if err != nil {
			return nil, err
		}
		for i := range more {
			byID[more[i].ID] = &more[i]
		}
	}
	docs := make([]search.Doc, 0, len(cs))
	for _, c := range cs {
		m, ok := byID[c.MeasureID]
		if !ok {
			continue
		}
		d := search.Doc{Type: search.TypeComment, ID: c.ID, MeasureID: c.MeasureID, Title: m.Title, Body: c.Body,
			Pillar: m.Pillar, Axis: m.Axis, Status: m.Status, Hidden: c.Hidden, At: c.CreatedAt}
		withAccess(&d, m.Access)
		docs = append(docs, d)
	}
	return docs, nil
}

func withAccess(d *search.Doc, a models.MeasureAccess) {
	d.LeadOrgID, d.Visibility = a.LeadOrgID, a.Visibility
	d.OrgIDs = append([]int64{a.LeadOrgID}, a.CosponsorOrgIDs...)
	d.EditorIDs = a.EditorIDs
}

// carriedBy is what of a measure its comments' documents carry.
func carriedBy(m models.IndexedMeasure) string {
	a := m.Access
	return fmt.Sprint(m.Title, m.Pillar, m.Axis, m.Status, a.Visibility, a.LeadOrgID, a.CosponsorOrgIDs, a.EditorIDs)
}

// eventCommentID is the comment a comment.* event concerns, or 0.
func eventCommentID(ev models.Event) int64 {
	if !strings.HasPrefix(ev.Type, "comment.") {
		return 0
	}
	switch v := ev.Data()["comment_id"].(type) {
	case float64:
		return int64(v)
	case string:
		id, _ := strconv.ParseInt(v, 10, 64)
		return id
	}
	return 0
}

func anySlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// signal wakes whoever waits for the next applied batch.
func (si *searchIndex) signal() {
	si.mu.Lock()
	close(si.applied)
	si.applied = make(chan struct{})
	si.mu.Unlock()
}

// caughtUp waits (up to ctx) until the index has applied every event up to
// id.
func (si *searchIndex) caughtUp(ctx context.Context, id int64) error {
	for si.ix.LastEventID() < id {
		si.mu.Lock()
		ch := si.applied
		si.mu.Unlock()
		if si.ix.LastEventID() >= id {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return errors.New("the search index is behind")
		}
	}
	return nil
}

// ReindexResult is what Reindex wrote.
type ReindexResult struct {
	Measures, Comments int
	Took               time.Duration
}

// Reindex rebuilds the search index in dir from the database: `pacte
// reindex`. It refuses while a server uses the index (that server keeps it
// current; stop it first), then starts from an empty index.
func Reindex(ctx context.Context, store *models.Store, dir string, log *slog.Logger) (ReindexResult, error) {
	ix, _, err := search.Open(dir)
	if err != nil {
		if errors.Is(err, search.ErrInUse) {
			return ReindexResult{}, fmt.Errorf("the search index in %s is in use by a running Pacte: stop it first (a running server keeps its index current and rebuilds a broken one at start)", dir)
		}
		return ReindexResult{}, err
	}
	ix.Close()
	if err := search.Remove(dir); err != nil {
		return ReindexResult{}, err
	}
	si, _, err := openSearchIndex(dir, store, log)
	if err != nil {
		return ReindexResult{}, err
	}
	defer si.ix.Close()
	began := time.Now()
	n, err := si.rebuild(ctx)
	n.Took = time.Since(began)
	return n, err
}
