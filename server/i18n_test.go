package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"pacte/i18n"
	"pacte/models"
)

var (
	// {{.T "key"}}, {{$.T "key" arg}}, (.T "key") — literal keys only.
	templateKey = regexp.MustCompile(`\$?\.[TN]\s+"([^"]+)"`)
	// {{.T (print "role." .Role)}} — a family of keys; checked below.
	templateFamily = regexp.MustCompile(`\.T\s+\(print\s+"([^"]+)"`)
	// Keys the Go code asks for.
	codeKey   = regexp.MustCompile(`\.T\("([^"]+)"\s*[,)]`)
	flashKey  = regexp.MustCompile(`\.flash\(c, "([^"]+)"\)`)
	titleKey  = regexp.MustCompile(`newPage\(c, "[^"]+", "([^"]+)"\)`)
	catalogue = regexp.MustCompile(`^(fr|en|ar)(\.[a-z0-9_-]+)?\.json$`)
)

// usedKeys lists every literal key the templates and the server code use,
// with where each was found.
func usedKeys(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	files, _ := filepath.Glob("../templates/*.html")
	more, _ := filepath.Glob("../templates/*/*.html")
	files = append(files, more...)
	if len(files) < 5 {
		t.Fatalf("found only %d templates", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateKey.FindAllSubmatch(b, -1) {
			used[string(m[1])] = f
		}
	}
	code, _ := filepath.Glob("*.go")
	for _, f := range code {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeKey.FindAllSubmatch(b, -1) {
			used[string(m[1])] = f
		}
		for _, m := range flashKey.FindAllSubmatch(b, -1) {
			used["flash."+string(m[1])] = f
		}
		for _, m := range titleKey.FindAllSubmatch(b, -1) {
			used[string(m[1])] = f
		}
	}
	// Families built at run time from values the code knows.
	for _, r := range models.Roles {
		used["role."+r] = "role names"
	}
	for _, s := range []string{models.StatusInvited, models.StatusActive, models.StatusSuspended} {
		used["status."+s] = "status names"
	}
	for _, l := range models.Locales {
		used["lang."+l] = "language switch"
	}
	for _, k := range []string{models.KindFederation, models.KindMinistry} {
		used["kind."+k] = "organisation kinds"
	}
	for _, e := range []string{"user.invited", "user.activated", "user.updated", "user.created"} {
		used["event."+e] = "account history"
	}
	for _, st := range []string{"400", "403", "404", "409", "413", "422", "429", "500", "generic"} {
		used["error."+st+".title"] = "error page"
		used["error."+st+".text"] = "error page"
	}
	return used
}

// Every key the interface uses exists in French, English and Arabic.
func TestI18n_UsedKeysExist(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	used := usedKeys(t)
	keys := make([]string, 0, len(used))
	for k := range used {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, loc := range models.Locales {
			if !cat.Has(loc, k) {
				t.Errorf("%s: key %q missing in %s", used[k], k, loc)
			}
		}
	}
	// Families the templates build: report them, so a new one gets a check.
	files, _ := filepath.Glob("../templates/*/*.html")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range templateFamily.FindAllSubmatch(b, -1) {
			prefix := string(m[1])
			found := false
			for _, k := range cat.Keys("fr") {
				if strings.HasPrefix(k, prefix) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("%s: no key at all starts with %q", f, prefix)
			}
		}
	}
}

// The three catalogues hold the same keys, file by file, and no empty text.
func TestI18n_CataloguesMatch(t *testing.T) {
	files, err := filepath.Glob("../i18n/*.json")
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string]map[string]map[string]string{} // part → locale → key → text
	for _, f := range files {
		m := catalogue.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			t.Errorf("%s: catalogue files are named <fr|en|ar>[.<part>].json", f)
			continue
		}
		loc, part := m[1], m[2]
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tree map[string]any
		if err := json.Unmarshal(b, &tree); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		flat := map[string]string{}
		flattenJSON("", tree, flat)
		if parts[part] == nil {
			parts[part] = map[string]map[string]string{}
		}
		parts[part][loc] = flat
	}
	seen := map[string]string{} // key → file, across parts
	for part, byLoc := range parts {
		for _, loc := range models.Locales {
			if byLoc[loc] == nil {
				t.Errorf("%s%s.json is missing", loc, part)
			}
		}
		for _, a := range models.Locales {
			for k, v := range byLoc[a] {
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s%s.json: %q is empty", a, part, k)
				}
				for _, b := range models.Locales {
					if byLoc[b] == nil {
						continue
					}
					if _, ok := byLoc[b][k]; !ok {
						t.Errorf("%s%s.json has %q, %s%s.json does not", a, part, k, b, part)
					}
				}
			}
		}
		for k := range byLoc["fr"] {
			if other, dup := seen[k]; dup {
				t.Errorf("key %q is defined in both fr%s.json and fr%s.json", k, other, part)
			}
			seen[k] = part
		}
	}
	// And so the merged catalogues agree.
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	fr := strings.Join(cat.Keys("fr"), "\n")
	for _, loc := range []string{"en", "ar"} {
		if strings.Join(cat.Keys(loc), "\n") != fr {
			t.Errorf("the merged %s catalogue has other keys than fr", loc)
		}
	}
}

// Format verbs must match, or a translation prints %!s(MISSING).
func TestI18n_FormatVerbsMatch(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
	for _, k := range cat.Keys("fr") {
		want := strings.Join(verbs.FindAllString(cat.T("fr", k), -1), " ")
		for _, loc := range []string{"en", "ar"} {
			if !cat.Has(loc, k) {
				continue
			}
			if got := strings.Join(verbs.FindAllString(cat.T(loc, k), -1), " "); got != want {
				t.Errorf("%s %q has verbs %q, fr has %q", loc, k, got, want)
			}
		}
	}
}

func flattenJSON(prefix string, tree map[string]any, out map[string]string) {
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		switch x := v.(type) {
		case string:
			out[key] = x
		case map[string]any:
			if forms, ok := i18n.PluralForms(x); ok {
				out[key] = forms["other"] // one key, whatever the locale's forms
				continue
			}
			flattenJSON(key, x, out)
		}
	}
}

// Counts are plural messages (CLDR categories), never "(s)" or "(e)s".
func TestI18n_NoParenthesisedPlurals(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`\w\((s|es|x)\)`)
	for _, loc := range models.Locales {
		for _, k := range cat.Keys(loc) {
			if bad.MatchString(cat.T(loc, k)) {
				t.Errorf("%s %q: %q uses a parenthesised plural; make it a plural message", loc, k, cat.T(loc, k))
			}
		}
	}
	files, _ := filepath.Glob("../templates/*/*.html")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if m := bad.Find(b); m != nil {
			t.Errorf("%s: %q", f, m)
		}
	}
}
