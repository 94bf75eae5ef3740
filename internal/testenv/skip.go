package testenv

import (
	"os"
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
