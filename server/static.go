package server

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

// staticHandler serves the embedded assets. They change only with a new
// binary, so browsers may keep them for a while.
//
// Embedded files have no modification time, so each gets an ETag (a hash
// of its bytes, made once here) and revalidation answers 304.
func staticHandler(files fs.FS) http.Handler {
	fileServer := http.FileServer(http.FS(files))
	etags := map[string]string{}
	_ = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags[path] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		// Chunks are named by their content hash and never change; entry
		// files and styles keep their names across releases, so browsers
		// revalidate them (cheap, and never a stale entry pointing at a
		// chunk that is gone).
		if strings.HasPrefix(r.URL.Path, "js/chunks/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		if tag, ok := etags[r.URL.Path]; ok {
			w.Header().Set("ETag", tag) // http.FileServer answers If-None-Match with it
		}
		fileServer.ServeHTTP(w, r)
	})
}
