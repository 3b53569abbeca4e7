package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"gopkg.in/yaml.v3"

	"pacte/config"
	"pacte/models"
	"pacte/pact"
	"pacte/pact/export"
	"pacte/pact/export/exporttest"
	"pacte/search"
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

// pacte reindex: rebuilds the index of a stopped instance's data directory
// from its database, and refuses while a server holds the index.
func TestRun_Reindex(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	store, err := models.Open(ctx, models.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	if code := run([]string{"reindex", "--data-dir", dir}); code != 0 {
		t.Fatalf("reindex: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "search", "index_meta.json")); err != nil {
		t.Fatalf("no index written: %v", err)
	}
	// A server holding the index: refused, and the index is left alone.
	held, _, err := search.Open(filepath.Join(dir, "search"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if code := run([]string{"reindex", "--data-dir", dir}); code != 1 {
		t.Fatalf("reindex of an index in use: exit %d, want 1", code)
	}
}

// pacte verify, end to end: documents as the server makes them, the key
// fetched from the issuer named in the manifest (an HTTP server here).
func TestRun_Verify(t *testing.T) {
	signer, err := pact.NewSigner([]byte("pacte-test-seed-0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/pacte-signing-key" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(signer.PublicKey())
	}))
	defer srv.Close()
	doc := exporttest.Document(srv.URL, "ar")
	dir := t.TempDir()
	publish := func(format string) string {
		t.Helper()
		var buf bytes.Buffer
		m := pact.NewManifest(doc, format)
		signer.Sign(&m)
		switch format {
		case "csv":
			err = export.CSV(&buf, doc)
			var mb bytes.Buffer
			_ = export.WriteManifest(&mb, m)
			_ = os.WriteFile(filepath.Join(dir, "pacte.csv.manifest"), mb.Bytes(), 0o644)
		case "json":
			err = export.JSON(&buf, doc, m)
		case "xlsx":
			err = export.XLSX(&buf, doc, m)
		case "pdf":
			err = export.PDF(&buf, doc, signer, exporttest.PagesPDF("Pacte"))
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "pacte."+format)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	other, _ := pact.NewSigner(bytes.Repeat([]byte{1}, 32))
	otherKey := filepath.Join(dir, "other-key.json")
	j, _ := json.Marshal(other.PublicKey())
	_ = os.WriteFile(otherKey, j, 0o644)

	for _, format := range []string{"csv", "json", "xlsx", "pdf"} {
		t.Run(format, func(t *testing.T) {
			path := publish(format)
			if code := run([]string{"verify", path}); code != 0 {
				t.Fatalf("fresh %s: exit %d, want 0", format, code)
			}
			if code := run([]string{"verify", path, "--key", otherKey}); code != 1 {
				t.Errorf("wrong key: exit %d, want 1", code)
			}
			// One letter of measure 12's body (or of the PDF's pages).
			switch format {
			case "xlsx":
				f, err := excelize.OpenFile(path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := f.GetCellValue("Measures", "E2")
				_ = f.SetCellStr("Measures", "E2", strings.Replace(body, "**partout**", "**Partout**", 1))
				if err := f.Save(); err != nil {
					t.Fatal(err)
				}
				f.Close()
			default:
				data, _ := os.ReadFile(path)
				i := bytes.Index(data, []byte("**partout**"))
				if format == "pdf" {
					i = bytes.Index(data, []byte("(Pacte)"))
				}
				data[i+2] ^= 0x20
				_ = os.WriteFile(path, data, 0o644)
			}
			if code := run([]string{"verify", path}); code != 1 {
				t.Errorf("one letter changed: exit %d, want 1", code)
			}
		})
	}
	if code := run([]string{"verify", filepath.Join(dir, "missing.pdf")}); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
	if code := run([]string{"verify"}); code != 2 {
		t.Errorf("verify without a file: exit %d, want 2", code)
	}
}
