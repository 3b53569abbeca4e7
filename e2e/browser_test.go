// Package e2e drives the real pages of a real server in headless Chromium.
//
// Each test starts its own server on its own database (servertest.New) and
// its own Chromium process (newBrowser); a second person is a second browser
// context in that process (Tab.NewWindow): same engine, no shared cookies or
// storage. At most two Chromium processes run at once (the machine running CI
// has two cores), so tests may call t.Parallel freely.
//
// The helpers never sleep to wait: they wait for a selector, a load event or
// a condition polled in the page, each bounded by the test's deadline.
//
// Run with `go test -race ./e2e/ -v`. Screenshots (full page, PNG) go to
// $PACTE_SCREENSHOTS, or pacte-screenshots in the temporary directory; a
// failing test also leaves FAILED-<test>-<tab>.png there. Without Chromium
// at /usr/bin/chromium the tests skip, unless PACTE_REQUIRE_BROWSER=1.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pacte/models"
	"pacte/server/servertest"
)

// chromiumPath is Debian's Chromium; CI installs it.
const chromiumPath = "/usr/bin/chromium"

const (
	// testTimeout bounds everything one test does in its browser.
	testTimeout = 90 * time.Second
	// stepTimeout bounds one wait, so a missing element fails with its
	// selector in the message well before the test's deadline.
	stepTimeout = 25 * time.Second
	// hardLimit stops the browser process whatever happens, after the test's
	// deadline has passed and a failure screenshot had its chance.
	hardLimit = testTimeout + 30*time.Second
)

// browsers limits the Chromium processes running at once.
var browsers = make(chan struct{}, 2)

// requireChromium skips the test when Chromium is missing, unless CI asked
// for browser tests to be mandatory (PACTE_REQUIRE_BROWSER=1).
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	msg := "Chromium not found at " + chromiumPath + ": install Debian's chromium to run browser tests"
	if os.Getenv("PACTE_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + " (PACTE_REQUIRE_BROWSER=1)")
	}
	t.Skip(msg)
}

// Browser is one Chromium process for one test.
type Browser struct {
	t *testing.T
	// root is the first tab's context, with no deadline: chromedp ties the
	// browser's life to the context of the first action, so the deadline is
	// put on each tab's Ctx instead.
	root     context.Context
	deadline time.Time
}

// Tab is one page in a browser context: the first tab of a Browser, or a
// window opened with NewWindow (its own cookies, like another person's
// browser).
type Tab struct {
	B    *Browser
	T    *testing.T
	App  *servertest.App
	Name string
	// Ctx runs actions in this tab; it ends at the test's deadline.
	Ctx     context.Context
	console *consoleLog
}

// newBrowser starts Chromium for the test and returns its first tab, at a
// desktop size, asking for French pages (the product's default language).
func newBrowser(t *testing.T, app *servertest.App) *Tab {
	t.Helper()
	requireChromium(t)
	browsers <- struct{}{} // wait for a free slot before the clock starts
	t.Cleanup(func() { <-browsers })

	hard, cancelHard := context.WithTimeout(context.Background(), hardLimit)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		// chromedp adds a fresh temporary --user-data-dir and removes it.
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(hard, opts...)
	b := &Browser{t: t, deadline: time.Now().Add(testTimeout)}
	first := &Tab{B: b, T: t, App: app, Name: "A", console: &consoleLog{}}
	root, cancelRoot := chromedp.NewContext(allocCtx, chromedp.WithListener(first.console.listen))
	t.Cleanup(func() {
		// Close gracefully (the browser flushes nothing we need, but a clean
		// exit lets chromedp remove its profile directory), then make sure.
		_ = chromedp.Cancel(root)
		cancelRoot()
		cancelAlloc()
		cancelHard()
	})
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	b.root = root
	b.setUp(first, root)
	return first
}

