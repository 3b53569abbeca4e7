package config_test

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"pacte/config"
)

func TestLoad_RequireTOTP(t *testing.T) {
	c, err := config.Load(nil, env(nil), io.Discard)
	if err != nil || c.RequireTOTPRoles != nil {
		t.Fatalf("default: %q %v", c.RequireTOTPRoles, err)
	}
	c, err = config.Load(nil, env(map[string]string{"PACTE_REQUIRE_TOTP": " reviewer, Admin,,reviewer "}), io.Discard)
	if err != nil || !reflect.DeepEqual(c.RequireTOTPRoles, []string{"reviewer", "admin"}) {
		t.Errorf("from the environment: %q %v", c.RequireTOTPRoles, err)
	}
	c, err = config.Load([]string{"--require-totp", "moderator"}, env(map[string]string{"PACTE_REQUIRE_TOTP": "reviewer"}), io.Discard)
	if err != nil || !reflect.DeepEqual(c.RequireTOTPRoles, []string{"moderator"}) {
		t.Errorf("flag over environment: %q %v", c.RequireTOTPRoles, err)
	}
	for _, bad := range []string{"member", "reviewer,boss"} {
		if _, err := config.Load([]string{"--require-totp", bad}, env(nil), io.Discard); err == nil {
			t.Errorf("--require-totp %s accepted", bad)
		}
	}
	if out := fmt.Sprintln(c.Describe()...); !strings.Contains(out, "require_totp moderator") {
		t.Errorf("the banner does not say which roles need TOTP: %s", out)
	}
	found := false
	for _, name := range config.Env {
		found = found || name == "PACTE_REQUIRE_TOTP"
	}
	if !found {
		t.Error("PACTE_REQUIRE_TOTP missing from config.Env")
	}
}
