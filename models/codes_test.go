package models_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"pacte/models"
)

// TestErrorCodes_OneTable reads the Go sources: every error code written
// anywhere is in models.ErrorCodes, with the kind the table gives it.
func TestErrorCodes_OneTable(t *testing.T) {
	kinds := map[string]string{}
	for _, c := range models.ErrorCodes {
		if _, dup := kinds[c.Code]; dup {
			t.Errorf("code %q listed twice", c.Code)
		}
		kinds[c.Code] = c.Kind
	}
	kindName := map[string]string{"EMalformed": models.EMalformed, "EUnauthorized": models.EUnauthorized,
		"EForbidden": models.EForbidden, "ENotFound": models.ENotFound, "EConflict": models.EConflict, "EGone": models.EGone,
		"ETooLarge": models.ETooLarge, "EInvalid": models.EInvalid, "ETooMany": models.ETooMany,
		"EUnavailable": models.EUnavailable, "EInternal": models.EInternal}
	coded := regexp.MustCompile(`CodedError\((?:models\.)?(E\w+), "([a-z_]+)"`)
	literal := regexp.MustCompile(`(?:\bCode: |giveUp\(|\.bad\(|\.fail\(|\.refused\(|rejectCode\()"([a-z_]+)"`)
	files, _ := filepath.Glob("../server/*.go")
	more, _ := filepath.Glob("*.go")
	files = append(files, more...)
	seen := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range coded.FindAllStringSubmatch(string(src), -1) {
			seen++
			want, ok := kinds[m[2]]
			switch {
			case !ok:
				t.Errorf("%s: code %q is not in models.ErrorCodes", f, m[2])
			case kindName[m[1]] != want:
				t.Errorf("%s: code %q is used as %s, listed as %s", f, m[2], kindName[m[1]], want)
			}
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			seen++
			if _, ok := kinds[m[1]]; !ok {
				t.Errorf("%s: code %q is not in models.ErrorCodes", f, m[1])
			}
		}
	}
	if seen < 50 {
		t.Fatalf("only %d codes found in the sources: is the pattern still right?", seen)
	}
}
