package config_test

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"pacte/config"
	"pacte/models"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoad_Defaults(t *testing.T) {
	c, err := config.Load(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{Addr: ":8080", DataDir: "./data", BaseURL: "http://localhost:8080", LogLevel: "info", LogFormat: "text",
		BodyLimit: "2M", ShutdownGrace: c.ShutdownGrace, WSPerUser: 32, MailFrom: "pacte@localhost",
		Sessions: models.DefaultSessionLifetimes(), Retention: models.DefaultRetentionPolicy(), RetainMail: 30 * 24 * time.Hour, RetentionEvery: time.Hour}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults\n got %+v\nwant %+v", c, want)
	}
	if c.ShutdownGrace <= 0 {
		t.Error("no shutdown grace")
	}
}

func TestLoad_EnvironmentOverDefaults(t *testing.T) {
	c, err := config.Load(nil, env(map[string]string{
		"PACTE_ADDR": "127.0.0.1:9000", "PACTE_DATA_DIR": "/var/lib/pacte", "DATABASE_URL": "postgres://pacte@db/pacte",
		"PACTE_TRUSTED_PROXIES": " 10.0.0.1 , 10.1.0.0/16,,", "PACTE_LOG_LEVEL": "debug", "PACTE_LOG_FORMAT": "json",
		"PACTE_BODY_LIMIT": "4M", "PACTE_DEMO": "1", "PACTE_ADMIN_EMAIL": "boss@example.ma", "PACTE_ADMIN_PASSWORD": "a long secret",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.DataDir != "/var/lib/pacte" || c.DatabaseURL != "postgres://pacte@db/pacte" ||
		c.LogLevel != "debug" || c.LogFormat != "json" || c.BodyLimit != "4M" || !c.Demo ||
		c.AdminEmail != "boss@example.ma" || c.AdminPassword != "a long secret" {
		t.Errorf("from the environment: %+v", c)
	}
	if !reflect.DeepEqual(c.TrustedProxies, []string{"10.0.0.1", "10.1.0.0/16"}) {
		t.Errorf("trusted proxies %q", c.TrustedProxies)
	}
	if c.BaseURL != "http://127.0.0.1:9000" {
		t.Errorf("base URL derived from the address: %q", c.BaseURL)
	}
}

func TestLoad_FlagsOverEnvironment(t *testing.T) {
	e := env(map[string]string{"PACTE_ADDR": ":9000", "PACTE_BASE_URL": "https://env.example.ma", "PACTE_LOG_LEVEL": "debug", "PACTE_DEMO": "true",
		"PACTE_DATA_DIR": "/env", "PACTE_TRUSTED_PROXIES": "10.0.0.1"})
	c, err := config.Load([]string{"--addr", ":7000", "-base-url=https://flag.example.ma/", "--log-level", "warn", "--demo=false",
		"--data-dir", "/flag", "--trusted-proxies", "192.0.2.1,192.0.2.2"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":7000" || c.BaseURL != "https://flag.example.ma" || c.LogLevel != "warn" || c.Demo || c.DataDir != "/flag" {
		t.Errorf("flags did not win: %+v", c)
	}
	if !reflect.DeepEqual(c.TrustedProxies, []string{"192.0.2.1", "192.0.2.2"}) {
		t.Errorf("trusted proxies %q", c.TrustedProxies)
	}
	c, _ = config.Load([]string{"--addr", "0.0.0.0:7001"}, env(nil), io.Discard)
	if c.BaseURL != "http://localhost:7001" {
		t.Errorf("base URL for 0.0.0.0: %q", c.BaseURL)
	}
}

func TestLoad_Errors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"UnknownFlag", []string{"--nope"}, nil},
		{"ExtraArgument", []string{"serve"}, nil},
		{"BadLogLevel", nil, map[string]string{"PACTE_LOG_LEVEL": "loud"}},
		{"BadAddr", []string{"--addr", "nonsense"}, nil},
		{"DatabaseURLNotPostgres", nil, map[string]string{"DATABASE_URL": "host=db user=pacte password=hunter2hunter2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(tc.args, env(tc.env), io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows a password: %v", err)
			}
		})
	}
	var help strings.Builder
	if _, err := config.Load([]string{"--help"}, env(nil), &help); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	for _, name := range config.Env {
		if name == "PACTE_ADMIN_EMAIL" || name == "PACTE_ADMIN_PASSWORD" {
			continue // environment only: a password never belongs on a command line
		}
		if !strings.Contains(help.String(), name) {
			t.Errorf("--help does not mention %s", name)
		}
	}
}

