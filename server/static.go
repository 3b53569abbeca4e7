package server

import (
	"io/fs"
	"net/http"
	"strings"
)

// staticHandler serves the embedded assets. They change only with a new
// binary, so browsers may keep them for a while.
func staticHandler(files fs.FS) http.Handler {
	fileServer := http.FileServer(http.FS(files))
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
		fileServer.ServeHTTP(w, r)
	})
}
