// Command gencodes writes models.ErrorCodes, the one table of error codes,
// as a JavaScript module for the browser (go generate ./static/):
//
//	go run ./internal/gencodes -o web/src/error-codes.js
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"

	"pacte/models"
)

func main() {
	out := flag.String("o", "web/src/error-codes.js", "the file to write")
	flag.Parse()
	if err := os.WriteFile(*out, render(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// render is the module: every code with its kind, and the codes after
// which the page reloads.
func render() []byte {
	var b bytes.Buffer
	b.WriteString("// Generated from models.ErrorCodes by internal/gencodes (go generate ./static/); do not edit.\n\n")
	b.WriteString("/** KINDS maps each error code to its kind (which decides the HTTP status). */\n")
	b.WriteString("export const KINDS = Object.freeze({\n")
	for _, c := range models.ErrorCodes {
		fmt.Fprintf(&b, "  %s: %q,\n", c.Code, c.Kind)
	}
	b.WriteString("});\n\n")
	b.WriteString("/** RELOAD_CODES: after these the page cannot be patched up and is reloaded. */\n")
	b.WriteString("export const RELOAD_CODES = new Set([")
	first := true
	for _, c := range models.ErrorCodes {
		if c.Reload {
			if !first {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", c.Code)
			first = false
		}
	}
	b.WriteString("]);\n")
	return b.Bytes()
}
