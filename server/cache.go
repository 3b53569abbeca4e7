package server

import (
	linkedlist "container/list"
	"sync"
)

// cache is the one cache type of the server: least recently used entries go
// first once it holds more than maxEntries, or more than maxBytes as
// counted by size (when size is set). Safe for concurrent use. The server
// holds each cache in a field (server.go), so two servers in one process
// never share entries.
type cache[K comparable, V any] struct {
	maxEntries int
	maxBytes   int
	size       func(V) int // nil: entries are only counted

	mu    sync.Mutex
	order *linkedlist.List // of *lruItem[K, V], most recent first
	items map[K]*linkedlist.Element
	bytes int
}

type lruItem[K comparable, V any] struct {
	key  K
	val  V
	size int
}

func newCache[K comparable, V any](maxEntries, maxBytes int, size func(V) int) *cache[K, V] {
	return &cache[K, V]{maxEntries: maxEntries, maxBytes: maxBytes, size: size,
		order: linkedlist.New(), items: map[K]*linkedlist.Element{}}
}

// get gives the entry of k and marks it as just used.
func (c *cache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruItem[K, V]).val, true
}

// put stores v under k, then drops the least recently used entries beyond
// the bounds (never the one just stored).
func (c *cache[K, V]) put(k K, v V) {
	n := 0
	if c.size != nil {
		n = c.size(v)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		it := el.Value.(*lruItem[K, V])
		c.bytes += n - it.size
		it.val, it.size = v, n
		c.order.MoveToFront(el)
	} else {
		c.items[k] = c.order.PushFront(&lruItem[K, V]{key: k, val: v, size: n})
		c.bytes += n
	}
	for c.order.Len() > 1 && (c.order.Len() > c.maxEntries || (c.maxBytes > 0 && c.bytes > c.maxBytes)) {
		last := c.order.Back()
		it := last.Value.(*lruItem[K, V])
		c.order.Remove(last)
		delete(c.items, it.key)
		c.bytes -= it.size
	}
}

// clear drops every entry.
func (c *cache[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.items)
	c.bytes = 0
}

// len is the number of entries, for tests.
func (c *cache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
