package stackfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackfile"
)

func TestFileNameAndRoot(t *testing.T) {
	for stack, want := range map[string]string{"prod": "Pulumi.prod.yaml", "my-org/prod": "Pulumi.prod.yaml", "o/p/dev": "Pulumi.dev.yaml"} {
		if got := stackfile.FileName(stack); got != want {
			t.Errorf("FileName(%q) = %q, want %q", stack, got, want)
		}
	}
	if _, err := stackfile.FindRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no Pulumi.yaml") {
		t.Errorf("FindRoot outside the project: %v", err)
	}
}

// Editing shardCount in copies of the real stack files changes that value's characters and,
// with a managed comment, that one line: every other line stays byte for byte.
func TestEditRealStackFiles(t *testing.T) {
	dir := testenv.CopyProject(t)
	for _, stack := range []string{"dev", "prod"} {
		path := stackfile.Path(dir, stack)
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := stackfile.ReadOps(dir, stack)
		if err != nil {
			t.Fatal(err)
		}
		to := ops.ShardCount * 2
		e := stackfile.Edit{Key: "streamlake:shardCount", Value: itoa(to), Comment: "capacity (test): new", CommentPrefix: "capacity (test):"}
		after, err := e.Apply(before)
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		if err := os.WriteFile(path, after, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := stackfile.ReadOps(dir, stack)
		if err != nil || got.ShardCount != to {
			t.Fatalf("%s: after the edit shardCount is %d (%v), want %d", stack, got.ShardCount, err, to)
		}
		diff := lineDiff(string(before), string(after))
		wantDiff := []string{"- streamlake:shardCount: " + itoa(ops.ShardCount), "+ # capacity (test): new", "+ streamlake:shardCount: " + itoa(to)}
		if strings.Join(diff, "\n") != strings.Join(wantDiff, "\n") {
			t.Errorf("%s: the edit changed\n%s\nwant\n%s", stack, strings.Join(diff, "\n"), strings.Join(wantDiff, "\n"))
		}
		// A second edit replaces the managed comment instead of stacking another.
		again, err := stackfile.Edit{Key: "streamlake:shardCount", Value: itoa(ops.ShardCount), Comment: "capacity (test): old", CommentPrefix: "capacity (test):"}.Apply(after)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(string(again), "capacity (test)") != 1 || !strings.Contains(string(again), "  # capacity (test): old\n  streamlake:shardCount: "+itoa(ops.ShardCount)+"\n") {
			t.Errorf("%s: second edit:\n%s", stack, again)
		}
	}
}

func TestEditCases(t *testing.T) {
	tests := []struct {
		name, src, want, err string
		e                    stackfile.Edit
	}{
		{name: "trailing comment and quotes kept",
			src:  "# head\nconfig:\n  aws:region: eu-west-1\n  streamlake:shardCount: \"4\" # busy\n",
			e:    stackfile.Edit{Key: "streamlake:shardCount", Value: "8"},
			want: "# head\nconfig:\n  aws:region: eu-west-1\n  streamlake:shardCount: 8 # busy\n"},
		{name: "absent key goes before the project's first key, above its comments",
			src:  "config:\n  aws:region: eu-west-1\n  # retention\n  streamlake:retentionHours: 24\n",
			e:    stackfile.Edit{Key: "streamlake:shardCount", Value: "2", Comment: "cap: 2", CommentPrefix: "cap:"},
			want: "config:\n  aws:region: eu-west-1\n  # cap: 2\n  streamlake:shardCount: 2\n  # retention\n  streamlake:retentionHours: 24\n"},
		{name: "absent key with no project key goes last",
			src:  "config:\n    aws:region: eu-west-1\n",
			e:    stackfile.Edit{Key: "streamlake:shardCount", Value: "2"},
			want: "config:\n    aws:region: eu-west-1\n    streamlake:shardCount: 2\n"},
		{name: "unrelated comment above is not replaced",
			src:  "config:\n  # keep me\n  streamlake:shardCount: 1\n",
			e:    stackfile.Edit{Key: "streamlake:shardCount", Value: "2", Comment: "cap: 2", CommentPrefix: "cap:"},
			want: "config:\n  # keep me\n  # cap: 2\n  streamlake:shardCount: 2\n"},
		{name: "no config", src: "name: x\n", e: stackfile.Edit{Key: "streamlake:shardCount", Value: "2"}, err: "no config block"},
		{name: "flow mapping", src: "config: {a: 1}\n", e: stackfile.Edit{Key: "streamlake:shardCount", Value: "2"}, err: "block mapping"},
		{name: "value needing quotes", src: "config:\n  a: 1\n", e: stackfile.Edit{Key: "streamlake:shardCount", Value: "a: b"}, err: "needs quoting"},
		{name: "list value", src: "config:\n  streamlake:shardCount:\n    - 1\n", e: stackfile.Edit{Key: "streamlake:shardCount", Value: "2"}, err: "not a scalar"},
	}
	for _, tt := range tests {
		got, err := tt.e.Apply([]byte(tt.src))
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case string(got) != tt.want:
			t.Errorf("%s:\n%s\nwant\n%s", tt.name, got, tt.want)
		default:
			var v map[string]map[string]any
			if err := yaml.Unmarshal(got, &v); err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
		}
	}
}

