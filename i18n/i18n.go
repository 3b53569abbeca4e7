// Package i18n holds the interface text in French (the default), English and
// Arabic. Templates and handlers look strings up by key; no interface text is
// written into templates.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

//go:embed *.json
var files embed.FS

// Default is the language used when nothing else is known.
const Default = "fr"

// Catalog maps a locale to its messages.
type Catalog struct {
	messages map[string]map[string]string
}

// Load reads every embedded catalogue. Each file is an object of key → text
// (nested objects are flattened with dots), named <locale>[.<part>].json.
func Load() (*Catalog, error) {
	c := &Catalog{messages: map[string]map[string]string{}}
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, err
		}
		var tree map[string]any
		if err := json.Unmarshal(b, &tree); err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		// fr.json and fr.measures.json both feed "fr": each feature keeps
		// its own file.
		locale := strings.SplitN(strings.TrimSuffix(e.Name(), path.Ext(e.Name())), ".", 2)[0]
		if c.messages[locale] == nil {
			c.messages[locale] = map[string]string{}
		}
		flatten("", tree, c.messages[locale])
	}
	return c, nil
}

func flatten(prefix string, tree map[string]any, out map[string]string) {
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch x := v.(type) {
		case string:
			out[key] = x
		case map[string]any:
			flatten(key, x, out)
		}
	}
}

// T translates key into locale, formatting args with fmt verbs when given.
// A key missing in the locale falls back to French, then to the key itself
// so a missing translation shows, and a test catches it.
func (c *Catalog) T(locale, key string, args ...any) string {
	msg, ok := c.messages[locale][key]
	if !ok {
		if msg, ok = c.messages[Default][key]; !ok {
			return key
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Has reports whether the locale defines key.
func (c *Catalog) Has(locale, key string) bool {
	_, ok := c.messages[locale][key]
	return ok
}

// Keys lists the keys of a locale, sorted.
func (c *Catalog) Keys(locale string) []string {
	var out []string
	for k := range c.messages[locale] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Dir is the text direction of a locale.
func Dir(locale string) string {
	if locale == "ar" {
		return "rtl"
	}
	return "ltr"
}

// Match picks the best supported locale from an Accept-Language header.
func Match(acceptLanguage string) string {
	best, bestQ := Default, -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tag, q := part, 1.0
		if i := strings.Index(part, ";q="); i >= 0 {
			tag = part[:i]
			fmt.Sscanf(part[i+3:], "%g", &q)
		}
		base := strings.ToLower(strings.SplitN(tag, "-", 2)[0])
		if (base == "fr" || base == "en" || base == "ar") && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}
