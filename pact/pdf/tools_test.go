package pdf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// pdfTool returns the path of a poppler-utils program, skipping the test
// when it is missing, unless PACTE_REQUIRE_PDFTOOLS=1 asks for a failure.
func pdfTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("PACTE_REQUIRE_PDFTOOLS") == "1" {
		t.Fatalf("%s not found and PACTE_REQUIRE_PDFTOOLS=1: apt-get install -y poppler-utils", name)
	}
	t.Skipf("%s not found: apt-get install -y poppler-utils to run this test", name)
	return ""
}

// runTool runs a poppler program on pdf (written to a temporary file) and
// returns its standard output. In args, "{}" stands for the file's path.
func runTool(t testing.TB, pdf []byte, name string, args ...string) string {
	t.Helper()
	tool := pdfTool(t, name)
	file := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		if a == "{}" {
			args[i] = file
		}
	}
	cmd := exec.Command(tool, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("%s says: %s", name, stderr.String())
	}
	return string(out)
}
