package stackconfig

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Generated blocks are delimited by marker lines; ReplaceBlock rewrites what lies between.
const (
	ProjectConfigBegin = "# BEGIN config: generated from stackconfig/keys.go"
	ProjectConfigEnd   = "# END config"
	ConfigTableBegin   = "<!-- BEGIN config-table -->"
	ConfigTableEnd     = "<!-- END config-table -->"
	DatasetKeysBegin   = "<!-- BEGIN dataset-keys -->"
	DatasetKeysEnd     = "<!-- END dataset-keys -->"
)

// regenerate is the command that rewrites the generated blocks.
const regenerate = "go test ./stackconfig -run TestConfigDocs -update"

// ProjectConfig renders the config block of Pulumi.yaml: every project key with its type,
// default and description, grouped, after a header stating the unit convention.
func ProjectConfig(keys []Key) string {
	var b strings.Builder
	for _, line := range wrap("Every key streamlake reads, with its default; Pulumi.<stack>.yaml files set the values. "+
		"Edit the table in stackconfig/keys.go, then run `"+regenerate+"`.", 96) {
		b.WriteString("# " + line + "\n")
	}
	for _, line := range wrap("Units: "+UnitConvention, 96) {
		b.WriteString("# " + line + "\n")
	}
	b.WriteString("config:\n")
	group := ""
	for _, k := range keys {
		if strings.Contains(k.Name, ":") {
			continue // another namespace: not declared by this project
		}
		if k.Group != group {
			group = k.Group
			b.WriteString("  # --- " + group + " " + strings.Repeat("-", max(3, 88-len(group))) + "\n")
		}
		b.WriteString("  " + k.Name + ":\n")
		if t := k.yamlType(); t != "" {
			b.WriteString("    type: " + t + "\n")
		}
		if k.kind == kindList {
			b.WriteString("    items:\n      type: string\n")
		}
		b.WriteString("    default: " + yamlDefault(k) + "\n")
		b.WriteString("    description: >-\n")
		for _, line := range wrap(description(k), 94) {
			b.WriteString("      " + line + "\n")
		}
	}
	return b.String()
}

// description is the key's doc with its rule and, where it depends on other keys, default.
func description(k Key) string {
	d := k.Doc
	if k.Allowed != "" && k.kind != kindBool {
		d += " Allowed: " + k.Allowed + "."
	}
	if k.DefaultDoc != "" {
		d += " Default: " + k.DefaultDoc + "."
	}
	if k.PerDataset {
		d += " Per dataset: also settable as datasets.<name>." + k.Name + "."
	}
	return d
}

func yamlDefault(k Key) string {
	if k.optional {
		return `""`
	}
	switch v := k.def.(type) {
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case []string, map[string]string, map[string]int, map[string]map[string]json.RawMessage:
		b, _ := json.Marshal(v)
		return string(b)
	}
	b, err := yaml.Marshal(k.def)
	if err != nil {
		return fmt.Sprint(k.def)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// StackValues are the values one stack file sets, by key name as the table declares it
// ("shardCount", "aws:region").
type StackValues struct {
	Name   string
	Values map[string]any
}

// ConfigTable renders the configuration table of docs/config.md: every key with its default, rule,
// the value each stack sets and its meaning.
func ConfigTable(keys []Key, stacks []StackValues) string {
	var b strings.Builder
	b.WriteString("<!-- generated from stackconfig/keys.go: edit the table there, then run `" + regenerate + "` -->\n")
	b.WriteString("Units: " + UnitConvention + "\n\n")
	b.WriteString("| key | default | allowed |")
	sep := "|---|---|---|"
	for _, s := range stacks {
		b.WriteString(" " + s.Name + " |")
		sep += "---|"
	}
	b.WriteString(" meaning |\n" + sep + "---|\n")
	for _, k := range keys {
		b.WriteString("| `" + k.Name + "` | " + cell(defaultDoc(k)) + " | " + cell(k.Allowed) + " |")
		for _, s := range stacks {
			v, ok := s.Values[k.Name]
			switch {
			case ok && k.ChangedByOps:
				b.WriteString(" set in the file |")
			case ok:
				b.WriteString(" `" + cell(formatValue(v)) + "` |")
			default:
				b.WriteString("  |")
			}
		}
		doc := k.Doc
		if k.PerDataset {
			doc += " Per dataset (docs/datasets.md)."
		}
		b.WriteString(" " + cell(doc) + " |\n")
	}
	return b.String()
}

// DatasetKeys renders docs/datasets.md's list of the keys a dataset may set for itself, by
// group, with their top-level defaults.
func DatasetKeys(keys []Key) string {
	var b strings.Builder
	b.WriteString("<!-- generated from stackconfig/keys.go (perDataset): edit the table there, then run `" + regenerate + "` -->\n")
	b.WriteString("| group | key | default | allowed |\n|---|---|---|---|\n")
	for _, k := range keys {
		if k.PerDataset {
			b.WriteString("| " + k.Group + " | `" + k.Name + "` | " + cell(defaultDoc(k)) + " | " + cell(k.Allowed) + " |\n")
		}
	}
	return b.String()
}

func defaultDoc(k Key) string {
	switch {
	case k.DefaultDoc != "":
		return k.DefaultDoc
	case k.required:
		return "(required)"
	}
	return "`" + formatValue(k.def) + "`"
}

// formatValue writes a value as the table shows it: lists and objects as JSON.
func formatValue(v any) string {
	if x, ok := v.(float64); ok {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	if k := reflect.ValueOf(v).Kind(); k == reflect.Map || k == reflect.Slice {
		b, _ := json.Marshal(v)
		return strings.NewReplacer(`","`, `", "`, `":"`, `": "`).Replace(string(b))
	}
	return fmt.Sprint(v)
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// ReplaceBlock replaces the lines between the begin and end marker lines of doc with content.
func ReplaceBlock(doc, begin, end, content string) (string, error) {
	i := strings.Index(doc, begin)
	if i < 0 {
		return "", fmt.Errorf("marker %q not found", begin)
	}
	start := i + strings.Index(doc[i:], "\n") + 1
	j := strings.Index(doc[start:], end)
	if j < 0 {
		return "", fmt.Errorf("marker %q not found after %q", end, begin)
	}
	return doc[:start] + content + doc[start+j:], nil
}

// wrap breaks text into lines of at most width characters (longer words stay whole).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return slices.DeleteFunc(append(lines, line), func(s string) bool { return s == "" })
}