// setUp gives a tab its deadline, viewport, language and failure report.
func (b *Browser) setUp(tab *Tab, ctx context.Context) {
	t := b.t
	t.Helper()
	var cancel context.CancelFunc
	tab.Ctx, cancel = context.WithDeadline(ctx, b.deadline)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab.Ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			// Overlay scroll bars: the layout keeps its width whether or
			// not the page scrolls, so screenshots compare.
			if _, err := cdp.Call(ctx, tt, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, tt, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Accept-Language": "fr-MA,fr;q=0.9"}})
			return err
		}),
	); err != nil {
		t.Fatalf("set up tab %s: %v", tab.Name, err)
	}
	// Registered after the browser's own clean-up, so it runs before it.
	t.Cleanup(func() {
		if errs := tab.console.errors(); len(errs) > 0 {
			t.Logf("browser console of %s:\n  %s", tab.Name, strings.Join(countSame(errs), "\n  "))
		}
		if !t.Failed() {
			return
		}
		// The test's deadline may have passed; the tab itself is still open.
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			t.Logf("tab %s was at %s", tab.Name, loc)
		}
		if png, err := chromedp.Run(ctx, fullPage()); err == nil {
			t.Logf("failure screenshot of tab %s: %s", tab.Name, saveScreenshot(t, "FAILED-"+t.Name()+"-"+tab.Name, png))
		}
	})
}

// NewWindow opens a second, independent browser: a new browser context in
// the same Chromium process, with its own cookies and storage.
//
// listeners hear the window's events from the start (a tab's listeners are
// set when it is made): a test that watches responses passes its own.
func (tab *Tab) NewWindow(name string, listeners ...func(ev any)) *Tab {
	tab.T.Helper()
	b := tab.B
	nt := &Tab{B: b, T: tab.T, App: tab.App, Name: name, console: &consoleLog{}}
	opts := []chromedp.ContextOption{chromedp.WithNewBrowserContext(), chromedp.WithListener(nt.console.listen)}
	for _, l := range listeners {
		opts = append(opts, chromedp.WithListener(l))
	}
	ctx, cancel := chromedp.NewContext(b.root, opts...)
	tab.T.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		tab.T.Fatalf("open window %s: %v", name, err)
	}
	b.setUp(nt, ctx)
	return nt
}

// step runs actions with the per-step bound, failing the test on error.
func (tab *Tab) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	tab.T.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tab.T.Fatalf("[%s] %s: %v", tab.Name, what, err)
	}
}

// run runs one action returning a value, failing the test on error.
func run[T any](tab *Tab, what string, a chromedp.Action[T]) T {
	tab.T.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		tab.T.Fatalf("[%s] %s: %v", tab.Name, what, err)
	}
	return v
}

// Go opens a path of the app and waits for the page to load; it returns the
// HTTP status of the final document (after redirects).
func (tab *Tab) Go(path string) int64 {
	tab.T.Helper()
	resp := run(tab, "open "+path, chromedp.NavigateResponse(tab.App.URL+path))
	if resp == nil {
		return 0
	}
	return resp.Status
}

// Reload reloads the page and returns the status of the final document.
func (tab *Tab) Reload() int64 {
	tab.T.Helper()
	return tab.navigating("reload", chromedp.Reload())
}

