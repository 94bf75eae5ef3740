package components

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryComponentRegistersOutputs: a component that never calls RegisterResourceOutputs
// stays "creating" in the engine; the mocks cannot see it, so the source is checked.
func TestEveryComponentRegistersOutputs(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || !strings.HasPrefix(fn.Name.Name, "New") {
				continue
			}
			calls := map[string]bool{}
			ast.Inspect(fn, func(node ast.Node) bool {
				if c, ok := node.(*ast.CallExpr); ok {
					if sel, ok := c.Fun.(*ast.SelectorExpr); ok {
						calls[sel.Sel.Name] = true
					}
				}
				return true
			})
			if !calls["RegisterComponentResource"] {
				continue
			}
			n++
			if !calls["RegisterResourceOutputs"] {
				t.Errorf("%s: %s registers a component but never its outputs", f, fn.Name.Name)
			}
			if !calls["Validate"] {
				t.Errorf("%s: %s does not validate its args before creating resources", f, fn.Name.Name)
			}
		}
	}
	if n < 9 {
		t.Errorf("found %d component constructors; the check is not seeing them", n)
	}
}
