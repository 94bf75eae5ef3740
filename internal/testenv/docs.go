package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Generated keeps a file of generated blocks in step with the code that renders them: render
// turns the file's text into what it should be (usually by replacing the blocks between their
// markers). Equal passes; with update the file is rewritten; otherwise the test fails with the
// first line that differs and how, the command that regenerates it. path is relative to the
// module root.
func Generated(t testing.TB, path string, render func(doc string) (string, error), update bool, how string) {
	t.Helper()
	full := filepath.Join(ModuleRoot(t), path)
	b, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render(string(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	switch {
	case want == string(b):
	case update:
		if err := os.WriteFile(full, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Errorf("%s is stale (run `%s`): %s", path, how, firstDifference(string(b), want))
	}
}

// firstDifference names the first line where the file and its rendering differ.
func firstDifference(file, want string) string {
	f, w := strings.Split(file, "\n"), strings.Split(want, "\n")
	for i := range min(len(f), len(w)) {
		if f[i] != w[i] {
			return fmt.Sprintf("line %d:\n  file:      %s\n  generated: %s", i+1, f[i], w[i])
		}
	}
	return "the files differ in length"
}
