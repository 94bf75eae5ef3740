package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/streamlake/streamlake/lambdapkg"
)

// Missing skips the test because what it needs is not installed, or fails it when CI=true:
// CI must never pass by skipping.
func Missing(t testing.TB, what string) {
	t.Helper()
	msg := what + " is not available: run scripts/install-standins.sh"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: stand-ins are required)")
	}
	t.Skip(msg)
}

// ModuleRoot returns the module root (the directory holding go.mod) above the working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	root, err := lambdapkg.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// CopyProject copies Pulumi.yaml and every stack file into a temporary project directory, for
// tests that edit stack files.
func CopyProject(t testing.TB) string {
	t.Helper()
	root, dst := ModuleRoot(t), t.TempDir()
	files, err := filepath.Glob(filepath.Join(root, "Pulumi*.yaml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("project files in %s: %v %v", root, files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
