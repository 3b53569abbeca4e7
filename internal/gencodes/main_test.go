package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedCodesAreCurrent: the browser's copy of the error codes is
// the table's (run go generate ./static/ after changing models/codes.go).
func TestGeneratedCodesAreCurrent(t *testing.T) {
	have, err := os.ReadFile("../../web/src/error-codes.js")
	if err != nil {
		t.Fatal(err)
	}
	if want := render(); !bytes.Equal(have, want) {
		t.Errorf("web/src/error-codes.js is stale: run go generate ./static/ (or go run ./internal/gencodes)\n--- want\n%s", want)
	}
	if !bytes.Contains(have, []byte(`RELOAD_CODES = new Set(["too_far_behind"])`)) {
		t.Errorf("too_far_behind no longer reloads the page")
	}
}
