package lakesql

import (
	"flag"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackconfig"
)

var update = flag.Bool("update", false, "rewrite docs/contributing.md's macro table")

// The generated macro table's markers in docs/contributing.md.
const (
	macrosBegin = "<!-- BEGIN lakesql-macros -->"
	macrosEnd   = "<!-- END lakesql-macros -->"
)

// TestMacroDocs: the dialect bridges the local lake adds to DuckDB are documented as Macros
// declares them (issue 13: a small, documented set).
func TestMacroDocs(t *testing.T) {
	var b strings.Builder
	b.WriteString("<!-- generated from lakesql.Macros: go test ./internal/lakesql -run TestMacroDocs -update -->\n")
	b.WriteString("| Athena function | DuckDB macro | why |\n|---|---|---|\n")
	for _, m := range Macros {
		b.WriteString("| `" + m.Name + "` | `" + strings.ReplaceAll(m.SQL, "|", `\|`) + "` | " + m.Why + " |\n")
	}
	testenv.Generated(t, "docs/contributing.md", func(doc string) (string, error) {
		return stackconfig.ReplaceBlock(doc, macrosBegin, macrosEnd, b.String())
	}, *update, "go test ./internal/lakesql -run TestMacroDocs -update")
}
