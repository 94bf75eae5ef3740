// Package stackfile reads and edits the project's Pulumi files without the Pulumi SDK: the
// configuration a stack runs with (Pulumi.yaml's defaults, which stackconfig/keys.go generates,
// overlaid by Pulumi.<stack>.yaml) and single-value edits of a stack file that keep its
// comments and layout. The mocks harness and the ops CLI share it, so both read a stack the
// way the Pulumi CLI passes it to the program.
package stackfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// ProjectFile is the project file's name.
const ProjectFile = "Pulumi.yaml"

// FindRoot returns dir or its nearest parent that holds Pulumi.yaml.
func FindRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ProjectFile)); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no %s in %s or any parent directory: run inside the project", ProjectFile, abs)
		}
	}
}

// FileName is the stack file of a stack. A qualified name (org/stack or org/project/stack, as
// Pulumi Cloud stacks are named) uses its last part, as the Pulumi CLI does.
func FileName(stack string) string {
	if i := strings.LastIndex(stack, "/"); i >= 0 {
		stack = stack[i+1:]
	}
	return "Pulumi." + stack + ".yaml"
}

// Path is the stack file of stack in the project directory root.
func Path(root, stack string) string { return filepath.Join(root, FileName(stack)) }

type projectFile struct {
	Name   string                    `yaml:"name"`
	Config map[string]map[string]any `yaml:"config"`
}

// Project reads the project's name and its declared keys (with their defaults).
func readProject(root string) (*projectFile, error) {
	b, err := os.ReadFile(filepath.Join(root, ProjectFile))
	if err != nil {
		return nil, err
	}
	var p projectFile
	if err := yaml.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read %s: %w", ProjectFile, err)
	}
	if p.Name == "" {
		return nil, fmt.Errorf("%s has no project name", ProjectFile)
	}
	return &p, nil
}

// ProjectName is the name in Pulumi.yaml.
func ProjectName(root string) (string, error) {
	p, err := readProject(root)
	if err != nil {
		return "", err
	}
	return p.Name, nil
}

// Config returns the configuration the Pulumi CLI passes to the program for a stack: the
// project's defaults from Pulumi.yaml overlaid by the stack file's values, keys fully
// qualified (project:key), values as strings (JSON for lists and objects). Keys in unset
// (unqualified names of the project namespace, or qualified) are left out of the stack file's
// values, as after `pulumi config rm`, so a declared key falls back to its default.
func Config(root, stack string, unset ...string) (map[string]string, error) {
	p, err := readProject(root)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, decl := range p.Config {
		if def, ok := decl["default"]; ok {
			v, err := configString(def)
			if err != nil {
				return nil, fmt.Errorf("default of %s in %s: %w", k, ProjectFile, err)
			}
			out[Qualify(p.Name, k)] = v
		}
	}
	b, err := os.ReadFile(Path(root, stack))
	if err != nil {
		return nil, err
	}
	var sf struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("read %s: %w", FileName(stack), err)
	}
	skip := map[string]bool{}
	for _, k := range unset {
		skip[Qualify(p.Name, k)] = true
	}
	for k, v := range sf.Config {
		if skip[Qualify(p.Name, k)] {
			continue
		}
		s, err := configString(v)
		if err != nil {
			return nil, fmt.Errorf("%s in %s: %w", k, FileName(stack), err)
		}
		out[Qualify(p.Name, k)] = s
	}
	return out, nil
}

// Qualify puts a key without a namespace into the project's.
func Qualify(project, key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return project + ":" + key
}

func configString(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case []any, map[string]any:
		b, err := json.Marshal(t)
		return string(b), err
	default:
		return fmt.Sprint(t), nil
	}
}

// Edit sets one top-level key of a stack file's config block, or a value nested in one.
type Edit struct {
	// Key is fully qualified (streamlake:shardCount).
	Key string
	// Path, when set, are the keys of block mappings under Key down to the value to change
	// (streamlake:datasets, then [quiz_answers shardCount]); the value must be set already.
	Path []string
	// Value is written as a plain YAML scalar; it must not need quoting.
	Value string
	// Comment, if set, is the text of a comment line kept directly above the key. A comment
	// line there that starts with CommentPrefix is replaced; otherwise one is inserted.
	Comment, CommentPrefix string
}