func TestReadOpsDefaults(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("Pulumi.yaml", "name: streamlake\nconfig:\n  streamMode:\n    default: PROVISIONED\n  shardCount:\n    default: \"\"\n  apiRateLimit:\n    default: 50\n")
	write("Pulumi.a.yaml", "config:\n  aws:region: eu-west-1\n")
	write("Pulumi.b.yaml", "config:\n  streamlake:streamMode: ON_DEMAND\n  streamlake:apiRateLimit: 12.5\n")
	write("Pulumi.c.yaml", "config:\n  streamlake:shardCount: many\n")
	a, err := stackfile.ReadOps(dir, "a")
	if err != nil || a.ShardCount != 1 || a.ShardCountSet || a.StreamMode != "PROVISIONED" || a.APIRateLimit != 50 || a.OnDemand() || a.Region != "eu-west-1" {
		t.Errorf("a: %+v %v", a, err)
	}
	b, err := stackfile.ReadOps(dir, "org/b")
	if err != nil || b.ShardCount != 0 || !b.OnDemand() || b.APIRateLimit != 12.5 || b.File != "Pulumi.b.yaml" || b.Region != "" {
		t.Errorf("b: %+v %v", b, err)
	}
	if _, err := stackfile.ReadOps(dir, "c"); err == nil || !strings.Contains(err.Error(), `Pulumi.c.yaml: shardCount must be a whole number, got "many"`) {
		t.Errorf("c: %v", err)
	}
	if _, err := stackfile.ReadOps(dir, "none"); err == nil {
		t.Error("a missing stack file must fail")
	}
}

func itoa(n int) string {
	b, _ := yaml.Marshal(n)
	return strings.TrimSpace(string(b))
}

// lineDiff lists removed ("- ") and added ("+ ") lines, trimmed, for edits that only replace
// or insert lines.
func lineDiff(a, b string) []string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	i, j := 0, 0
	for i < len(al) || j < len(bl) {
		switch {
		case i < len(al) && j < len(bl) && al[i] == bl[j]:
			i, j = i+1, j+1
		case j+1 < len(bl) && i < len(al) && bl[j+1] == al[i]:
			out = append(out, "+ "+strings.TrimSpace(bl[j]))
			j++
		default:
			if i < len(al) {
				out = append(out, "- "+strings.TrimSpace(al[i]))
				i++
			}
			if j < len(bl) {
				out = append(out, "+ "+strings.TrimSpace(bl[j]))
				j++
			}
		}
	}
	return out
}
