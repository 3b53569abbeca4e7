package server

import "testing"

func TestCache_DropsLeastRecentlyUsed(t *testing.T) {
	c := newCache[string, int](2, 0, nil)
	c.put("a", 1)
	c.put("b", 2)
	if v, ok := c.get("a"); !ok || v != 1 { // a is now the most recent
		t.Fatalf("get a = %d %v", v, ok)
	}
	c.put("c", 3)
	if _, ok := c.get("b"); ok {
		t.Error("b, the least recently used, was kept")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.get(k); !ok || v != want {
			t.Errorf("get %s = %d %v, want %d", k, v, ok, want)
		}
	}
	c.put("c", 30) // replacing does not grow it
	if n := c.len(); n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
	if v, _ := c.get("c"); v != 30 {
		t.Errorf("c = %d after replacing", v)
	}
}

func TestCache_ByteBudget(t *testing.T) {
	c := newCache[int, string](100, 10, func(s string) int { return len(s) })
	c.put(1, "aaaa")
	c.put(2, "bbbb")
	c.put(3, "cccc") // 12 bytes: the oldest goes
	if _, ok := c.get(1); ok {
		t.Error("over budget, the oldest entry was kept")
	}
	if c.bytes != 8 || c.len() != 2 {
		t.Errorf("bytes %d, entries %d; want 8, 2", c.bytes, c.len())
	}
	c.put(2, "b") // a smaller value frees its bytes
	if c.bytes != 5 {
		t.Errorf("bytes %d after shrinking an entry, want 5", c.bytes)
	}
	c.put(4, "dddddddddddddddd") // larger than the budget: kept alone
	if c.len() != 1 || c.bytes != 16 {
		t.Errorf("a lone oversized entry: %d entries, %d bytes", c.len(), c.bytes)
	}
}
