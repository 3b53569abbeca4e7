package server_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"pacte/markdown/xsstest"
	"pacte/models"
	"pacte/server/servertest"
)

// commBody is the text of the measures these tests comment on. The flag is
// two astral characters (four UTF-16 units), so anchor offsets only come out
// right when counted as the browser counts them.
const commBody = "## Objectif\n\nLa transformation numérique 🇲🇦 des PME **marocaines** est une priorité.\n\nLes PME exportatrices d'abord."

// commWorld is a cast and a few measures for comment tests.
type commWorld struct {
	app                                                   *servertest.App
	author, sameFed, otherFed, reviewer, moderator, admin *models.User
	// draft is open only to APEBI (federation visibility); open is visible
	// to the whole platform; withdrawn and rejected are closed to comments.
	draft, open, withdrawn, rejected int64
}

func newCommWorld(t *testing.T, app *servertest.App) *commWorld {
	t.Helper()
	w := &commWorld{app: app,
		author:    app.User(models.RoleMember, "apebi"),
		sameFed:   app.User(models.RoleMember, "apebi"),
		otherFed:  app.User(models.RoleMember, "ausim"),
		reviewer:  app.User(models.RoleReviewer, "ministry"),
		moderator: app.User(models.RoleModerator, "msec"),
		admin:     app.User(models.RoleAdmin, ""),
	}
	w.draft = app.Measure(t, w.author, servertest.MeasureSpec{Title: "Brouillon APEBI", Body: commBody, Axis: "startups", Visibility: models.VisibilityFederation, Status: "draft", Quiet: true})
	w.open = app.Measure(t, w.author, servertest.MeasureSpec{Title: "Mesure ouverte", Body: commBody, Axis: "startups", Visibility: models.VisibilityPlatform, Status: "in_review", Quiet: true})
	w.withdrawn = app.Measure(t, w.author, servertest.MeasureSpec{Title: "Mesure retirée", Body: commBody, Axis: "startups", Visibility: models.VisibilityPlatform, Status: "withdrawn", Quiet: true})
	w.rejected = app.Measure(t, w.author, servertest.MeasureSpec{Title: "Mesure rejetée", Body: commBody, Axis: "startups", Visibility: models.VisibilityPlatform, Status: "rejected", Quiet: true})
	return w
}

// comment posts a comment through the store, as the author.
func (w *commWorld) comment(t *testing.T, by *models.User, measure int64, body string, parent int64) int64 {
	t.Helper()
	in := models.NewComment{Body: body}
	if parent != 0 {
		in.ParentID = &parent
	}
	v, err := w.app.Store.CreateComment(context.Background(), by, measure, in)
	if err != nil {
		t.Fatalf("comment: %v", err)
	}
	return v.ID
}

// apiComment is a comment of the API, every field optional so that a
// missing one shows.
type apiComment struct {
	ID           int64        `json:"id"`
	MeasureID    int64        `json:"measure_id"`
	ParentID     *int64       `json:"parent_id"`
	Status       string       `json:"status"`
	Body         *string      `json:"body"`
	BodyHTML     *string      `json:"body_html"`
	Author       *apiRef      `json:"author"`
	Anchor       *apiAnchor   `json:"anchor"`
	CreatedAt    string       `json:"created_at"`
	EditedAt     *string      `json:"edited_at"`
	HiddenReason *string      `json:"hidden_reason"`
	HiddenBy     *apiRef      `json:"hidden_by"`
	OpenReports  *int         `json:"open_reports"`
	Replies      []apiComment `json:"replies"`
}

type apiRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type apiAnchor struct {
	Quote    string `json:"quote"`
	From     int    `json:"from"`
	To       int    `json:"to"`
	Detached bool   `json:"detached"`
}

type apiCommentList struct {
	Items      []apiComment `json:"items"`
	NextCursor *string      `json:"next_cursor"`
	Count      int          `json:"count"`
}

func commentsPath(measure int64) string { return fmt.Sprintf("/api/v1/measures/%d/comments", measure) }
func commentPath(id int64, action string) string {
	p := fmt.Sprintf("/api/v1/comments/%d", id)
	if action != "" {
		p += "/" + action
	}
	return p
}

// listComments reads a measure's threads through the API.
func listComments(t *testing.T, c *servertest.Client, measure int64) apiCommentList {
	t.Helper()
	var out apiCommentList
	r := c.Request("GET", commentsPath(measure), nil)
	if r.Status != 200 {
		t.Fatalf("list comments: %d %s", r.Status, r.Body)
	}
	if err := r.JSON(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// findComment looks a comment up anywhere in a thread.
func findComment(items []apiComment, id int64) *apiComment {
	for i := range items {
		if items[i].ID == id {
			return &items[i]
		}
		if c := findComment(items[i].Replies, id); c != nil {
			return c
		}
	}
	return nil
}

// form fills url.Values with the client's CSRF token, as a page's form does.
func form(c *servertest.Client, kv ...string) url.Values {
	v := url.Values{"csrf_token": {c.CSRF}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// eventsOf reads the log rows of a type for a measure.
func eventsOf(t *testing.T, app *servertest.App, measure int64, typ string) []models.Event {
	t.Helper()
	var evs []models.Event
	if err := app.Store.Read(context.Background()).Where("measure_id = ? AND type = ?", measure, typ).Order("id").Find(&evs).Error; err != nil {
		t.Fatal(err)
	}
	return evs
}

// commXSSPayloads is the shared corpus of the markdown package.
var commXSSPayloads = xsstest.Payloads

// unsafeHTML is the shared check for executable content in user HTML.
func unsafeHTML(s string) string { return xsstest.Unsafe(s) }

// pageExecutables parses a whole page as a browser would and lists what in
// it could run: scripts other than the app's bundle, event-handler
// attributes, javascript:/data: URLs, frames, objects, inline styles.
func pageExecutables(page []byte) []string {
	doc, err := html.Parse(strings.NewReader(string(page)))
	if err != nil {
		return []string{"unparseable page: " + err.Error()}
	}
	var bad []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script":
				src := attr(n, "src")
				if !strings.HasPrefix(src, "/static/js/") || n.FirstChild != nil {
					bad = append(bad, "script "+src)
				}
			case "iframe", "object", "embed", "frame", "base", "svg", "math", "style":
				bad = append(bad, "<"+n.Data+">")
			case "meta":
				if attr(n, "http-equiv") != "" {
					bad = append(bad, "meta http-equiv")
				}
			}
			for _, a := range n.Attr {
				k, v := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(k, "on") {
					bad = append(bad, "attribute "+a.Key+" on <"+n.Data+">")
				}
				if k == "style" {
					bad = append(bad, "style attribute on <"+n.Data+">")
				}
				if (k == "href" || k == "src" || k == "action" || k == "formaction" || k == "data" || k == "xlink:href") &&
					(strings.HasPrefix(strings.Join(strings.Fields(v), ""), "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:")) {
					bad = append(bad, k+"="+a.Val+" on <"+n.Data+">")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return bad
}

var untranslatedKey = regexp.MustCompile(`(^|[>\s"])((comments|moderation|audit|flash|event)\.[a-z_.]+)`)

// untranslated finds a catalogue key shown as is (a missing translation).
func untranslated(page []byte) string {
	if m := untranslatedKey.FindSubmatch(page); m != nil {
		return string(m[2])
	}
	return ""
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
