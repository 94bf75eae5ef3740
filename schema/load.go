package schema

import (
	"bytes"
	_ "embed" // events.yaml is the default schema
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// EmbeddedFile is the default schema's file, relative to the module root. Every binary that
// imports this package embeds it, so editing it changes the transform Lambda's code hash.
const EmbeddedFile = "schema/events.yaml"

// MaxFileBytes bounds a schema file: a schema is a page of YAML, and the bound keeps a
// mistaken or hostile file (e.g. nested aliases) from costing more than a moment to reject.
const MaxFileBytes = 1 << 20

//go:embed events.yaml
var eventsFile []byte

// embedded is events.yaml as parsed once at start-up; TestEmbeddedFile asserts it loads.
var embedded, embeddedErr = Parse(EmbeddedFile, eventsFile)

// Default returns a copy of the event schema of events.yaml, which callers may change. It never
// panics: should the embedded file not load, it returns an empty schema whose Validate reports
// the file's errors, and every path that builds something from a schema validates it first
// (stacks.Build, transform.New, producer.NewGenerator). A test keeps the file loadable.
func Default() *Schema {
	if embeddedErr != nil {
		return &Schema{loadErr: embeddedErr}
	}
	return embedded.clone()
}

func (s *Schema) clone() *Schema {
	c := *s
	c.Fields = append([]Field(nil), s.Fields...)
	c.Partitions = append([]Partition(nil), s.Partitions...)
	if s.Queries != nil {
		c.Queries = append([]string{}, s.Queries...)
	}
	return &c
}

// readSchemaFile reads a schema file, at most one byte past MaxFileBytes (Parse refuses it).
func readSchemaFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("event schema: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("event schema %s: %w", path, err)
	}
	return data, nil
}

// file is the YAML form of a schema (see events.yaml for the documented format).
type file struct {
	Name        string      `yaml:"name"`
	Description string      `yaml:"description,omitempty"`
	Roles       fileRoles   `yaml:"roles"`
	Partitions  []string    `yaml:"partitions,flow"`
	Queries     *[]string   `yaml:"queries,omitempty,flow"`
	Fields      []fileField `yaml:"fields"`
}

type fileRoles struct {
	EventTime    string `yaml:"eventTime"`
	ArrivalTime  string `yaml:"arrivalTime"`
	PartitionKey string `yaml:"partitionKey"`
	Extras       string `yaml:"extras,omitempty"`
}

type fileField struct {
	Name        string   `yaml:"name"`
	Type        string   `yaml:"type"`
	Required    bool     `yaml:"required,omitempty"`
	Source      string   `yaml:"source,omitempty"`
	MaxLength   int      `yaml:"maxLength,omitempty"`
	Minimum     *float64 `yaml:"minimum,omitempty"`
	Description string   `yaml:"description,omitempty"`
}

// The spellings of Source in a file.
const (
	sourceClient   = "client"
	sourcePipeline = "pipeline"
)

// Parse reads a schema from YAML and validates it. name labels the errors (usually the file's
// path); every error names the line where the YAML library or the node gives one, the field
// and the rule, and all problems are reported at once.
func Parse(name string, data []byte) (*Schema, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("event schema %s: larger than %d bytes", name, MaxFileBytes)
	}
	root, err := decodeNode(data)
	if err != nil {
		return nil, fmt.Errorf("event schema %s: %w", name, err)
	}
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true) // a misspelt key ("maxlength") is an error, not a silent default
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("event schema %s: %w", name, err)
	}
	lines := nodeLines(root)
	s, problems := f.schema()
	reported := map[string]bool{}
	for _, p := range problems {
		reported[p.path] = true
	}
	for _, p := range s.problems() {
		if !reported[p.path] || strings.HasPrefix(p.path, "fields") {
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		return s, nil
	}
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = fmt.Sprintf("%s:%d: %s", name, lines.at(p.path), p.msg)
	}
	return nil, fmt.Errorf("invalid event schema %s:\n  %s", name, strings.Join(msgs, "\n  "))
}

// decodeNode parses the YAML into its node tree: exactly one document holding a mapping.
func decodeNode(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty")
		}
		return nil, err
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the file must be a YAML mapping (name, roles, partitions, fields)", root.Line)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line %d: one schema per file: a second YAML document follows", next.Line)
	}
	return root.Content[0], nil
}

// lines maps a node's path ("fields[3]", "roles.eventTime") to its line in the file.
type lines map[string]int

