package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

// Every redirect target the server answers for the corpus of tricks is
// read by Chromium's own URL parser: each must stay on the site. The raw
// tricks, read by the same parser, do leave it, so the corpus bites.
func TestRedirect_ChromiumReadsEveryTargetAsLocal(t *testing.T) {
	t.Parallel()
	app := servertest.New(t, models.SQLite)
	u := app.User(models.RoleMember, "apebi")
	c := app.Login(u)
	b, err := os.ReadFile("../server/testdata/redirect-tricks.json")
	if err != nil {
		t.Fatal(err)
	}
	var tricks []string
	if err := json.Unmarshal(b, &tricks); err != nil {
		t.Fatal(err)
	}
	c.Headers["Accept"] = "text/html"
	var locations []string
	for _, trick := range tricks {
		r := c.Raw("GET", "/login?next="+url.QueryEscape(trick), "", nil)
		if r.Status != 303 {
			t.Fatalf("GET /login?next=%q signed in: %d", trick, r.Status)
		}
		locations = append(locations, r.Header.Get("Location"))
	}
	tab := newBrowser(t, app)
	tab.Go("/login")
	in, _ := json.Marshal(map[string]any{"locations": locations, "tricks": tricks})
	var out struct {
		Locations []string `json:"locations"`
		Tricks    []string `json:"tricks"`
	}
	got := Eval[string](tab, `(() => {
	  const d = `+string(in)+`;
	  const host = (s) => { try { return new URL(s, location.href).host; } catch (e) { return "(unparsable)"; } };
	  return JSON.stringify({locations: d.locations.map(host), tricks: d.tricks.map(host)});
	})()`)
	if err := json.Unmarshal([]byte(got), &out); err != nil {
		t.Fatal(err)
	}
	site, _ := url.Parse(app.URL)
	escapes := 0
	for i, trick := range tricks {
		if out.Locations[i] != site.Host {
			t.Errorf("next=%q: the server answered Location %q, which Chromium reads as host %q", trick, locations[i], out.Locations[i])
		}
		if out.Tricks[i] != site.Host {
			escapes++
		}
	}
	if escapes < 20 {
		t.Errorf("only %d tricks leave the site when read raw: the corpus does not test much", escapes)
	}
	t.Logf("%d of %d tricks leave the site when read raw; every answer stays", escapes, len(tricks))
}