// ClickAndWait clicks an element that navigates (a link, a submit button)
// and waits for the next page; it returns the status of the final document.
func (tab *Tab) ClickAndWait(sel string) int64 {
	tab.T.Helper()
	return tab.navigating("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

func (tab *Tab) navigating(what string, a chromedp.Action[chromedp.Void]) int64 {
	tab.T.Helper()
	ctx, cancel := context.WithTimeout(tab.Ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, a)
	if err != nil {
		tab.T.Fatalf("[%s] %s: %v", tab.Name, what, err)
	}
	if resp == nil {
		return 0
	}
	return resp.Status
}

// Click clicks a visible element without waiting for a navigation.
func (tab *Tab) Click(sel string) {
	tab.T.Helper()
	tab.step("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// Fill types a value into a text field, key by key, after emptying it.
// The field is emptied through its value property: chromedp.Clear sets
// the value attribute, and the attributeModified event that comes back
// races, inside chromedp, with SendKeys reading the node's attributes (the
// race detector caught it under load).
func (tab *Tab) Fill(sel, value string) {
	tab.T.Helper()
	tab.step("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	js := `(() => { const el = document.querySelector(` + strconv.Quote(sel) + `); el.value = ""; return true; })()`
	run(tab, "empty "+sel, chromedp.Evaluate[bool](js))
	tab.step("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

// Select chooses an option of a <select> by its value.
func (tab *Tab) Select(sel, value string) {
	tab.T.Helper()
	tab.step("select "+sel, chromedp.SetValue(chromedp.CSS(sel), value, chromedp.NodeVisible))
	if got := tab.Value(sel); got != value {
		tab.T.Fatalf("[%s] select %s: value is %q, want %q (no such option?)", tab.Name, sel, got, value)
	}
}

// Press sends keys (see package kb for Tab, Enter…) to the focused
// element as a keyboard does: a keyDown that carries the key's text, then
// a keyUp. (chromedp.KeyEvent sends the text in a separate "char" event,
// which a page's preventDefault on keydown cannot stop: an Enter that
// picks from a list would also break the line.)
func (tab *Tab) Press(keys string) {
	tab.T.Helper()
	tab.step(fmt.Sprintf("press %q", keys), keyAction(keys, 0))
}

// keyAction presses keys as Press does, with modifiers held (8: Shift).
func keyAction(keys string, modifiers int64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			if r == '\n' {
				r = '\r'
			}
			events := kb.Encode(r)
			typed := slices.ContainsFunc(events, func(ev *input.DispatchKeyEventParams) bool { return ev.Type == input.DispatchKeyEventTypeChar })
			for _, ev := range events {
				switch {
				case ev.Type == input.DispatchKeyEventTypeChar:
					continue
				case ev.Type == input.DispatchKeyEventTypeKeyDown && typed:
					ev.Text, ev.UnmodifiedText = string(r), string(r)
				}
				ev.Modifiers |= modifiers
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *ev); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// WaitVisible waits until an element is shown.
func (tab *Tab) WaitVisible(sel string) {
	tab.T.Helper()
	tab.step("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitGone waits until no element matches.
func (tab *Tab) WaitGone(sel string) {
	tab.T.Helper()
	tab.step("wait for "+sel+" to go", chromedp.WaitNotPresent(chromedp.CSS(sel)))
}

// Has reports whether an element matches now, without waiting.
func (tab *Tab) Has(sel string) bool {
	tab.T.Helper()
	return Eval[bool](tab, fmt.Sprintf("document.querySelector(%q) !== null", sel))
}

// Text gives the visible text of the first visible match.
func (tab *Tab) Text(sel string) string {
	tab.T.Helper()
	return strings.TrimSpace(run(tab, "text of "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

// Value gives the current value of a form field.
func (tab *Tab) Value(sel string) string {
	tab.T.Helper()
	return run(tab, "value of "+sel, chromedp.Value(chromedp.CSS(sel), chromedp.NodeReady))
}

// Attr gives an attribute of the first match ("" when absent).
func (tab *Tab) Attr(sel, name string) string {
	tab.T.Helper()
	r := run(tab, "attribute "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name, chromedp.NodeReady))
	return r.Value
}

// Eval evaluates a JavaScript expression in the page and decodes its value
// (a promise is awaited).
func Eval[T any](tab *Tab, js string) T {
	tab.T.Helper()
	return run(tab, "evaluate "+js, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// Focused is the id of the focused element once it is want, or what it
// still is after 3 s: autofocus takes effect at the browser's next
// rendering step after load, which a busy machine can delay past the
// first look.
func (tab *Tab) Focused(want string) string {
	tab.T.Helper()
	got := ""
	for deadline := time.Now().Add(3 * time.Second); ; {
		got = Eval[string](tab, `document.activeElement ? document.activeElement.id : ""`)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitUntil polls a JavaScript condition until it is true.
func (tab *Tab) WaitUntil(js string) {
	tab.T.Helper()
	run(tab, "wait until "+js, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond)))
}

// Path gives the page's path and query.
func (tab *Tab) Path() string {
	tab.T.Helper()
	return Eval[string](tab, "location.pathname + location.search")
}

// Screenshot saves a full-page PNG of the tab and logs where.
func (tab *Tab) Screenshot(name string) string {
	tab.T.Helper()
	png := run(tab, "screenshot "+name, fullPage())
	p := saveScreenshot(tab.T, name, png)
	tab.T.Logf("screenshot %s: %s", name, p)
	return p
}

// fullPage captures the whole document as PNG, clipped to its content
// size (not only the window).
func fullPage() chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		m, err := cdp.Call(ctx, t, page.GetLayoutMetrics, cdp.Empty{})
		if err != nil {
			return nil, err
		}
		if m.CSSContentSize == nil {
			return nil, fmt.Errorf("no content size in the layout metrics")
		}
		yes := true
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			Clip:                  &page.Viewport{Width: m.CSSContentSize.Width, Height: m.CSSContentSize.Height, Scale: 1},
			FromSurface:           &yes,
			CaptureBeyondViewport: &yes,
		})
		return r.Data, err
	}
}

// ConsoleErrors lists what the tab's console reported as errors so far:
// uncaught exceptions, console.error calls and browser log errors (failed
// loads, CSP violations).
func (tab *Tab) ConsoleErrors() []string { return tab.console.errors() }

// CSPViolations lists the console errors that are Content-Security-Policy
// refusals.
func (tab *Tab) CSPViolations() []string {
	var out []string
	for _, e := range tab.console.errors() {
		if strings.Contains(e, "Content Security Policy") {
			out = append(out, e)
		}
	}
	return out
}

// Exceptions lists the uncaught JavaScript exceptions so far.
func (tab *Tab) Exceptions() []string {
	var out []string
	for _, e := range tab.console.errors() {
		if strings.HasPrefix(e, "exception: ") {
			out = append(out, e)
		}
	}
	return out
}

// AssertCleanConsole fails the test on uncaught exceptions or CSP
// violations in the tab so far.
func (tab *Tab) AssertCleanConsole() {
	tab.T.Helper()
	if bad := append(tab.Exceptions(), tab.CSPViolations()...); len(bad) > 0 {
		tab.T.Errorf("[%s] browser console has errors:\n  %s", tab.Name, strings.Join(bad, "\n  "))
	}
}

// chooseLanguage switches the interface language with the header's
// buttons, opening the menu first where they are folded behind it (narrow
// windows), as a person would.
func chooseLanguage(tab *Tab, locale string) int64 {
	tab.T.Helper()
	sel := `.lang-switch button[value="` + locale + `"]`
	if !Eval[bool](tab, `(() => { const b = document.querySelector('`+sel+`'); return !!b && b.offsetParent !== null; })()`) {
		tab.Click(".menu-button")
	}
	return tab.ClickAndWait(sel)
}

// login signs the user in through the real /login form (password
// servertest.DefaultPassword) and waits for the signed-in page.
func login(tab *Tab, u *models.User) {
	tab.T.Helper()
	loginWith(tab, u.Email, servertest.DefaultPassword)
	if got := tab.Text("header .me"); !strings.Contains(got, u.Name) {
		tab.T.Fatalf("[%s] after signing in as %s the header shows %q", tab.Name, u.Email, got)
	}
}

// loginWith submits the login form and returns the final status.
func loginWith(tab *Tab, email, password string) int64 {
	tab.T.Helper()
	if !strings.HasPrefix(tab.Path(), "/login") {
		tab.Go("/login")
	}
	tab.Fill("#email", email)
	tab.Fill("#password", password)
	return tab.ClickAndWait(`main form[action="/login"] button[type=submit]`)
}

// consoleLog gathers a tab's console errors, from the tab's event loop.
type consoleLog struct {
	mu   sync.Mutex
	errs []string
}

// listen is called by chromedp for every event of the tab; it must return
// fast and send no command.
func (c *consoleLog) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg = "exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		if d.URL != "" {
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level != log.EntryLevelError {
			return
		}
		msg = fmt.Sprintf("log %s: %s", ev.Entry.Source, ev.Entry.Text)
		if ev.Entry.URL != "" {
			msg += " (" + ev.Entry.URL + ")"
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range ev.Args {
			if a.Description != "" {
				parts = append(parts, a.Description)
			} else {
				parts = append(parts, strings.Trim(string(a.Value), `"`))
			}
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	c.mu.Lock()
	c.errs = append(c.errs, msg)
	c.mu.Unlock()
}

func (c *consoleLog) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.errs...)
}

// countSame folds repeated messages into one line with a count, keeping
// the order of first appearance.
func countSame(msgs []string) []string {
	n := map[string]int{}
	var order []string
	for _, m := range msgs {
		if n[m] == 0 {
			order = append(order, m)
		}
		n[m]++
	}
	for i, m := range order {
		if n[m] > 1 {
			order[i] = fmt.Sprintf("%s (×%d)", m, n[m])
		}
	}
	return order
}

// screenshotDir is $PACTE_SCREENSHOTS, or pacte-screenshots in the
// temporary directory.
func screenshotDir() string {
	if d := os.Getenv("PACTE_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "pacte-screenshots")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func saveScreenshot(t *testing.T, name string, png []byte) string {
	dir := screenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Errorf("screenshot directory: %v", err)
		return ""
	}
	p := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_")+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Errorf("save screenshot: %v", err)
		return ""
	}
	return p
}

// keyTab is the Tab key, for Press.
const keyTab = kb.Tab
