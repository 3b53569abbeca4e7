// Package search is Pacte's full-text index of measures and comments: one
// bleve index on disk, fed by the server from its event log, answering
// searches for one viewer's Scope. It decides no permission: the server
// fills each Doc with what visibility depends on and each Scope with what
// its policy allows, and this package only applies them, to hits and facet
// counts alike.
package search

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Index is the open full-text index. Search may run concurrently with
// itself and with Apply; Apply calls are serialised so that the recorded
// event id only moves forward.
type Index struct {
	b        bleve.Index
	analyzer analysis.Analyzer // the "pacte" analyzer of the open mapping
	prefix   analysis.Analyzer // the word being typed (see prefixAnalyzerName)
	snip     snippeter

	mu        sync.Mutex // serialises writes
	lastEvent atomic.Int64
	gen       atomic.Uint64 // bumped after every write: cached answers of older generations are stale
	cache     *resultCache
	closeOnce sync.Once
}

// ErrInUse is Open's error when another process (a running server) holds
// the index.
var ErrInUse = errors.New("index in use by another process")

// Remove deletes the index in dir, refusing a directory that holds
// anything else. The caller makes sure no process uses it (Open first).
func Remove(dir string) error { return removeIndexDir(dir) }

// openConfig is bleve's runtime configuration. bolt_timeout makes a second
// process opening the same directory fail instead of waiting forever on
// the file lock (each server instance needs its own index directory).
func openConfig() map[string]interface{} {
	return map[string]interface{}{"bolt_timeout": "2s"}
}

// Open opens the index in dir ("" keeps it in memory), creating it when
// missing. When the index is
// corrupt, was built with another mapping version, or never recorded an
// event id (a rebuild that did not finish), it is removed and created
// again. rebuild reports that the index is new and empty: the caller must
// fill it from the database (see Apply) before trusting its answers.
func Open(dir string) (ix *Index, rebuild bool, err error) {
	return OpenWith(dir, Options{})
}

// Options change how an index is opened.
type Options struct {
	// NoCache turns off the cache of recent answers (benchmarks measure
	// the search itself with it).
	NoCache bool
}

// OpenWith is Open with options.
func OpenWith(dir string, o Options) (ix *Index, rebuild bool, err error) {
	if dir == "" {
		// In memory: gone at Close, so always to be filled (tests, and a
		// server given no data directory).
		b, err := create("")
		if err != nil {
			return nil, false, err
		}
		ix, _, err = newIndex(b, o)
		return ix, err == nil, err
	}
	b, why, err := openExisting(dir)
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, false, fmt.Errorf("search: open %s: %w (%v)", dir, ErrInUse, err)
	case errors.Is(err, fs.ErrPermission):
		return nil, false, fmt.Errorf("search: open %s: %w", dir, err) // a setup error, not a broken index
	case err == nil && b != nil && why == "":
		return newIndex(b, o)
	case b != nil:
		_ = b.Close()
	}
	// Broken, outdated, or none yet (but maybe the leftovers of a create
	// that crashed): clear the directory, if it is ours, and start afresh.
	if err := removeIndexDir(dir); err != nil {
		return nil, false, err
	}
	b, err = create(dir)
	if err != nil {
		return nil, false, err
	}
	ix, _, err = newIndex(b, o)
	if err != nil {
		return nil, false, err
	}
	return ix, true, nil
}

// openExisting opens the index at dir and checks it. It returns no index
// and no error when there is none yet; an index and a reason when it must
// be rebuilt; an error when it cannot be opened. bleve may panic on
// garbage in its files, so a panic counts as corruption.
func openExisting(dir string) (b bleve.Index, why string, err error) {
	if _, err := os.Stat(filepath.Join(dir, "index_meta.json")); errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	defer func() {
		if r := recover(); r != nil {
			if b != nil {
				_ = b.Close()
			}
			b, why, err = nil, "", fmt.Errorf("search: open: corrupt index: %v", r)
		}
	}()
	b, err = bleve.OpenUsing(dir, openConfig())
	if err != nil {
		return nil, "", err
	}
	ver, err := b.GetInternal([]byte(internalVer))
	if err != nil {
		return b, "", err
	}
	if string(ver) != mappingVersion {
		return b, "mapping version " + strconv.Quote(string(ver)), nil
	}
	if last, err := readLastEvent(b); err != nil || last <= 0 {
		return b, "unfinished rebuild", err
	}
	// Touch every segment once: garbage in a segment shows here rather
	// than in the first user's search.
	if _, err := b.DocCount(); err != nil {
		return b, "", err
	}
	req := bleve.NewSearchRequestOptions(bleve.NewMatchAllQuery(), 1, 0, false)
	req.Fields = []string{fieldMeasure}
	if _, err := b.Search(req); err != nil {
		return b, "", err
	}
	return b, "", nil
}

// removeIndexDir deletes a broken index, but only a directory that looks
// like one: a wrong path in the configuration must not erase anything else.
func removeIndexDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("search: remove index: %w", err)
	}
	for _, e := range entries {
		switch e.Name() {
		case "index_meta.json", "index_meta.json_temp", "store":
		default:
			return fmt.Errorf("search: %s holds %q: not an index directory, not removing it", dir, e.Name())
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("search: remove index: %w", err)
	}
	return nil
}