// The start-up banner never shows the admin password nor a database password.
func TestDescribe_NoSecrets(t *testing.T) {
	for _, dbURL := range []string{
		"postgres://pacte:hunter2hunter2@db:5432/pacte?sslmode=disable",
		"postgresql://pacte:hunter2hunter2@db/pacte",
		"postgres://pacte:hunter2%40hunter2@db/pacte",
		"postgres://pacte:hunter2@hunter2@db/pacte",
		"postgres://pacte@db/pacte?sslmode=disable&password=hunter2hunter2",
		"postgres://db/pacte?password=hunter2hunter2&user=pacte",
	} {
		t.Run(dbURL, func(t *testing.T) {
			c, err := config.Load(nil, env(map[string]string{"DATABASE_URL": dbURL, "PACTE_ADMIN_EMAIL": "boss@example.ma",
				"PACTE_ADMIN_PASSWORD": "the-admin-secret"}), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			out := fmt.Sprint(c.Describe()...)
			for _, secret := range []string{"hunter2", "the-admin-secret"} {
				if strings.Contains(out, secret) {
					t.Errorf("Describe shows %q: %s", secret, out)
				}
			}
			if !strings.Contains(out, "db") || !strings.Contains(out, "boss@example.ma") {
				t.Errorf("Describe lost useful facts: %s", out)
			}
		})
	}
	c, _ := config.Load(nil, env(nil), io.Discard)
	if out := fmt.Sprint(c.Describe()...); !strings.Contains(out, "sqlite") {
		t.Errorf("SQLite banner: %s", out)
	}
}

// PACTE_SIGNING_KEY is read from the environment only, checked at start,
// and never shown.
func TestLoad_SigningKey(t *testing.T) {
	const seed = "cGFjdGUtdGVzdC1zZWVkLTAxMjM0NTY3ODlhYmNkZWY="
	c, err := config.Load(nil, env(map[string]string{"PACTE_SIGNING_KEY": " " + seed + "\n"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.SigningKey != seed {
		t.Errorf("signing key %q", c.SigningKey)
	}
	out := fmt.Sprint(c.Describe()...)
	if strings.Contains(out, seed) || strings.Contains(out, seed[:20]) {
		t.Errorf("Describe shows the signing key: %s", out)
	}
	if !strings.Contains(out, "PACTE_SIGNING_KEY") {
		t.Errorf("Describe does not say where the key comes from: %s", out)
	}
	c, _ = config.Load(nil, env(nil), io.Discard)
	if out := fmt.Sprint(c.Describe()...); !strings.Contains(out, "signing-key.pem") {
		t.Errorf("Describe without PACTE_SIGNING_KEY: %s", out)
	}
	const bad = "c2hvcnQgc2VjcmV0IHZhbHVl"
	_, err = config.Load(nil, env(map[string]string{"PACTE_SIGNING_KEY": bad}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PACTE_SIGNING_KEY") || strings.Contains(err.Error(), bad) {
		t.Errorf("a 17-byte key: %v", err)
	}
	if _, err := config.Load([]string{"--signing-key", seed}, env(nil), io.Discard); err == nil {
		t.Error("the key was accepted on the command line")
	}
}