// Apply returns src with e applied. Only the value's characters (and the managed comment line)
// change: other comments, order, indentation and quoting stay as they are. A key the file
// does not set yet is inserted before the first key of the project's namespace.
func (e Edit) Apply(src []byte) ([]byte, error) {
	if e.Value == "" || strings.ContainsAny(e.Value, ":#'\"\n{}[],&*!|>%@`") || strings.TrimSpace(e.Value) != e.Value {
		return nil, fmt.Errorf("edit %s: value %q needs quoting, which this editor does not write", e.Key, e.Value)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("parse the stack file: %w", err)
	}
	cfg, err := configNode(&doc)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(string(src), "\n")
	keyLine := -1 // 0-based line of the key
	for i := 0; i+1 < len(cfg.Content); i += 2 {
		k, v := cfg.Content[i], cfg.Content[i+1]
		if k.Value != e.Key {
			continue
		}
		if k, v, err = e.nested(k, v); err != nil {
			return nil, err
		}
		if v.Kind != yaml.ScalarNode || v.Line != k.Line {
			return nil, fmt.Errorf("edit %s: its value is not a scalar on the key's line", e.Key)
		}
		if lines, err = replaceScalar(lines, v, e.Value); err != nil {
			return nil, fmt.Errorf("edit %s: %w", e.Key, err)
		}
		keyLine = k.Line - 1
	}
	if keyLine < 0 && len(e.Path) > 0 {
		return nil, fmt.Errorf("edit %s: %s is not set in the file: add it by hand (this editor only changes a nested value that is set)", e.Key, strings.Join(e.Path, "."))
	}
	if keyLine < 0 {
		lines, keyLine = insertKey(lines, cfg, e.Key, e.Value)
	}
	if e.Comment != "" {
		lines = setComment(lines, keyLine, e.Comment, e.CommentPrefix)
	}
	out := []byte(strings.Join(lines, ""))
	// The result must still be YAML with the new value: a last guard against a bad edit.
	var check yaml.Node
	if err := yaml.Unmarshal(out, &check); err != nil {
		return nil, fmt.Errorf("edit %s produced invalid YAML: %w", e.Key, err)
	}
	return out, nil
}

// nested walks from a top-level key and its value down Path, through block mappings, and
// returns the last key and its value.
func (e Edit) nested(k, v *yaml.Node) (*yaml.Node, *yaml.Node, error) {
	for _, want := range e.Path {
		if v.Kind != yaml.MappingNode || v.Style&yaml.FlowStyle != 0 {
			return nil, nil, fmt.Errorf("edit %s: %s is not a block mapping (write it one key a line to edit it here)", e.Key, k.Value)
		}
		found := false
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Value == want {
				k, v, found = v.Content[i], v.Content[i+1], true
				break
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("edit %s: %s is not set in the file: add it by hand (this editor only changes a nested value that is set)", e.Key, strings.Join(e.Path, "."))
		}
	}
	return k, v, nil
}

// configNode returns the mapping under the document's top-level config key.
func configNode(doc *yaml.Node) (*yaml.Node, error) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("the stack file is not a YAML mapping")
	}
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "config" {
			if m := top.Content[i+1]; m.Kind == yaml.MappingNode && len(m.Content) > 0 && m.Style&yaml.FlowStyle == 0 {
				return m, nil
			}
			return nil, errors.New("the stack file's config is not a non-empty block mapping")
		}
	}
	return nil, errors.New("the stack file has no config block")
}

// replaceScalar replaces the scalar v's characters in its line with value.
func replaceScalar(lines []string, v *yaml.Node, value string) ([]string, error) {
	line := lines[v.Line-1]
	start := runeOffset(line, v.Column-1)
	var end int
	switch v.Style {
	case 0: // plain: up to a comment or the end of the line
		end = start + len(v.Value)
		if !strings.HasPrefix(line[start:], v.Value) {
			return nil, fmt.Errorf("line %d: cannot find the value %q", v.Line, v.Value)
		}
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		q := line[start]
		i := strings.IndexByte(line[start+1:], q)
		if i < 0 {
			return nil, fmt.Errorf("line %d: a quoted value spans lines", v.Line)
		}
		end = start + i + 2
	default:
		return nil, fmt.Errorf("line %d: a block scalar cannot be edited here", v.Line)
	}
	lines[v.Line-1] = line[:start] + value + line[end:]
	return lines, nil
}

// runeOffset turns a 0-based column (in characters, as yaml.v3 counts) into a byte offset.
func runeOffset(s string, col int) int {
	n := 0
	for i := range s {
		if n == col {
			return i
		}
		n++
	}
	return len(s)
}

// insertKey adds "key: value" before the first key of the key's namespace (after aws: keys),
// or after the last key when there is none.
func insertKey(lines []string, cfg *yaml.Node, key, value string) ([]string, int) {
	ns := key[:strings.Index(key, ":")+1]
	first := cfg.Content[0]
	at := -1
	for i := 0; i+1 < len(cfg.Content); i += 2 {
		if strings.HasPrefix(cfg.Content[i].Value, ns) {
			at = cfg.Content[i].Line - 1
			break
		}
	}
	if at < 0 {
		at = lastLine(cfg)
	}
	// Keep the comment block above that key with it: insert above its comments.
	for at > 0 && strings.HasPrefix(strings.TrimSpace(lines[at-1]), "#") {
		at--
	}
	line := strings.Repeat(" ", first.Column-1) + key + ": " + value + "\n"
	out := append(append(append([]string{}, lines[:at]...), line), lines[at:]...)
	return out, at
}

// lastLine is the 0-based line after the mapping's last entry.
func lastLine(n *yaml.Node) int {
	last := n.Line
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		last = max(last, n.Line)
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return last
}

// setComment keeps comment directly above line at (0-based), replacing a managed comment line
// (one that starts with prefix) there; it returns the new lines.
func setComment(lines []string, at int, comment, prefix string) []string {
	indent := lines[at][:len(lines[at])-len(strings.TrimLeft(lines[at], " "))]
	text := indent + "# " + comment + "\n"
	if at > 0 && prefix != "" && strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[at-1]), "#")), prefix) {
		lines[at-1] = text
		return lines
	}
	return append(append(append([]string{}, lines[:at]...), text), lines[at:]...)
}