// create makes a new, empty index at dir and records the mapping version.
func create(dir string) (bleve.Index, error) {
	im, err := newMapping()
	if err != nil {
		return nil, err
	}
	b, err := bleve.NewUsing(dir, im, scorch.Name, scorch.Name, openConfig())
	if err != nil {
		return nil, fmt.Errorf("search: create %s: %w", dir, err)
	}
	if err := b.SetInternal([]byte(internalVer), []byte(mappingVersion)); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("search: create %s: %w", dir, err)
	}
	return b, nil
}

// newIndex wraps an open bleve index. The analyzers come from the index's
// own stored mapping, so that queries are analysed exactly as the
// documents were.
func newIndex(b bleve.Index, o Options) (*Index, bool, error) {
	m := b.Mapping()
	ix := &Index{b: b, analyzer: m.AnalyzerNamed(analyzerName), prefix: m.AnalyzerNamed(prefixAnalyzerName)}
	if ix.analyzer == nil || ix.prefix == nil {
		_ = b.Close()
		return nil, false, errors.New("search: open: the index mapping lacks its analyzers")
	}
	ix.snip = newSnippeter()
	entries := DefaultCacheEntries
	if o.NoCache {
		entries = 0
	}
	cache, err := newResultCache(entries)
	if err != nil {
		_ = b.Close()
		return nil, false, err
	}
	ix.cache = cache
	last, err := readLastEvent(b)
	if err != nil {
		_ = b.Close()
		return nil, false, err
	}
	ix.lastEvent.Store(last)
	return ix, false, nil
}

func readLastEvent(b bleve.Index) (int64, error) {
	v, err := b.GetInternal([]byte(internalEvent))
	if err != nil {
		return 0, fmt.Errorf("search: last event id: %w", err)
	}
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("search: last event id %q: %w", v, err)
	}
	return n, nil
}

// Apply writes docs (added or replaced by key) and removes deleteKeys in
// one bleve batch, with lastEventID recorded in the same batch: after a
// crash the index holds exactly the events up to LastEventID, and the
// server resumes from there. A key both in docs and in deleteKeys is
// deleted (removing is the safe side when the caller is unsure). Deleting
// a key that is not there is not an error.
//
// lastEventID <= 0, or not above the recorded one, leaves it unchanged.
// A rebuild streams every document with lastEventID 0 in batches of about
// a thousand, then calls Apply(nil, nil, id) with the event id read before
// it started: until then the index counts as unfinished, and Open starts
// it over. (A database without any event yet is rebuilt at each start,
// which costs nothing.)
func (ix *Index) Apply(docs []Doc, deleteKeys []string, lastEventID int64) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.applyLocked(docs, deleteKeys, lastEventID)
}

func (ix *Index) applyLocked(docs []Doc, deleteKeys []string, lastEventID int64) error {
	batch := ix.b.NewBatch()
	for _, d := range docs {
		f, err := d.fields()
		if err != nil {
			return fmt.Errorf("search: apply: %w", err)
		}
		if err := batch.Index(d.Key(), f); err != nil {
			return fmt.Errorf("search: apply %s: %w", d.Key(), err)
		}
	}
	for _, k := range deleteKeys {
		batch.Delete(k)
	}
	record := lastEventID > ix.lastEvent.Load()
	if record {
		batch.SetInternal([]byte(internalEvent), []byte(strconv.FormatInt(lastEventID, 10)))
	}
	if batch.Size() == 0 {
		return nil
	}
	err := ix.b.Batch(batch)
	ix.gen.Add(1) // even after a failed batch: part of it may be visible
	if err != nil {
		return fmt.Errorf("search: apply: %w", err)
	}
	if record {
		ix.lastEvent.Store(lastEventID)
	}
	return nil
}

// DeleteMeasure removes every document of a measure (its current text,
// its public text and its comments) in one batch, for a measure that no
// longer exists or that is rebuilt from scratch.
func (ix *Index) DeleteMeasure(ctx context.Context, measureID, lastEventID int64) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	keys, err := ix.KeysOfMeasure(ctx, measureID)
	if err != nil {
		return err
	}
	return ix.applyLocked(nil, keys, lastEventID)
}

// KeysOfMeasure lists the keys of every document of a measure, so that the
// server can drop documents it no longer has (a comment deleted while the
// index was not following, say).
func (ix *Index) KeysOfMeasure(ctx context.Context, measureID int64) ([]string, error) {
	const page = 1000
	var keys []string
	for {
		req := bleve.NewSearchRequestOptions(termQuery(fieldMeasure, id(measureID)), page, 0, false)
		req.Score = "none"
		req.SortBy([]string{"_id"})
		if len(keys) > 0 {
			req.SearchAfter = []string{keys[len(keys)-1]}
		}
		res, err := ix.b.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("search: keys of measure %d: %w", measureID, err)
		}
		for _, h := range res.Hits {
			keys = append(keys, h.ID)
		}
		if len(res.Hits) < page {
			return keys, nil
		}
	}
}

// LastEventID is the id of the last event whose changes the index holds.
func (ix *Index) LastEventID() int64 { return ix.lastEvent.Load() }

// Count is the number of documents in the index.
func (ix *Index) Count() (uint64, error) {
	n, err := ix.b.DocCount()
	if err != nil {
		return 0, fmt.Errorf("search: count: %w", err)
	}
	return n, nil
}

// Close closes the index; searches still running may fail.
func (ix *Index) Close() error {
	// bleve panics on a second Close; a server closed twice must not.
	var err error
	ix.closeOnce.Do(func() { err = ix.b.Close() })
	if err != nil {
		return fmt.Errorf("search: close: %w", err)
	}
	return nil
}
