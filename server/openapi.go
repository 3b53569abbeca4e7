package server

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// openAPIDoc is the OpenAPI 3.1 description of the JSON API, written by
// hand next to the handlers it describes. TestOpenAPI_MatchesRoutes
// compares its paths with the routes registered under /api/v1 both ways,
// so a route added or removed without it fails the build.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPIETag names this build's document, so that clients revalidate
// cheaply and see a new one after a deployment.
var openAPIETag = func() string {
	sum := sha256.Sum256(openAPIDoc)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}()

// apiOpenAPI serves the description: public (it holds nothing about anyone,
// and a client needs it before signing in) and cacheable.
func (s *Server) apiOpenAPI(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", openAPIETag)
	if etagMatches(c.Request().Header.Get("If-None-Match"), openAPIETag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDoc)
}

// etagMatches reads an If-None-Match header: "*", or a list of tags,
// compared weakly as RFC 9110 asks for GET.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
