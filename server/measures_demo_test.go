package server_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"pacte/models"
	"pacte/server"
	"pacte/server/servertest"
)

var msDemoPassword = regexp.MustCompile(`password for all: (\S+)\)`)

// TestMeasuresDemo_Seed: --demo seeds accounts of every role and measures in
// every state once, prints a password that works, and a second start renews
// the password without seeding twice.
func TestMeasuresDemo_Seed(t *testing.T) {
	servertest.EachEngine(t, func(t *testing.T, app *servertest.App) {
		ctx := context.Background()
		if err := app.Server.Start(ctx, server.StartOptions{Demo: true}); err != nil {
			t.Fatal(err)
		}
		out := app.Console.String()
		m := msDemoPassword.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no demo password printed: %s", out)
		}
		first := m[1]
		if models.ValidatePassword(first) != "" {
			t.Errorf("demo password %q breaks the password rules", first)
		}
		if strings.Contains(app.Logs.String(), first) {
			t.Error("the demo password reached the logs")
		}
		roles := map[string]bool{}
		for _, a := range models.DemoAccounts() {
			if !strings.Contains(out, a.Email) {
				t.Errorf("account %s not printed", a.Email)
			}
			roles[a.Role] = true
		}
		if len(roles) != 4 {
			t.Errorf("demo roles: %v", roles)
		}
		login := func(email, password string) *servertest.Response {
			return app.Anonymous().Request("POST", "/api/v1/session", map[string]string{"email": email, "password": password})
		}
		admin := "sara.kettani@" + models.DemoDomain
		c := app.Anonymous()
		var sess struct {
			CSRF string `json:"csrf_token"`
		}
		if st := c.Do("POST", "/api/v1/session", map[string]string{"email": admin, "password": first}, &sess); st != 200 {
			t.Fatalf("demo admin cannot sign in: %d", st)
		}
		var list struct {
			Items []struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
				Title  string `json:"title"`
			} `json:"items"`
		}
		msDo(t, c, "GET", "/api/v1/measures?limit=200", nil, 200, &list)
		statuses := map[string]int{}
		for _, it := range list.Items {
			statuses[it.Status]++
		}
		if len(list.Items) < 12 || len(statuses) != len(models.MeasureStatuses) {
			t.Errorf("demo measures: %d, statuses %v", len(list.Items), statuses)
		}
		var reviews, comments int64
		app.Store.Read(ctx).Table("reviews").Count(&reviews)
		app.Store.Read(ctx).Table("comments").Count(&comments)
		if reviews < 5 || comments < 5 {
			t.Errorf("%d reviews, %d comments", reviews, comments)
		}
		// Every demo measure page renders for the admin.
		for _, it := range list.Items {
			if r := msHTML(c, "/measures/"+strings.TrimSpace(strings.Split(msPath(it.ID), "/measures/")[1])); r.Status != 200 {
				t.Errorf("demo measure %q page: %d", it.Title, r.Status)
			}
		}

		if err := app.Server.Start(ctx, server.StartOptions{Demo: true}); err != nil {
			t.Fatal(err)
		}
		all := msDemoPassword.FindAllStringSubmatch(app.Console.String(), -1)
		second := all[len(all)-1][1]
		if second == first {
			t.Fatal("the demo password was not renewed")
		}
		if r := login(admin, first); r.Status != 401 {
			t.Errorf("old demo password still works: %d", r.Status)
		}
		if r := login("amina.benali@"+models.DemoDomain, second); r.Status != 200 {
			t.Errorf("new demo password refused: %d", r.Status)
		}
		var n int64
		app.Store.Read(ctx).Table("measures").Count(&n)
		if n != int64(len(list.Items)) {
			t.Errorf("second start seeded again: %d measures", n)
		}
	})
}
