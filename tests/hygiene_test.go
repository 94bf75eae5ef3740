package tests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv"
)

// TestNoHandWrittenSortedKeys: a map's keys in order are slices.Sorted(maps.Keys(m)), not a
// loop that collects them and a sort (issue 10), in test code too.
func TestNoHandWrittenSortedKeys(t *testing.T) {
	root := testenv.ModuleRoot(t)
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, name := range sortedKeyLoops(f) {
			t.Errorf("%s: %s collects a map's keys and sorts them: use slices.Sorted(maps.Keys(m))", rel, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d Go files found under %s", files, root)
	}
}

// TestSortedKeyLoopsAreFound: the check finds the pattern it is for, and not a loop that
// sorts something else.
func TestSortedKeyLoopsAreFound(t *testing.T) {
	src := `package p
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
func values(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
func unsorted(m map[string]bool) (out []string) {
	for k := range m {
		out = append(out, k)
	}
	return out
}
func inline(m map[string]bool) {
	var names []string
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	use(names)
}`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedKeyLoops(f); strings.Join(got, ",") != "sortedKeys,inline" {
		t.Errorf("found %v, want [sortedKeys inline]", got)
	}
}

// sortedKeyLoops names the functions of f that range over a map's keys only, append each key
// to a slice, and later sort that slice.
func sortedKeyLoops(f *ast.File) []string {
	var out []string
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		found := false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if b, ok := n.(*ast.BlockStmt); ok && !found {
				found = blockSortsKeys(b)
			}
			return !found
		})
		if found {
			out = append(out, fn.Name.Name)
		}
	}
	return out
}

// blockSortsKeys reports whether a block has a key-collecting range loop followed by a sort
// of the slice it fills.
func blockSortsKeys(b *ast.BlockStmt) bool {
	for i, st := range b.List {
		slice := collectedKeys(st)
		if slice == "" {
			continue
		}
		for _, later := range b.List[i+1:] {
			if sortsSlice(later, slice) {
				return true
			}
		}
	}
	return false
}

// collectedKeys is the slice a `for k := range m { s = append(s, k) }` fills, or "".
func collectedKeys(st ast.Stmt) string {
	r, ok := st.(*ast.RangeStmt)
	if !ok || r.Value != nil || len(r.Body.List) != 1 {
		return ""
	}
	key, ok := r.Key.(*ast.Ident)
	if !ok {
		return ""
	}
	as, ok := r.Body.List[0].(*ast.AssignStmt)
	if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
		return ""
	}
	call, ok := as.Rhs[0].(*ast.CallExpr)
	if !ok || !isIdent(call.Fun, "append") || len(call.Args) != 2 || !isIdent(call.Args[1], key.Name) {
		return ""
	}
	if s, ok := as.Lhs[0].(*ast.Ident); ok && isIdent(call.Args[0], s.Name) {
		return s.Name
	}
	return ""
}

// sortsSlice reports whether st is sort.Strings(s), sort.Slice(s, …), slices.Sort(s) or
// slices.SortFunc(s, …).
func sortsSlice(st ast.Stmt, slice string) bool {
	e, ok := st.(*ast.ExprStmt)
	if !ok {
		return false
	}
	call, ok := e.X.(*ast.CallExpr)
	if !ok || len(call.Args) == 0 || !isIdent(call.Args[0], slice) {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && (pkg.Name == "sort" || pkg.Name == "slices") && strings.HasPrefix(sel.Sel.Name, "S")
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}
