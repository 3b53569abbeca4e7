package e2e

import (
	"sort"
	"strings"
	"sync"

	"pacte/i18n"
)

// Snapshot saves a full-page screenshot and checks what a person would
// notice on it: no raw catalogue key instead of text, and no page wider
// than the window (a sideways scroll bar).
func (tab *Tab) Snapshot(name string) {
	tab.T.Helper()
	tab.Screenshot(name)
	tab.AssertTranslated(name)
	tab.AssertNoOverflow(name)
}

// pageWords is every word a person can read or hear on the page: text, and
// the attributes that assistive technology reads out.
const pageWords = `(() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (p && (p.closest("script, style, template") )) continue;
    out.push(n.textContent);
  }
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    for (const a of ["aria-label", "title", "placeholder", "alt"]) {
      const v = el.getAttribute(a);
      if (v) out.push(v);
    }
  }
  out.push(document.title);
  return out.join(" ").split(/\s+/).filter(Boolean);
})()`

var (
	keyPrefixesOnce sync.Once
	keyPrefixes     map[string]bool
)

// catalogPrefixes gives the first segments of the catalogue keys ("nav",
// "home", "role"…): a word like "home.heading" on a page is a key that was
// not translated.
func catalogPrefixes() map[string]bool {
	keyPrefixesOnce.Do(func() {
		keyPrefixes = map[string]bool{}
		cat, err := i18n.Load()
		if err != nil {
			return
		}
		for _, loc := range []string{"fr", "en", "ar"} {
			for _, k := range cat.Keys(loc) {
				if i := strings.IndexByte(k, '.'); i > 0 {
					keyPrefixes[k[:i]] = true
				}
			}
		}
	})
	return keyPrefixes
}

// rawKeys picks the words that look like catalogue keys.
func rawKeys(words []string) []string {
	prefixes := catalogPrefixes()
	seen := map[string]bool{}
	for _, w := range words {
		w = strings.Trim(w, ".,;:!?()«»\"'·—")
		i := strings.IndexByte(w, '.')
		if i <= 0 || i == len(w)-1 || strings.ContainsAny(w, "@/: ") {
			continue
		}
		if !prefixes[w[:i]] {
			continue
		}
		ok := true
		for _, r := range w {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
				ok = false
				break
			}
		}
		if ok {
			seen[w] = true
		}
	}
	var out []string
	for w := range seen {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// AssertTranslated fails when the page shows a raw catalogue key.
func (tab *Tab) AssertTranslated(name string) {
	tab.T.Helper()
	if keys := rawKeys(Eval[[]string](tab, pageWords)); len(keys) > 0 {
		tab.T.Errorf("[%s] %s shows untranslated keys: %s", tab.Name, name, strings.Join(keys, ", "))
	}
}

// AssertNoOverflow fails when the page is wider than the window.
func (tab *Tab) AssertNoOverflow(name string) {
	tab.T.Helper()
	type widths struct {
		Scroll int `json:"scroll"`
		Client int `json:"client"`
	}
	w := Eval[widths](tab, `({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})`)
	if w.Scroll > w.Client {
		tab.T.Errorf("[%s] %s is %dpx wide in a %dpx window (horizontal overflow)", tab.Name, name, w.Scroll, w.Client)
	}
}
