package server_test

import (
	"testing"

	"pacte/models"
	"pacte/server/servertest"
)

func TestSmoke_LoginAndMe(t *testing.T) {
	app := servertest.New(t, models.SQLite)
	mod := app.User(models.RoleModerator, "apebi")
	c := app.Login(mod)
	var me struct {
		User struct {
			ID    int64  `json:"id"`
			Email string `json:"email"`
		} `json:"user"`
		CSRF string `json:"csrf_token"`
	}
	if st := c.Do("GET", "/api/v1/me", nil, &me); st != 200 || me.User.ID != mod.ID || me.CSRF == "" {
		t.Fatalf("me: %d %+v", st, me)
	}
	for _, p := range []string{"/", "/profile", "/admin/users"} {
		r := c.Raw("GET", p, "", nil)
		if r.Status != 200 {
			t.Errorf("GET %s: %d %s", p, r.Status, r.Body)
		}
	}
}
