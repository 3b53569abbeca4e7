package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"pacte/i18n"
	"pacte/models"
	"pacte/templates"
)

// views holds every page template, parsed once at start: each page is the
// layout plus the shared partials plus the page's own file.
type views struct {
	pages map[string]*template.Template
	// public are the pages of the public Pact (public/*.html), on a layout
	// of their own: no account, no form, no cookie.
	public map[string]*template.Template
}

var templateFuncs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"initials": func(name string) string {
		var out []rune
		for _, w := range strings.Fields(name) {
			if r := []rune(w); len(r) > 0 {
				out = append(out, r[0])
			}
			if len(out) == 2 {
				break
			}
		}
		return strings.ToUpper(string(out))
	},
	"isoTime":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"publicPath": publicPath,
	"deref": func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"contains": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
	"safeHTML": func(s string) template.HTML { return template.HTML(s) }, // only for server-sanitised HTML
}

func loadViews(cat *i18n.Catalog) (*views, error) {
	v := &views{pages: map[string]*template.Template{}, public: map[string]*template.Template{}}
	publicFiles, err := fs.Glob(templates.FS, "public/*.html")
	if err != nil {
		return nil, err
	}
	for _, pf := range publicFiles {
		name := strings.TrimSuffix(path.Base(pf), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templates.FS, "public/layout.html", pf)
		if err != nil {
			return nil, fmt.Errorf("template public/%s: %w", name, err)
		}
		v.public[name] = t
	}
	pageFiles, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	partials, _ := fs.Glob(templates.FS, "partials/*.html")
	for _, pf := range pageFiles {
		name := strings.TrimSuffix(path.Base(pf), ".html")
		files := append([]string{"layout.html"}, partials...)
		files = append(files, pf)
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templates.FS, files...)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	return v, nil
}

// Page is what every template receives. Per-request values travel here, never
// through shared template functions.
type Page struct {
	srv       *Server
	Locale    string
	Dir       string
	User      *models.User
	CSRF      string
	Path      string
	Name      string // page name, set on <body data-page>
	Title     string
	Flash     string
	Topics    string // websocket topics, on <body data-topics>
	MeasureID int64
	Form      map[string]string // values to keep in a form after an error
	Errors    map[string]string // field → message
	Error     string            // a message for the whole form
	Data      any
	Status    int
	// Zone is where the viewer reads dates: their profile's time zone, or
	// Morocco's (models.DefaultTimeZone) for visitors.
	Zone *time.Location

	ctx     context.Context // the request's, for what the page reads lazily
	orgRefs *measureRefs    // organisations, for Person

	// UnreadNotifications is the number on the header's counter
	// (web/src/notifications.js keeps it current).
	UnreadNotifications int

	// LastEventID is the newest event when the page started rendering, on
	// <body data-last-event-id>: the websocket replays everything after it,
	// so nothing between rendering and connecting (or a later reconnect) is
	// missed.
	LastEventID int64
	// lastEventErr is why LastEventID could not be read: the page is not
	// rendered without it (it would replay the whole log), render answers
	// the error instead.
	lastEventErr error

	// StyleNonce, on pages that mount the co-editor, lets CodeMirror's
	// <style> element through the CSP: render adds it to style-src and the
	// layout to <meta name="csp-nonce"> for editor.js. Fresh for every
	// response, and only on pages that are never cached (no-store).
	StyleNonce string
}

// T translates a key into the page's language.
func (p *Page) T(key string, args ...any) string { return p.srv.i18n.T(p.Locale, key, args...) }

// Can asks the policy whether the viewer may do something.
func (p *Page) Can(action string, obj any) bool {
	return models.Can(p.User, models.Action(action), obj)
}

// HasRole reports whether the viewer holds one of the roles.
func (p *Page) HasRole(roles ...string) bool { return p.User.HasRole(roles...) }

// FormValue gives a kept form value.
func (p *Page) FormValue(name string) string { return p.Form[name] }

// FieldError gives the message for a field, or "".
func (p *Page) FieldError(name string) string { return p.Errors[name] }

// OrgName names an organisation in the page's language.
func (p *Page) OrgName(o models.Organization) string { return o.Name(p.Locale) }

// N translates a count-bearing key with the plural form of n (CLDR rules
// of the page's language: Arabic has six forms).
func (p *Page) N(key string, n any, args ...any) string {
	return p.srv.i18n.N(p.Locale, key, toInt(n), args...)
}

func toInt(n any) int {
	switch x := n.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case int32:
		return int(x)
	case uint:
		return int(x)
	case float64:
		return int(x)
	}
	return 0
}

