package config_test

import (
	"io"
	"testing"

	"pacte/config"
)

// TestLoad_WSPerUser: the per-account websocket cap defaults to 32, is read
// from PACTE_WS_PER_USER or --ws-per-user (the flag wins), and must be a
// positive whole number.
func TestLoad_WSPerUser(t *testing.T) {
	c, err := config.Load(nil, env(map[string]string{"PACTE_WS_PER_USER": "8"}), io.Discard)
	if err != nil || c.WSPerUser != 8 {
		t.Fatalf("env: %d, %v", c.WSPerUser, err)
	}
	c, err = config.Load([]string{"--ws-per-user", "5"}, env(map[string]string{"PACTE_WS_PER_USER": "8"}), io.Discard)
	if err != nil || c.WSPerUser != 5 {
		t.Fatalf("flag: %d, %v", c.WSPerUser, err)
	}
	for _, bad := range []string{"0", "-1", "many", "1e3"} {
		if _, err := config.Load(nil, env(map[string]string{"PACTE_WS_PER_USER": bad}), io.Discard); err == nil {
			t.Errorf("PACTE_WS_PER_USER=%s accepted", bad)
		}
	}
}
