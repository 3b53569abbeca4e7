// Package i18n holds the interface text in French (the default), English and
// Arabic. Templates and handlers look strings up by key; no interface text is
// written into templates.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed *.json
var files embed.FS

// Default is the language used when nothing else is known.
const Default = "fr"

// Catalog maps a locale to its messages.
type Catalog struct {
	messages map[string]map[string]string
	// plurals holds the count-bearing messages: locale → key → CLDR
	// category (zero, one, two, few, many, other) → text. Their "other"
	// form is also in messages, so Has and Keys treat them as one key.
	plurals map[string]map[string]map[string]string
}

// categoryName names a CLDR plural category as catalogues write it.
func categoryName(f plural.Form) string {
	switch f {
	case plural.Zero:
		return "zero"
	case plural.One:
		return "one"
	case plural.Two:
		return "two"
	case plural.Few:
		return "few"
	case plural.Many:
		return "many"
	}
	return "other"
}

// isCategory reports whether s is a CLDR plural category name.
func isCategory(s string) bool {
	switch s {
	case "zero", "one", "two", "few", "many", "other":
		return true
	}
	return false
}

// Load reads every embedded catalogue. Each file is an object of key → text
// (nested objects are flattened with dots), named <locale>[.<part>].json.
func Load() (*Catalog, error) {
	c := &Catalog{messages: map[string]map[string]string{}, plurals: map[string]map[string]map[string]string{}}
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
			c.plurals[locale] = map[string]map[string]string{}
		}
		flatten("", tree, c.messages[locale], c.plurals[locale])
	}
	return c, nil
}

func flatten(prefix string, tree map[string]any, out map[string]string, plurals map[string]map[string]string) {
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch x := v.(type) {
		case string:
			out[key] = x
		case map[string]any:
			if forms, ok := PluralForms(x); ok {
				plurals[key] = forms
				out[key] = forms["other"]
				continue
			}
			flatten(key, x, out, plurals)
		}
	}
}

// PluralForms reads a count-bearing message: an object whose keys are all
// CLDR plural categories and which has at least "other", e.g.
// {"one": "%d report", "other": "%d reports"}. Arabic uses all six.
func PluralForms(tree map[string]any) (map[string]string, bool) {
	if _, ok := tree["other"].(string); !ok {
		return nil, false
	}
	forms := map[string]string{}
	for k, v := range tree {
		s, isText := v.(string)
		if !isCategory(k) || !isText {
			return nil, false
		}
		forms[k] = s
	}
	return forms, true
}

// PluralCategory names the CLDR plural category of the integer n in locale:
// "zero", "one", "two", "few", "many" or "other".
func PluralCategory(locale string, n int) string {
	tag, err := language.Parse(locale)
	if err != nil {
		tag = language.French
	}
	if n < 0 {
		n = -n
	}
	return categoryName(plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0))
}

// formatVerb finds fmt verbs, so a plural form written without the number
// ("بلاغ واحد", one report) is used as it is.
var formatVerb = regexp.MustCompile(`%[-+# 0-9.\[\]]*[a-zA-Z]`)

// N translates a count-bearing key for n: the form of n's CLDR plural
// category in the locale (falling back to "other"), formatted with n and
// then args. A key that is not a plural message is formatted like T.
func (c *Catalog) N(locale, key string, n int, args ...any) string {
	forms, ok := c.plurals[locale][key]
	if !ok {
		if _, has := c.messages[locale][key]; has {
			return c.T(locale, key, append([]any{n}, args...)...)
		}
		if forms, ok = c.plurals[Default][key]; !ok {
			return c.T(locale, key, append([]any{n}, args...)...)
		}
		locale = Default
	}
	msg, ok := forms[PluralCategory(locale, n)]
	if !ok {
		msg = forms["other"]
	}
	if !formatVerb.MatchString(msg) {
		return msg
	}
	return fmt.Sprintf(msg, append([]any{n}, args...)...)
}

// IsPlural reports whether key is a count-bearing message in the locale.
func (c *Catalog) IsPlural(locale, key string) bool {
	_, ok := c.plurals[locale][key]
	return ok
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

// FormatTime writes t in loc for readers of locale: "4 déc. 2026,
// 09:05", "4 Dec 2026, 09:05", "4 دجنبر 2026، 09:05" (Moroccan month
// names, Western digits as written in Morocco).
func FormatTime(t time.Time, loc *time.Location, locale string) string {
	t = t.In(loc)
	clock := t.Format("15:04")
	day, year := t.Day(), t.Year()
	switch locale {
	case "en":
		return fmt.Sprintf("%d %s %d, %s", day, t.Month().String()[:3], year, clock)
	case "ar":
		return fmt.Sprintf("%d %s %d، %s", day, arabicMonth(t.Month()), year, clock)
	default:
		return fmt.Sprintf("%d %s %d, %s", day, frenchMonth(t.Month()), year, clock)
	}
}

// FormatDate writes the day alone, as FormatTime does with the clock.
func FormatDate(t time.Time, loc *time.Location, locale string) string {
	t = t.In(loc)
	day, year := t.Day(), t.Year()
	switch locale {
	case "en":
		return fmt.Sprintf("%d %s %d", day, t.Month().String()[:3], year)
	case "ar":
		return fmt.Sprintf("%d %s %d", day, arabicMonth(t.Month()), year)
	default:
		return fmt.Sprintf("%d %s %d", day, frenchMonth(t.Month()), year)
	}
}

func frenchMonth(m time.Month) string {
	return [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}[m-1]
}

func arabicMonth(m time.Month) string {
	return [...]string{"يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر"}[m-1]
}
