package server_test

import (
	"strings"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// cspDirectives splits a Content-Security-Policy into directive → sources.
func cspDirectives(csp string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[f[0]] = strings.Join(f[1:], " ")
		}
	}
	return out
}

// wantSecurityHeaders checks the headers docs/SECURITY.md wants on every response.
func wantSecurityHeaders(t *testing.T, what string, r *servertest.Response) {
	t.Helper()
	csp := cspDirectives(r.Header.Get("Content-Security-Policy"))
	for d, want := range map[string]string{"default-src": "'self'", "object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'"} {
		if csp[d] != want {
			t.Errorf("%s: CSP %s = %q, want %q", what, d, csp[d], want)
		}
	}
	script, ok := csp["script-src"]
	if !ok {
		script = csp["default-src"]
	}
	for _, bad := range []string{"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} {
		for _, src := range strings.Fields(script) {
			if src == bad {
				t.Errorf("%s: script-src allows %s", what, bad)
			}
		}
	}
	if style := csp["style-src"]; strings.Contains(style, "'unsafe-inline'") {
		t.Errorf("%s: style-src allows inline styles", what)
	}
	if v := r.Header.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, v)
	}
	if v := r.Header.Get("Referrer-Policy"); v == "" || v == "unsafe-url" || v == "no-referrer-when-downgrade" {
		t.Errorf("%s: Referrer-Policy %q", what, v)
	}
}

func TestHeaders_EveryResponse(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		anon := app.Anonymous()
		mem := app.Login(app.User(models.RoleMember, "apebi"))
		big := strings.NewReader(`{"x":"` + strings.Repeat("x", 3<<20) + `"}`)
		responses := map[string]*servertest.Response{
			"home":           getHTML(anon, "/"),
			"login":          getHTML(anon, "/login"),
			"404 page":       getHTML(anon, "/no/such/page"),
			"404 api":        anon.Request("GET", "/api/v1/nothing", nil),
			"405 api":        anon.Request("PUT", "/api/v1/organizations", nil),
			"401 api":        anon.Request("GET", "/api/v1/me", nil),
			"403 csrf":       anon.Request("POST", "/api/v1/tokens", map[string]string{}),
			"413":            script(app).Raw("POST", "/api/v1/session", "application/json", big),
			"static":         anon.Raw("GET", "/static/css/app.css", "", nil),
			"healthz":        anon.Raw("GET", "/healthz", "", nil),
			"metrics":        anon.Raw("GET", "/metrics", "", nil),
			"organizations":  anon.Request("GET", "/api/v1/organizations", nil),
			"signed-in page": getHTML(mem, "/profile"),
			"signed-in api":  mem.Request("GET", "/api/v1/me", nil),
			"login redirect": getHTML(anon, "/profile"),
		}
		for what, r := range responses {
			if r.Status >= 500 {
				t.Errorf("%s: %d", what, r.Status)
			}
			wantSecurityHeaders(t, what, r)
		}
		if h := responses["home"].Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("HSTS over http: %q", h)
		}
		// Every route, anonymous.
		for _, rt := range app.Server.Echo().Routes() {
			if rt.Method != "GET" || rt.Path == "/ws" {
				continue
			}
			p := fillRoute(rt.Path, 1)
			wantSecurityHeaders(t, "GET "+p, getHTML(app.Anonymous(), p))
		}
	})
}

func TestHeaders_NoStoreWhenSignedIn(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		mod := app.Login(app.User(models.RoleModerator, "apebi"))
		target := app.User(models.RoleMember, "apebi")
		for _, p := range []string{"/", "/profile", "/admin/users", idPath("/admin/users/", target.ID), "/api/v1/me", "/api/v1/users", "/api/v1/me/export"} {
			r := getHTML(mod, p)
			wantStatus(t, r, 200)
			if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
				t.Errorf("signed-in %s: Cache-Control %q", p, cc)
			}
		}
	})
}

func TestHeaders_HSTSOverHTTPS(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		for _, p := range []string{"/", "/api/v1/organizations", "/no/such/page"} {
			r := getHTML(app.Anonymous(), p)
			if h := r.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
				t.Errorf("%s over https: HSTS %q", p, h)
			}
			wantSecurityHeaders(t, p, r)
		}
	}, servertest.WithHTTPS())
}

// TestHeaders_StaticRevalidates: embedded files carry an ETag, so a
// browser revalidating a stylesheet gets 304 instead of the whole file.
func TestHeaders_StaticRevalidates(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	c := app.Anonymous()
	r := c.Raw("GET", "/static/css/public.css", "", nil)
	tag := r.Header.Get("ETag")
	if r.Status != 200 || tag == "" || r.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("public.css: %d etag %q cache-control %q", r.Status, tag, r.Header.Get("Cache-Control"))
	}
	c.Headers["If-None-Match"] = tag
	if r := c.Raw("GET", "/static/css/public.css", "", nil); r.Status != 304 {
		t.Fatalf("revalidation: %d, want 304", r.Status)
	}
}
