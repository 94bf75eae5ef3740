package stacks_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

var update = flag.Bool("update", false, "rewrite the generated schema table of docs/schema.md")

// schemaDocFile holds the generated schema table (relative to the module root).
const schemaDocFile = "docs/schema.md"

// TestSchemaDocsAreGenerated: docs/schema.md's schema table is what schema/events.yaml renders;
// `go test ./stacks -run TestSchemaDocs -update` rewrites it.
func TestSchemaDocsAreGenerated(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, schemaDocFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := stackconfig.ReplaceBlock(string(b), schema.DocTableBegin, schema.DocTableEnd, schema.Default().DocTable(schema.EmbeddedFile))
	if err != nil {
		t.Fatalf("%s: %v", schemaDocFile, err)
	}
	switch {
	case want == string(b):
	case *update:
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Errorf("%s's schema table differs from %s: run `go test ./stacks -run TestSchemaDocs -update`\n%s",
			schemaDocFile, schema.EmbeddedFile, firstLineDiffering(string(b), want))
	}
}

// firstLineDiffering shows the first line where the file and the rendering differ.
func firstLineDiffering(file, generated string) string {
	f, g := strings.Split(file, "\n"), strings.Split(generated, "\n")
	for i := 0; i < len(f) && i < len(g); i++ {
		if f[i] != g[i] {
			return fmt.Sprintf("line %d:\n  file:      %s\n  generated: %s", i+1, f[i], g[i])
		}
	}
	return "the files differ in length"
}