// nodeLines records the line of every mapping key and sequence item under root.
func nodeLines(root *yaml.Node) lines {
	out := lines{}
	var walk func(path string, line int, n *yaml.Node)
	walk = func(path string, line int, n *yaml.Node) {
		out[path] = line
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i].Value
				if path != "" {
					key = path + "." + key
				}
				walk(key, n.Content[i].Line, n.Content[i+1])
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(path+"["+strconv.Itoa(i)+"]", c.Line, c)
			}
		}
	}
	walk("", root.Line, root)
	return out
}

// at returns the line of path, or of its nearest ancestor the file has (a missing key is
// reported at its parent).
func (l lines) at(path string) int {
	for {
		if n, ok := l[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return l[""]
		}
		path = path[:i]
	}
}

// schema converts the file's spelling into a Schema; problems are those the conversion finds
// (unknown type names, sources, partitions, missing keys). Validate's rules come after.
func (f *file) schema() (*Schema, []problem) {
	var ps []problem
	add := func(path, format string, a ...any) { ps = append(ps, problem{path, fmt.Sprintf(format, a...)}) }
	s := &Schema{
		Name: f.Name, Description: f.Description,
		EventTime: f.Roles.EventTime, ArrivalTime: f.Roles.ArrivalTime,
		PartitionKey: f.Roles.PartitionKey, Extras: f.Roles.Extras,
	}
	if f.Queries != nil {
		s.Queries = append([]string{}, *f.Queries...)
	}
	for _, r := range []struct{ role, field string }{
		{"eventTime", f.Roles.EventTime}, {"arrivalTime", f.Roles.ArrivalTime}, {"partitionKey", f.Roles.PartitionKey},
	} {
		if r.field == "" {
			add("roles."+r.role, "roles.%s is required: name the field that has this role", r.role)
		}
	}
	for i, p := range f.Partitions {
		u, ok := unit(p)
		if !ok {
			add(fmt.Sprintf("partitions[%d]", i), "unknown partition %q: partitions are a prefix of %s", p, strings.Join(unitNames(), ", "))
		}
		s.Partitions = append(s.Partitions, u)
	}
	for i, ff := range f.Fields {
		field, problems := ff.field()
		for _, msg := range problems {
			add(fmt.Sprintf("fields[%d]", i), "field %q: %s", ff.Name, msg)
		}
		s.Fields = append(s.Fields, field)
	}
	return s, ps
}

// field converts one field; the type and source must be spelt as documented.
func (ff fileField) field() (Field, []string) {
	var problems []string
	f := Field{Name: ff.Name, Type: Type(ff.Type), Required: ff.Required, MaxLength: ff.MaxLength, Description: ff.Description}
	switch ff.Source {
	case "", sourceClient:
		f.Source = Client
	case sourcePipeline:
		f.Source = Pipeline
	default:
		problems = append(problems, fmt.Sprintf("source must be %s or %s, got %q", sourceClient, sourcePipeline, ff.Source))
	}
	if ff.Minimum != nil {
		f.Minimum, f.HasMinimum = *ff.Minimum, true
	}
	return f, problems
}

// unit returns the partition key called name.
func unit(name string) (Partition, bool) {
	for _, u := range partitionUnits {
		if u.Name == name {
			return u, true
		}
	}
	return Partition{Name: name}, false
}

// YAML writes the schema in the file format (without the file's comments); Parse reads it
// back to an equal schema.
func (s *Schema) YAML() ([]byte, error) {
	f := file{
		Name: s.Name, Description: s.Description,
		Roles:      fileRoles{EventTime: s.EventTime, ArrivalTime: s.ArrivalTime, PartitionKey: s.PartitionKey, Extras: s.Extras},
		Partitions: s.PartitionNames(),
	}
	if s.Queries != nil {
		q := append([]string{}, s.Queries...)
		f.Queries = &q
	}
	for _, fd := range s.Fields {
		ff := fileField{Name: fd.Name, Type: string(fd.Type), Required: fd.Required, MaxLength: fd.MaxLength, Description: fd.Description}
		if fd.Source == Pipeline {
			ff.Source = sourcePipeline
		}
		if fd.HasMinimum {
			ff.Minimum = &fd.Minimum
		}
		f.Fields = append(f.Fields, ff)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&f); err != nil {
		return nil, fmt.Errorf("marshal event schema %s: %w", s.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal event schema %s: %w", s.Name, err)
	}
	return buf.Bytes(), nil
}
