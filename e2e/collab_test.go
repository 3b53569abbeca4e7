package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"pacte/models"
	"pacte/server/servertest"
)

// together runs each tab's actions at the same moment and waits for all;
// it fails the test with every error (t.Fatal may not be called from the
// goroutines themselves).
func together(t *testing.T, jobs map[*Tab][]chromedp.Action[chromedp.Void]) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for tab, actions := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(tab.Ctx, stepTimeout)
			defer cancel()
			if err := chromedp.Do(ctx, actions...); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("[%s] %w", tab.Name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// insertWords types text as an input method would, one word at a time
// (each an Input.insertText), pausing between words like a person does.
func insertWords(text string, pause time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for i, w := range strings.SplitAfter(text, " ") {
			if i > 0 {
				time.Sleep(pause) // typing pace, not a wait for a result
			}
			if _, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: w}); err != nil {
				return err
			}
		}
		return nil
	})
}

// typeKeys types text key by key, pausing between keys like a person does.
func typeKeys(text string, pause time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for i, r := range text {
			if i > 0 {
				time.Sleep(pause) // typing pace, not a wait for a result
			}
			if _, err := chromedp.KeyEvent(string(r))(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// apiMeasure is what the tests read back from GET /api/v1/measures/:id.
type apiMeasure struct {
	Body     string `json:"body"`
	Revision int    `json:"revision"`
	Status   string `json:"status"`
}

// waitAPIBody polls the API until the measure's body is want.
func waitAPIBody(t *testing.T, c *servertest.Client, id int64, want string) apiMeasure {
	t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var m apiMeasure
	for {
		m = apiMeasure{}
		st := c.Do("GET", fmt.Sprintf("/api/v1/measures/%d", id), nil, &m)
		if st == 200 && m.Body == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/v1/measures/%d: status %d, body %q; want body %q", id, st, m.Body, want)
		}
		time.Sleep(50 * time.Millisecond) // polling interval, not an assertion
	}
}

// TestCollab_TwoEditors is issue 5 in two browsers: two editors of two
// federations type into the same measure at the same time, at its start and
// at its end (one in French key by key, the other in Arabic with emoji
// through the input method); both editors end with the same text, which the
// API then returns; each sees the other's caret with their name; the save
// indicator says saved. Then one submits the measure through the API and the
// other's editor turns read-only with the reason.
func TestCollab_TwoEditors(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	app.Server.SetCollabIdle(300 * time.Millisecond)
	amina := person(t, app, models.RoleMember, "apebi", "Amina Benali")
	youssef := person(t, app, models.RoleMember, "ausim", "Youssef El Idrissi")
	id := commentsMeasure(t, app, amina)
	if _, err := app.Store.AddEditor(context.Background(), amina, id, youssef.ID); err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("/measures/%d/edit", id)

	a := newBrowser(t, app)
	a.Name = "amina"
	login(a, amina)
	a.Go(edit)
	y := a.NewWindow("youssef")
	login(y, youssef)
	y.Go(edit)
	editorReady(a)
	editorReady(y)
	if got := Eval[string](a, "window.pacteEditor.text()"); got != commentsBody {
		t.Fatalf("the editor opens with %q", got)
	}
	// Amina types a sentence at the start, Youssef one at the end, at once.
	const fromAmina = "Priorité aux régions.\n\n"
	// (Enter goes through the input method too: chromedp's Enter sends a
	// char event CodeMirror's keymap does not swallow, a second line break
	// no real keyboard makes.)
	const fromYoussef = "\n\nيدعم أوسيم هذا الإجراء 🇲🇦 بقوة ✅"
	a.step("go to the start", chromedp.Focus(chromedp.CSS(".cm-content"), chromedp.NodeVisible), chromedp.KeyEvent(kb.Home, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	y.step("go to the end", chromedp.Focus(chromedp.CSS(".cm-content"), chromedp.NodeVisible), chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	// Youssef starts once the server has accepted Amina's first keys, and
	// types while she goes on: their pushes overlap whatever the machine's
	// load (a fixed start raced, and on a busy machine one could finish
	// before the other began).
	aminaStarted := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for {
			var n int64
			if err := app.Store.Read(ctx).Raw("SELECT COUNT(*) FROM collab_updates WHERE measure_id = ? AND user_id = ?", id, amina.ID).Scan(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	together(t, map[*Tab][]chromedp.Action[chromedp.Void]{
		a: {typeKeys(strings.TrimSpace(fromAmina), 50*time.Millisecond), insertWords("\n\n", 0)},
		y: {aminaStarted, insertWords(fromYoussef, 60*time.Millisecond)},
	})
	want := fromAmina + commentsBody + fromYoussef
	wantJS := fmt.Sprintf("%q", want)
	for _, tab := range []*Tab{a, y} {
		tab.WaitUntil(`window.pacteEditor.text() === ` + wantJS)
		tab.WaitUntil(`window.pacteEditor.saveState() === "saved"`)
		tab.WaitUntil(`document.querySelector("[data-save-state]")?.dataset.state === "saved"`)
		if got := tab.Text("[data-save-state]"); got != "Enregistré" {
			t.Errorf("[%s] the save indicator reads %q", tab.Name, got)
		}
	}
	api := app.Login(amina)
	waitAPIBody(t, api, id, want)
	// The two really typed at once: the server accepted their updates
	// interleaved, not one person's after the other's.
	if order := updateAuthors(t, app, id, amina, youssef); !strings.Contains(order, "AY") || !strings.Contains(order, "YA") {
		t.Errorf("accepted updates by author, in order: %s; want them interleaved", order)
	} else {
		t.Logf("accepted updates by author, in order: %s", order)
	}

	// The other's caret, with their name. A caret is sent when the
	// selection moves, so each clicks once more in the text.
	a.step("move Amina's caret", chromedp.Focus(chromedp.CSS(".cm-content")), chromedp.KeyEvent(kb.ArrowLeft))
	y.step("move Youssef's caret", chromedp.Focus(chromedp.CSS(".cm-content")), chromedp.KeyEvent(kb.ArrowLeft))
	a.WaitUntil(fmt.Sprintf(`[...document.querySelectorAll(".cm-remote-caret .cm-remote-name")].some(e => e.textContent === %q)`, youssef.Name))
	y.WaitUntil(fmt.Sprintf(`[...document.querySelectorAll(".cm-remote-caret .cm-remote-name")].some(e => e.textContent === %q)`, amina.Name))
	if n := Eval[int](a, `document.querySelectorAll(".cm-remote-caret").length`); n != 1 {
		t.Errorf("Amina sees %d remote carets, want 1", n)
	}
	a.Snapshot("collab-amina")
	y.Snapshot("collab-youssef")

	// Youssef submits through the API: Amina's editor turns read-only and
	// says why.
	yc := app.Login(youssef)
	var st int
	for try := 0; try < 3; try++ {
		m := waitAPIBody(t, yc, id, want)
		r := yc.Request("POST", fmt.Sprintf("/api/v1/measures/%d/submit", id), map[string]any{"revision": m.Revision})
		if st = r.Status; st != 409 || r.ErrorCode() != "stale_revision" {
			break // a co-edit folded into a revision in between: read it again
		}
	}
	if st != 200 {
		t.Fatalf("submit: status %d", st)
	}
	a.WaitUntil(`document.querySelector("[data-save-state]")?.dataset.state === "readonly"`)
	a.WaitUntil(`document.querySelector(".cm-content")?.contentEditable === "false"`)
	if got := a.Text("[data-save-state]"); got != "Lecture seule" {
		t.Errorf("the save indicator of a submitted measure reads %q", got)
	}
	if got := a.Text("[data-editor-message]"); !strings.Contains(got, "ne peut plus être modifiée") {
		t.Errorf("the reason shown to Amina: %q", got)
	}
	// Youssef's own editor, too.
	y.WaitUntil(`document.querySelector("[data-save-state]")?.dataset.state === "readonly"`)
	// Typing does nothing now.
	a.step("type into the read-only editor", chromedp.Click(chromedp.CSS(".cm-content"), chromedp.NodeVisible), chromedp.KeyEvent("xyz"))
	if got := Eval[string](a, "window.pacteEditor.text()"); got != want {
		t.Errorf("the read-only editor took typing: %q", got)
	}
	a.Snapshot("collab-readonly")

	assertCleanConsoleEditing(a)
	assertCleanConsoleEditing(y)
}

// updateAuthors spells who made each accepted update of the measure, in
// version order ("AAYAY…"), to show how the two people's typing interleaved.
func updateAuthors(t *testing.T, app *servertest.App, id int64, a, y *models.User) string {
	t.Helper()
	var ids []int64
	if err := app.Store.Read(context.Background()).Raw("SELECT user_id FROM collab_updates WHERE measure_id = ? ORDER BY version", id).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, u := range ids {
		switch u {
		case a.ID:
			b.WriteByte('A')
		case y.ID:
			b.WriteByte('Y')
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}
