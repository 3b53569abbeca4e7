package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/models"
)

// Cookie names. Over https the session cookie takes the __Host- prefix, which
// the browser only accepts with Secure, Path=/ and no Domain.
const (
	sessionCookie     = "pacte_session"
	anonCSRFCookie    = "pacte_csrf"
	languageCookie    = "pacte_lang"
	hostSessionCookie = "__Host-pacte_session"
	// deviceCookie marks a browser that signed in to an account before
	// (models.LoginDevice): it keeps signing in while strangers are limited.
	deviceCookie = "pacte_device"
)

// SessionCookieName is the name of the session cookie: __Host-prefixed
// behind HTTPS.
func (s *Server) SessionCookieName() string {
	if s.secure {
		return hostSessionCookie
	}
	return sessionCookie
}

// recoverPanics turns a panic into a logged 500 with a generic page.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.Error("panic", "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// logRequests writes one structured line per request. It logs the route
// pattern, not the raw path, so tokens in links never reach the logs.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		s.metrics.observeRequest(methodLabel(c.Request().Method), route, status, elapsed)
		attrs := []any{"method", c.Request().Method, "route", route, "status", status,
			"ms", float64(elapsed.Microseconds()) / 1000, "ip", c.RealIP()}
		if u := ctxUser(c); u != nil {
			attrs = append(attrs, "user_id", u.ID)
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(c.Request().Context(), level, "request", attrs...)
		return nil
	}
}

// contentSecurityPolicy is the policy of docs/SECURITY.md; a page that mounts
// the co-editor adds its style nonce (render.go).
func contentSecurityPolicy(styleNonce string) string {
	style := "'self'"
	if styleNonce != "" {
		style += " 'nonce-" + styleNonce + "'"
	}
	return "default-src 'self'; script-src 'self'; style-src " + style + "; img-src 'self' data:; " +
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// newStyleNonce makes a style nonce: 128 random bits (crypto/rand never
// fails), in base64url, which html/template leaves as it is ("+" it would
// escape).
func newStyleNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secureHeaders sets the headers of docs/SECURITY.md on every response. Echo's
// Secure() defaults are empty, so each is set here explicitly.
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy(""))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// authenticate resolves the session cookie or bearer token to a user. A bad
// bearer token is refused at once; a stale cookie just leaves the visitor
// anonymous (pages then ask them to sign in).
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		switch c.Path() {
		case "/metrics":
			return next(c) // its bearer token is the metrics token (metrics.go)
		case "/static/*":
			return next(c) // files need nobody, and must load while the database is away
		}
		if s.cookieless[c.Path()] {
			return next(c) // the public Pact: the same for everybody
		}
		if h := c.Request().Header.Get("Authorization"); h != "" {
			raw, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || raw == "" {
				return models.CodedError(models.EUnauthorized, "invalid_token", "The Authorization header must be 'Bearer <token>'.")
			}
			u, err := s.store.TokenUser(ctx, strings.TrimSpace(raw))
			if err != nil {
				if models.ErrorKind(err) == models.EUnauthorized {
					return models.CodedError(models.EUnauthorized, "invalid_token", "This token is not valid.")
				}
				return err // the database did not answer: 503, the token stays good
			}
			c.Set("user", u)
			c.Set("bearer", true)
			return next(c)
		}
		if ck, err := c.Cookie(s.SessionCookieName()); err == nil && ck.Value != "" {
			sess, u, err := s.store.SessionUser(ctx, ck.Value)
			switch {
			case err == nil:
				c.Set("user", u)
				c.Set("session", sess)
				c.Response().Header().Set("Cache-Control", "no-store")
			case models.ErrorKind(err) == models.EUnauthorized:
				c.Set("session_ended", true)
				s.clearSessionCookie(c)
			default:
				// The database did not answer: say so (503) and keep the
				// cookie; the session is still good.
				return err
			}
		}
		return next(c)
	}
}

func isSafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// csrf protects unsafe cookie requests, as Echo's CSRF middleware does:
// Sec-Fetch-Site first (same-origin passes, cross-site is refused whatever it
// carries), then a token. Unlike Echo's double-submit cookie, the token is
// bound to the server-side session, and it is the one docs/API.md hands out in
// /api/v1/me; visitors without a session get a double-submit cookie, set by
// the HTML pages that carry a form (pageCSRF), never by JSON or health
// answers.
//
// Without a trusted Sec-Fetch-Site, a foreign Origin (or, without Origin, a
// foreign Referer) is refused, and a form post that carries no cookie must
// show a same-origin Origin or Referer: otherwise another site could sign a
// browser into an account of its choosing (login CSRF). A JSON request that
// carries no session cookie needs no token: a form cannot send JSON, and
// without CORS another site's script cannot either.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		anonToken := ""
		if ck, err := c.Cookie(anonCSRFCookie); err == nil {
			anonToken = ck.Value
		}
		c.Set("csrf_anon", anonToken)
		c.Set("csrf_token", s.csrfToken(c, anonToken))
		if isSafeMethod(r.Method) || strings.HasPrefix(r.URL.Path, "/unsubscribe/") {
			// (An unsubscribe link is posted by mail clients, from no page
			// of ours, RFC 8058; its signature is its authority, and all it
			// can do is stop mail.)
			return next(c)
		}
		switch r.Header.Get("Sec-Fetch-Site") {
		case "cross-site":
			s.denied(c, "cross-site request")
			return errCrossSite
		case "same-origin":
			return next(c)
		}
		if c.Get("bearer") != nil {
			return next(c) // nothing ambient for a forger to ride on
		}
		switch s.requestOrigin(r) {
		case originForeign:
			s.denied(c, "foreign origin")
			return errCrossSite
		case originUnknown:
			// (The API reads JSON only, so a form posted there does nothing.)
			if isFormRequest(r) && len(r.Cookies()) == 0 && !strings.HasPrefix(r.URL.Path, "/api/") {
				s.denied(c, "cookie-less form without origin")
				return errCrossSite
			}
		}
		if isJSONRequest(r) && ctxSession(c) == nil {
			// No live session to ride on (no session cookie, or one that
			// ended): a script signing in must not be stopped by a stale
			// cookie in its jar.
			return next(c)
		}
		if len(r.Cookies()) == 0 {
			return next(c) // a same-origin form with no cookie to ride on
		}
		want := s.csrfToken(c, anonToken)
		got := r.Header.Get("X-CSRF-Token")
		if got == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			got = r.PostFormValue("csrf_token") // the body only: tokens never travel in URLs
		}
		if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			if c.Get("session_ended") != nil {
				// The request leaned on a session that is over (expired,
				// logged out, suspended): say so rather than blame the form.
				return models.CodedError(models.EUnauthorized, "unauthorized", "Your session has ended; please sign in again.")
			}
			s.denied(c, "csrf token missing or wrong")
			return models.CodedError(models.EForbidden, "csrf_failed", "This form has expired or did not come from Pacte. Reload the page and try again.")
		}
		return next(c)
	}
}

var errCrossSite = models.CodedError(models.EForbidden, "csrf_failed", "Cross-site requests are not allowed.")

type originVerdict int

const (
	originUnknown originVerdict = iota // neither Origin nor Referer
	originSame
	originForeign
)

// requestOrigin judges where an unsafe request comes from: its Origin
// header, or its Referer when there is no Origin.
func (s *Server) requestOrigin(r *http.Request) originVerdict {
	if o := r.Header.Get("Origin"); o != "" {
		if o == s.origin {
			return originSame
		}
		return originForeign
	}
	if ref := r.Referer(); ref != "" {
		u, err := url.Parse(ref)
		if err == nil && u.Scheme+"://"+u.Host == s.origin {
			return originSame
		}
		return originForeign
	}
	return originUnknown
}

// isJSONRequest: a body declared as JSON, which no HTML form can send.
func isJSONRequest(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// isFormRequest: a body an HTML form (or any page, without asking the
// server first) can send.
func isFormRequest(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}

// pageCSRF is the token an HTML page hands to its forms. A visitor without
// a session gets the anonymous double-submit cookie here, the first time a
// page with a form is shown, and only then.
func (s *Server) pageCSRF(c echo.Context) string {
	if tok, _ := c.Get("csrf_token").(string); tok != "" {
		return tok
	}
	if ctxSession(c) != nil || c.Get("bearer") != nil {
		return ""
	}
	tok := models.NewToken()
	c.SetCookie(&http.Cookie{Name: anonCSRFCookie, Value: tok, Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode})
	c.Set("csrf_anon", tok)
	c.Set("csrf_token", tok)
	return tok
}

func (s *Server) csrfToken(c echo.Context, anon string) string {
	if sess := ctxSession(c); sess != nil {
		return sess.CSRFToken
	}
	return anon
}

// denied logs a refused attempt with who and what (docs/SECURITY.md 16.3.2).
func (s *Server) denied(c echo.Context, why string) {
	attrs := []any{"method", c.Request().Method, "route", c.Path(), "why", why, "ip", c.RealIP()}
	if u := ctxUser(c); u != nil {
		attrs = append(attrs, "user_id", u.ID, "role", u.Role)
	}
	s.log.Warn("denied", attrs...)
}

func (s *Server) setSessionCookie(c echo.Context, raw string) {
	c.SetCookie(&http.Cookie{Name: s.SessionCookieName(), Value: raw, Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(s.store.Sessions.Absolute.Seconds())})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: s.SessionCookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: s.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}
