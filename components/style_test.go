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
	n := 0
	for f, file := range sources(t, token.NewFileSet()) {
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

// TestApplyInputsAreNamed: a callback that combines outputs reads them by name (policy's map,
// a StringMap or StringArrayMap), never by position in pulumi.All's []any (v[0]..v[6]), where
// adding an input shifts every index after it (issue 10).
func TestApplyInputsAreNamed(t *testing.T) {
	fset := token.NewFileSet()
	callbacks := 0
	for _, file := range sources(t, fset) {
		for _, at := range positionalIndexes(file, fset) {
			t.Errorf("%s: resolved outputs indexed by position: name them", at)
		}
		callbacks += len(applyCallbacks(file))
	}
	if callbacks < 5 {
		t.Errorf("found %d ApplyT callbacks; the check is not seeing them", callbacks)
	}
}

// TestPositionalIndexesAreFound: the check sees v[3] in an ApplyT callback over []any, and not
// a computed index or a named value.
func TestPositionalIndexesAreFound(t *testing.T) {
	src := `package p
func a() { pulumi.All(x, y).ApplyT(func(v []any) (string, error) { return v[1].(string), nil }) }
func b() { pulumi.All(xs...).ApplyT(func(v []any) string { return v[len(v)-1].(string) + v[i].(string) }) }
func c() { m.ApplyT(func(v map[string]string) string { return v["name"] }) }`
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := positionalIndexes(file, fset); len(got) != 1 || !strings.HasPrefix(got[0], "p.go:2:") {
		t.Errorf("found %v, want one in a (line 2)", got)
	}
}

// applyCallbacks are the function literals passed to ApplyT.
func applyCallbacks(file *ast.File) []*ast.FuncLit {
	var out []*ast.FuncLit
	ast.Inspect(file, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok || len(c.Args) != 1 {
			return true
		}
		if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "ApplyT" {
			if lit, ok := c.Args[0].(*ast.FuncLit); ok {
				out = append(out, lit)
			}
		}
		return true
	})
	return out
}

// positionalIndexes are the places where an ApplyT callback indexes its []any parameter with
// an integer literal.
func positionalIndexes(file *ast.File, fset *token.FileSet) []string {
	var out []string
	for _, lit := range applyCallbacks(file) {
		params := lit.Type.Params.List
		if len(params) != 1 || len(params[0].Names) != 1 {
			continue
		}
		if arr, ok := params[0].Type.(*ast.ArrayType); !ok || arr.Len != nil || !isAny(arr.Elt) {
			continue
		}
		param := params[0].Names[0].Name
		ast.Inspect(lit.Body, func(n ast.Node) bool {
			ix, ok := n.(*ast.IndexExpr)
			if !ok {
				return true
			}
			if id, ok := ix.X.(*ast.Ident); ok && id.Name == param {
				if _, ok := ix.Index.(*ast.BasicLit); ok {
					out = append(out, fset.Position(ix.Pos()).String())
				}
			}
			return true
		})
	}
	return out
}

func isAny(e ast.Expr) bool {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name == "any"
	}
	it, ok := e.(*ast.InterfaceType)
	return ok && len(it.Methods.List) == 0
}

// sources parses the package's non-test files, by name.
func sources(t *testing.T, fset *token.FileSet) map[string]*ast.File {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*ast.File{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		if out[f], err = parser.ParseFile(fset, f, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
