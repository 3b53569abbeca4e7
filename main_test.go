package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"pacte/config"
)

// The compose file cannot be run here (no Docker engine), so this test reads
// it and checks that it matches what the binary actually reads.
func TestDockerCompose_MatchesConfiguration(t *testing.T) {
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Build       any               `yaml:"build"`
			Environment map[string]string `yaml:"environment"`
			Healthcheck map[string]any    `yaml:"healthcheck"`
			Volumes     []string          `yaml:"volumes"`
			DependsOn   map[string]any    `yaml:"depends_on"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docker-compose.yml is not valid YAML: %v", err)
	}
	for _, name := range []string{"db", "app1", "app2", "proxy"} {
		if _, ok := doc.Services[name]; !ok {
			t.Errorf("service %q missing", name)
		}
	}
	db := doc.Services["db"]
	if !strings.HasPrefix(db.Image, "postgres:") || db.Healthcheck == nil {
		t.Errorf("db must run PostgreSQL with a health check: %+v", db)
	}
	if _, ok := doc.Volumes["pgdata"]; !ok || !slices.Contains(db.Volumes, "pgdata:/var/lib/postgresql/data") {
		t.Errorf("PostgreSQL data must live in the named volume pgdata")
	}
	for _, name := range []string{"app1", "app2"} {
		app := doc.Services[name]
		if app.Build == nil || app.Healthcheck == nil {
			t.Errorf("%s must build this repository and have a health check", name)
		}
		if _, ok := app.DependsOn["db"]; !ok {
			t.Errorf("%s must depend on db", name)
		}
		for k := range app.Environment {
			if !slices.Contains(config.Env, k) {
				t.Errorf("%s sets %s, which Pacte does not read (it reads %v)", name, k, config.Env)
			}
		}
		url := app.Environment["DATABASE_URL"]
		if !strings.HasPrefix(url, "postgres://") || !strings.Contains(url, "@db:5432/") {
			t.Errorf("%s DATABASE_URL must point at the db service: %q", name, url)
		}
		if app.Environment["PACTE_BASE_URL"] == "" {
			t.Errorf("%s must set PACTE_BASE_URL", name)
		}
	}
	// The Dockerfile is multi-stage and serves the same port.
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(df), "\nFROM ") < 1 || !strings.Contains(string(df), " AS build") || !strings.Contains(string(df), "HEALTHCHECK") {
		t.Error("Dockerfile must be multi-stage with a health check")
	}
}

func TestRun_Usage(t *testing.T) {
	if code := run([]string{"--no-such-flag"}); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
	if code := run([]string{"--help"}); code != 0 {
		t.Errorf("--help: exit %d, want 0", code)
	}
	if code := run([]string{"backup"}); code != 2 {
		t.Errorf("backup without a file: exit %d, want 2", code)
	}
}

func TestRun_Backup(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "copy.db")
	if code := run([]string{"backup", out, "--data-dir", dir}); code != 0 {
		t.Fatalf("backup: exit %d", code)
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Fatalf("backup file: %v", err)
	}
}
