package config_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"pacte/config"
	"pacte/models"
)

// The session lifetimes and retention periods are settings: environment
// or flags, days allowed, each checked with a message naming it.
func TestLoad_SessionAndRetentionSettings(t *testing.T) {
	c, err := config.Load([]string{"--retain-mail", "7d"}, env(map[string]string{
		"PACTE_SESSION_IDLE": "15m", "PACTE_SESSION_ABSOLUTE": "8h", "PACTE_RETAIN_TOKENS": "60d",
		"PACTE_RETAIN_NOTIFICATIONS": "4320h", "PACTE_RETAIN_MAIL": "1d", "PACTE_COLLAB_KEEP": "50", "PACTE_RETENTION_EVERY": "30m",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	const day = 24 * time.Hour
	if c.Sessions != (models.SessionLifetimes{Idle: 15 * time.Minute, Absolute: 8 * time.Hour}) {
		t.Errorf("sessions %+v", c.Sessions)
	}
	if c.Retention != (models.RetentionPolicy{Tokens: 60 * day, Notifications: 180 * day, CollabKeep: 50}) {
		t.Errorf("retention %+v", c.Retention)
	}
	if c.RetainMail != 7*day || c.RetentionEvery != 30*time.Minute {
		t.Errorf("mail %s (the flag wins), every %s", c.RetainMail, c.RetentionEvery)
	}
	desc := map[string]any{}
	d := c.Describe()
	for i := 0; i+1 < len(d); i += 2 {
		desc[d[i].(string)] = d[i+1]
	}
	for _, k := range []string{"session_idle", "session_absolute", "retain_tokens", "retain_notifications", "retain_mail", "collab_keep", "retention_every"} {
		if _, ok := desc[k]; !ok {
			t.Errorf("Describe lacks %s", k)
		}
	}

	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PACTE_SESSION_IDLE": "0s"}, "session-idle"},
		{map[string]string{"PACTE_SESSION_IDLE": "-5m"}, "session-idle"},
		{map[string]string{"PACTE_SESSION_ABSOLUTE": "soon"}, "session-absolute"},
		{map[string]string{"PACTE_SESSION_IDLE": "13h"}, "must not be longer than its absolute lifetime"},
		{map[string]string{"PACTE_RETAIN_TOKENS": "0d"}, "retain-tokens"},
		{map[string]string{"PACTE_RETAIN_NOTIFICATIONS": "1.5d"}, "retain-notifications"},
		{map[string]string{"PACTE_RETAIN_MAIL": "-1h"}, "retain-mail"},
		{map[string]string{"PACTE_RETENTION_EVERY": "0"}, "retention-every"},
		{map[string]string{"PACTE_COLLAB_KEEP": "-1"}, "collab-keep"},
		{map[string]string{"PACTE_COLLAB_KEEP": "many"}, "collab-keep"},
	} {
		_, err := config.Load(nil, env(tc.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %q", tc.env, err, tc.want)
		}
	}
}