// Time formats a time for people, in the viewer's time zone and language
// (for attributes; in text use When, which adds the machine-readable time).
func (p *Page) Time(t time.Time) string {
	return i18n.FormatTime(t, p.zone(), p.Locale)
}

// When is how every date is shown: <time datetime="RFC 3339 UTC"> around
// the date in the viewer's zone and language, the UTC time as its title.
// It takes a time.Time or a *time.Time (nil shows a dash).
func (p *Page) When(v any) template.HTML {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return "—"
		}
		t = *x
	default:
		return "—"
	}
	if t.IsZero() {
		return "—"
	}
	u := t.UTC()
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `" title="` +
		u.Format("2006-01-02 15:04") + ` UTC">` + template.HTMLEscapeString(p.Time(t)) + `</time>`)
}

func (p *Page) zone() *time.Location {
	if p.Zone != nil {
		return p.Zone
	}
	return p.User.Location() // nil user: Morocco's
}

// TimeZoneName is the viewer's zone's IANA name, for scripts that format
// times they receive live (<body data-time-zone>).
func (p *Page) TimeZoneName() string { return p.zone().String() }

// choice is one option of a select, or one labelled value.
type choice struct {
	Value, Label string
}

// timeZoneOptions lists the zones the profile offers, each with its offset
// now, and the person's own zone if it is not among them.
func (s *Server) timeZoneOptions(p *Page) []choice {
	names := models.TimeZones()
	if cur := p.TimeZoneName(); !slices.Contains(names, cur) {
		names = append(names, cur)
	}
	now := s.store.Now()
	out := make([]choice, 0, len(names))
	for _, n := range names {
		loc, ok := models.LoadTimeZone(n)
		if !ok {
			continue
		}
		_, off := now.In(loc).Zone()
		sign := "+"
		if off < 0 {
			sign, off = "-", -off
		}
		label := strings.ReplaceAll(n, "_", " ")
		if k := "profile.tz." + n; s.i18n.Has(p.Locale, k) {
			label = p.T(k)
		}
		out = append(out, choice{Value: n, Label: fmt.Sprintf("%s (UTC%s%02d:%02d)", label, sign, off/3600, off%3600/60)})
	}
	return out
}

// Locales lists the interface languages for the switcher.
func (p *Page) Locales() []string { return models.Locales }

// locale picks the language: the person's choice, else the cookie, else the
// browser's preference.
func (s *Server) locale(c echo.Context) string {
	if u := ctxUser(c); u != nil && models.ValidLocale(u.Locale) {
		return u.Locale
	}
	if ck, err := c.Cookie(languageCookie); err == nil && models.ValidLocale(ck.Value) {
		return ck.Value
	}
	return i18n.Match(c.Request().Header.Get("Accept-Language"))
}

// basePage is what any rendering for the viewer needs (language, time
// zone, CSRF token); a fragment rendered alone (a live comment) uses it
// as it is, and newPage adds what a whole page shows.
func (s *Server) basePage(c echo.Context, name string) *Page {
	loc := s.locale(c)
	p := &Page{srv: s, ctx: c.Request().Context(), Locale: loc, Dir: i18n.Dir(loc), User: ctxUser(c), Path: c.Request().URL.Path, Name: name,
		Form: map[string]string{}, Errors: map[string]string{}, Status: http.StatusOK}
	p.Zone = p.User.Location()
	p.CSRF = s.pageCSRF(c)
	return p
}

