package policy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/streamlake/streamlake/internal/stacktest"
)

var (
	safeOnce sync.Once
	safeMiB  float64
	safeOK   bool
)

// SafeProcessorBufferMiB is transform.SafeProcessorBufferMiB, the largest Firehose processor
// buffer the transform's tests prove safe, when the transform package declares it. It is read
// from the package's source rather than imported, so the suite neither depends on the
// transform package compiling nor breaks while it is being written; ok is false when the
// constant is not (yet) there, and deploy-firehose-processor then checks Firehose's limits only.
func SafeProcessorBufferMiB() (miB float64, ok bool) {
	safeOnce.Do(func() { safeMiB, safeOK = readSafeProcessorBuffer() })
	return safeMiB, safeOK
}

func readSafeProcessorBuffer() (float64, bool) {
	root, err := stacktest.Root()
	if err != nil {
		return 0, false
	}
	files, _ := filepath.Glob(filepath.Join(root, "transform", "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, src, 0)
		if err != nil {
			continue
		}
		for _, decl := range file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if name.Name != "SafeProcessorBufferMiB" || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
						if v, err := strconv.ParseFloat(lit.Value, 64); err == nil {
							return v, true
						}
					}
				}
			}
		}
	}
	return 0, false
}
