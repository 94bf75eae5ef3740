package recovery

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the generated IAM block of docs/operations.md")

const (
	docFile  = "docs/operations.md"
	docBegin = "<!-- BEGIN iam-policies -->"
	docEnd   = "<!-- END iam-policies -->"
)

// docResources are placeholders named after the stack outputs that fill them.
var docResources = Resources{Bucket: "<bucketName>", StreamArn: "<streamArn>", KeyArn: "<keyArn>", Region: "<region>"}

// policiesMarkdown renders each command's operator policy.
func policiesMarkdown() (string, error) {
	var b strings.Builder
	b.WriteString("<!-- generated from recovery.OperatorPolicy: go test ./internal/recovery -run TestOperationsDoc -update -->\n")
	for _, cmd := range Commands {
		doc, err := OperatorPolicy(cmd, docResources, stackPrefixes)
		if err != nil {
			return "", err
		}
		var j bytes.Buffer
		enc := json.NewEncoder(&j)
		enc.SetEscapeHTML(false) // the placeholders' angle brackets stay readable
		enc.SetIndent("", "  ")
		if err := enc.Encode(doc); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "\n`streamlake %s`:\n\n```json\n%s```\n", cmd, j.String())
	}
	return b.String(), nil
}

// The IAM block of docs/operations.md is what OperatorPolicy builds.
func TestOperationsDoc(t *testing.T) {
	path := filepath.Join(testenv.ModuleRoot(t), docFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i, j := strings.Index(text, docBegin), strings.Index(text, docEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks %s ... %s", docFile, docBegin, docEnd)
	}
	block, err := policiesMarkdown()
	if err != nil {
		t.Fatal(err)
	}
	want := text[:i+len(docBegin)] + "\n" + block + text[j:]
	switch {
	case want == text:
	case *update:
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Errorf("%s's IAM policies differ from recovery.OperatorPolicy: run `go test ./internal/recovery -run TestOperationsDoc -update`", docFile)
	}
}
