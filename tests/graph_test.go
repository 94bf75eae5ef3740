package tests

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/streamlake/streamlake/internal/stacktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// graphNode is one resource as the engine sees it: what decides whether a deploy creates,
// updates, replaces or deletes it.
type graphNode struct {
	URN                 string         `json:"urn"`
	Parent              string         `json:"parent,omitempty"`
	Custom              bool           `json:"custom"`
	Protect             bool           `json:"protect,omitempty"`
	RetainOnDelete      bool           `json:"retainOnDelete,omitempty"`
	DeleteBeforeReplace bool           `json:"deleteBeforeReplace,omitempty"`
	ReplaceOnChanges    []string       `json:"replaceOnChanges,omitempty"`
	DependsOn           []string       `json:"dependsOn,omitempty"`
	Inputs              map[string]any `json:"inputs"`
}

// graph renders a stack's resources, inputs and options as stable JSON. The Lambda archive is
// masked: its hash follows the transform's source, which has its own tests.
func graph(t *testing.T, res *stacktest.Result) []byte {
	t.Helper()
	nodes := make([]graphNode, 0, len(res.Resources))
	for _, r := range res.Resources {
		in := r.Inputs
		if r.Type == tFunction {
			in = maps.Clone(in)
			in["code"], in["sourceCodeHash"] = "<transform archive>", "<transform archive sha256>"
		}
		// shardCount changes by routine pull requests (`streamlake shards --to N --write`): the
		// graph pins that it is the stack file's value, not the value itself.
		if n, ok := in["shardCount"].(float64); r.Type == tStream && ok && int(n) == fileShards(t, res.Stack) {
			in = maps.Clone(in)
			in["shardCount"] = "<shardCount of Pulumi." + res.Stack + ".yaml>"
		}
		deps := slices.Clone(r.DependsOn)
		slices.Sort(deps)
		nodes = append(nodes, graphNode{
			URN: r.URN, Parent: r.Parent, Custom: r.Custom, Protect: r.Protect, RetainOnDelete: r.RetainOnDelete,
			DeleteBeforeReplace: r.DeleteBeforeReplace, ReplaceOnChanges: r.ReplaceOnChanges,
			DependsOn: deps, Inputs: in,
		})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(nodes); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// firstDiff returns the first differing line of two texts with its number, for messages.
func firstDiff(a, b []byte) (int, string, string) {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range max(len(la), len(lb)) {
		var x, y []byte
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if !bytes.Equal(x, y) {
			return i + 1, string(x), string(y)
		}
	}
	return 0, "", ""
}

// TestResourceGraphIsGolden pins every resource of every stack (type, name, parent, options
// and inputs) to testdata/graph-<stack>.json. A changed name, type or parent replaces live
// resources: a diff here must be deliberate. Review it, then run
// `go test ./tests -run TestResourceGraphIsGolden -update`.
func TestResourceGraphIsGolden(t *testing.T) {
	for _, stack := range stacks {
		got := graph(t, run(t, stack, nil))
		path := filepath.Join("testdata", "graph-"+stack+".json")
		if *update {
			if err := os.MkdirAll("testdata", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			line, g, w := firstDiff(got, want)
			t.Errorf("%s: the resource graph differs from %s, first at line %d:\n got: %s\nwant: %s\nReview the whole diff (write it with -update, then git diff): no resource may be replaced by accident", stack, path, line, g, w)
		}
	}
}