// newPage prepares the data every page needs.
func (s *Server) newPage(c echo.Context, name, titleKey string) *Page {
	p := s.basePage(c, name)
	if titleKey != "" {
		p.Title = p.T(titleKey)
	}
	if p.User != nil {
		p.Topics = models.UserTopic(p.User.ID)
		p.LastEventID, p.lastEventErr = s.store.MaxEventID(c.Request().Context())
		var err error
		if p.UnreadNotifications, err = s.store.UnreadNotificationCount(c.Request().Context(), p.User); err != nil {
			// The page is still worth showing; the counter catches up live.
			s.log.Warn("unread notifications", "user_id", p.User.ID, "err", err.Error())
		}
	}
	if ck, err := c.Cookie("pacte_flash"); err == nil && ck.Value != "" {
		if s.i18n.Has("fr", "flash."+ck.Value) {
			p.Flash = p.T("flash." + ck.Value)
		}
		c.SetCookie(&http.Cookie{Name: "pacte_flash", Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	}
	return p
}

// flash leaves a one-time message (a catalogue key under "flash.") for the
// next page, after a redirect.
func (s *Server) flash(c echo.Context, key string) {
	c.SetCookie(&http.Cookie{Name: "pacte_flash", Value: key, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// renderBuffers recycles page buffers: growing a fresh buffer to a few
// hundred kilobytes on every request was a large share of page CPU.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render executes a page template into a buffer first, so that a template
// error becomes a clean 500 rather than half a page.
func (s *Server) render(c echo.Context, p *Page) error {
	if p.lastEventErr != nil {
		return p.lastEventErr
	}
	t, ok := s.views.pages[p.Name]
	if !ok {
		return fmt.Errorf("no template for page %q", p.Name)
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		// Keep buffers of ordinary pages; let a rare huge one go.
		if buf.Cap() <= 1<<20 {
			renderBuffers.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "layout.html", p); err != nil {
		return fmt.Errorf("render %s: %w", p.Name, err)
	}
	c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
	if p.User != nil || p.StyleNonce != "" {
		c.Response().Header().Set("Cache-Control", "no-store")
	}
	if p.StyleNonce != "" {
		c.Response().Header().Set("Content-Security-Policy", contentSecurityPolicy(p.StyleNonce))
	}
	c.Response().Header().Set("Content-Language", p.Locale)
	c.Response().WriteHeader(p.Status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}

// renderError shows the friendly error page.
// errorData is what an error page shows.
type errorData struct {
	Status        int
	Heading, Text string
	Code          string
	// Action is the way on that some codes offer (ask for a new link).
	Action, ActionURL string
}

// errorActions are the pages that help after an error code, labelled by
// the catalogue's error.code.<code>.action.
var errorActions = map[string]string{
	"reset_invalid":        "/password-reset",
	"email_change_invalid": "/profile#email",
	"unsubscribe_invalid":  "/profile#notifications",
}

func (s *Server) renderError(c echo.Context, status int, body apiError) {
	p := s.newPage(c, "error", "")
	p.Status = status
	key := "error.generic"
	switch status {
	case 400, 403, 404, 409, 410, 413, 422, 429, 500, 503:
		key = fmt.Sprintf("error.%d", status)
	}
	// A code with its own words says more than its status.
	if ck := "error.code." + body.Code; s.i18n.Has(p.Locale, ck+".title") {
		key = ck
	}
	p.Title = p.T(key + ".title")
	data := &errorData{Status: status, Heading: p.T(key + ".title"), Text: p.T(key + ".text"), Code: body.Code}
	if href, ok := errorActions[body.Code]; ok {
		data.Action, data.ActionURL = p.T("error.code."+body.Code+".action"), href
	}
	p.Data = data
	if err := s.render(c, p); err != nil {
		s.log.Error("render error page", "err", err.Error())
		c.Response().Header().Set("Content-Type", "text/plain; charset=utf-8")
		c.Response().WriteHeader(status)
		c.Response().Write([]byte(http.StatusText(status)))
	}
}

// formFailed re-renders a form page with the errors beside its fields.
func (s *Server) formFailed(c echo.Context, p *Page, err error) error {
	return s.failForm(c, p, err, "")
}

// failForm re-renders a form page with the problem: each field's message
// beside it, and for the whole form the sentence under codeKeys+code when
// the catalogue has one (codeKeys "": none), else the store's sentence
// translated. A server-side error is not the person's: it goes on to the
// error page.
func (s *Server) failForm(c echo.Context, p *Page, err error, codeKeys string) error {
	status, body := s.toAPIError(c, err)
	if status >= 500 {
		return err
	}
	p.Status = status
	s.setRetryAfter(c, status, err)
	for k, v := range body.Fields {
		p.Errors[k] = s.translateMessage(p.Locale, v)
	}
	if key := codeKeys + body.Code; codeKeys != "" && s.i18n.Has(p.Locale, key) {
		p.Error = p.T(key)
	} else {
		p.Error = s.translateMessage(p.Locale, body.Message)
	}
	var me *models.Error
	if errors.As(err, &me) && me.Code == "too_many_attempts" && me.RetryAfter > 0 {
		p.Error = p.tryAgainIn(me.RetryAfter)
	}
	return s.render(c, p)
}

// tryAgainIn says how long a limit lasts, in the page's language, with the
// plural forms Arabic needs (1, 2-10, 11 and more).
func (p *Page) tryAgainIn(d time.Duration) string {
	n := int((d + time.Minute - 1) / time.Minute)
	switch {
	case n <= 1:
		return p.T("limit.try_again_in.one")
	case n <= 10:
		return p.T("limit.try_again_in.few", n)
	}
	return p.T("limit.try_again_in.many", n)
}

// translateMessage translates a store message when the catalogue knows it
// (keys under "msg." are the English sentences); otherwise shows it as is.
func (s *Server) translateMessage(locale, msg string) string {
	key := "msg." + msg
	if s.i18n.Has(locale, key) {
		return s.i18n.T(locale, key)
	}
	return msg
}
