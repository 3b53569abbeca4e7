package search

import (
	"context"
	"fmt"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
)

// DefaultCacheEntries is how many answers an Index keeps by default. An
// answer is one page of at most MaxSize hits with its snippets and facet
// counts: a few kilobytes.
const DefaultCacheEntries = 1024

// resultCache keeps recent answers until the next write to the index, the
// way search engines' request caches are dropped at each refresh. A
// common word searched by many people at once (after a newsletter, in a
// meeting) is computed once, not once per person: on 220,000 documents
// such a search costs tens of milliseconds of CPU, mostly in counting
// facets over every match. Concurrent identical searches share one
// computation (singleflight). Any write makes every entry stale, so an
// answer is never older than the index it came from: freshness is the
// index's, not the cache's.
type resultCache struct {
	entries *lru.Cache[string, cachedResult] // nil: no caching
	flight  singleflight.Group
}

type cachedResult struct {
	gen uint64 // the index generation the answer was computed at
	res *Result
}

func newResultCache(n int) (*resultCache, error) {
	c := &resultCache{}
	if n <= 0 {
		return c, nil
	}
	entries, err := lru.New[string, cachedResult](n)
	if err != nil {
		return nil, fmt.Errorf("search: cache: %w", err)
	}
	c.entries = entries
	return c, nil
}

// get answers from the cache when it holds an answer of generation gen,
// else computes it once for all concurrent callers and keeps it. The
// caller reads gen before computing, so an answer computed while a write
// lands is kept under the older generation and never served after it.
func (c *resultCache) get(ctx context.Context, key string, gen uint64, compute func(context.Context) (*Result, error)) (*Result, error) {
	if c.entries == nil {
		return compute(ctx)
	}
	if e, ok := c.entries.Get(key); ok && e.gen == gen {
		return e.res.clone(), nil
	}
	flightKey := fmt.Sprintf("%d\x00%s", gen, key)
	ch := c.flight.DoChan(flightKey, func() (any, error) {
		// Shared by every caller waiting for it: one leaving must not
		// cancel it for the others. The search's own limits bound it.
		res, err := compute(context.WithoutCancel(ctx))
		if err == nil {
			c.entries.Add(key, cachedResult{gen: gen, res: res})
		}
		return res, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Result).clone(), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("search: %w", ctx.Err())
	}
}

// clone gives a caller its own Result: hits may be re-sliced or changed
// without touching the cached answer. Facet maps are shared and read-only.
func (r *Result) clone() *Result {
	out := *r
	out.Hits = append([]Hit(nil), r.Hits...)
	return &out
}

// cacheKey is everything an answer depends on besides the index's
// content: the scope and the whole query.
func cacheKey(scope Scope, q Query) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%t|%t|%t|%d|%d|%t|", scope.None, scope.Public, scope.All, scope.UserID, scope.OrgID, scope.HiddenComments)
	fmt.Fprintf(&b, "%q|%q|%q|%q|%d|%d|%d|%d|%d|%t|%q|%q",
		q.Types, q.Pillar, q.Axis, q.Status, q.OrgID,
		q.From.UnixNano(), q.To.UnixNano(), q.Offset, q.Size, q.Facets, q.Lang, q.Text)
	return b.String()
}
