// Package schema defines the streamlake event once, in the reviewed file events.yaml (embedded
// in every binary that imports the package). The Glue table columns, the API Gateway request
// models, the transform Lambda's validation and docs/schema.md's schema table are all derived from
// it, so a field is never typed twice. Compatibility rules between a deployed table and a new
// schema (what Athena can still read from the files already in the lake) live here too.
package schema

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Type is a field's logical type. Its Hive spelling is the Glue column type.
type Type string

// The types an event field may have. Each maps to one Hive type and one JSON Schema type.
const (
	String    Type = "string"
	Timestamp Type = "timestamp"
	Double    Type = "double"
	Long      Type = "bigint"
	Boolean   Type = "boolean"
	StringMap Type = "map<string,string>"
)

// Hive returns the Glue/Hive column type.
func (t Type) Hive() string { return string(t) }

// Known reports whether t is one of the supported types.
func (t Type) Known() bool { return slices.Contains(types, t) }

// types are the supported types, in the order the docs list them.
var types = []Type{String, Timestamp, Double, Long, Boolean, StringMap}

func typeNames() []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = string(t)
	}
	return out
}

// Source says who sets a field: the client that posts the event or the pipeline.
type Source int

const (
	// Client fields are sent by producers and validated at the API and in the Lambda.
	Client Source = iota
	// Pipeline fields are set by the transform; a client may not send them.
	Pipeline
)

// Field is one column of the event.
type Field struct {
	Name        string
	Type        Type
	Required    bool
	Source      Source
	Description string
	// MaxLength bounds string values (and map keys/values) in characters; 0 means no bound.
	MaxLength int
	// Minimum bounds numeric values from below when HasMinimum is set.
	Minimum    float64
	HasMinimum bool
}

// Partition is a partition key of the lake: a zero-padded UTC component of occurred_at.
type Partition struct {
	Name string
	// Layout is the Go time layout that produces the key's value.
	Layout string
}

// Schema is an event schema: its fields in column order and the lake's partition keys.
type Schema struct {
	Name   string
	Fields []Field
	// EventTime names the timestamp field that partitions the lake.
	EventTime string
	// ArrivalTime names the pipeline field set from the record's arrival in the stream.
	ArrivalTime string
	// PartitionKey names the field whose value is the Kinesis partition key, so that one
	// key's events stay ordered within a shard.
	PartitionKey string
	// Extras names the map field that keeps unknown client fields when they are kept.
	Extras     string
	Partitions []Partition
	// Description says what the events are (the schema file's description).
	Description string
	// Queries are the IDs of the standard saved queries (package queries) the dataset gets:
	// nil (the file has no queries key) means every one whose columns it has; empty, none.
	Queries []string

	// loadErr is why the embedded file did not load; Validate returns it (see Default).
	loadErr error
}

// partitionUnits are the partition keys a schema may use, coarsest first, with the Go time
// layout that gives each key's zero-padded UTC value. A schema's partitions are a prefix of
// them, so the lake's folders always nest year=/month=/day=/hour=.
var partitionUnits = []Partition{
	{Name: "year", Layout: "2006"},
	{Name: "month", Layout: "01"},
	{Name: "day", Layout: "02"},
	{Name: "hour", Layout: "15"},
}

// MaxKinesisPartitionKey is the longest partition key Kinesis accepts (256 Unicode characters).
const MaxKinesisPartitionKey = 256

var (
	columnName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
	schemaName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// IsColumnName reports whether name is a valid Glue/Athena column name.
func IsColumnName(name string) bool { return columnName.MatchString(name) && len(name) <= 255 }

// problem is one broken rule of a schema, located by the path of the YAML node it concerns
// ("fields[3]", "roles.eventTime", "partitions") so that the loader can name the file's line.
type problem struct {
	path string
	msg  string
}

// Validate checks that the schema can become a Glue table, an API model and a Lambda validator.
// It reports every problem at once.
func (s *Schema) Validate() error {
	if s.loadErr != nil {
		return s.loadErr
	}
	ps := s.problems()
	if len(ps) == 0 {
		return nil
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.msg
	}
	return fmt.Errorf("invalid event schema: %s", strings.Join(msgs, "; "))
}

// problems lists every broken rule: name, fields in order, roles, partitions.
func (s *Schema) problems() []problem {
	var ps []problem
	if !schemaName.MatchString(s.Name) {
		ps = append(ps, problem{"name", fmt.Sprintf("schema name %q must match %s (it names the dataset in models and docs)", s.Name, schemaName)})
	}
	if len(s.Fields) == 0 {
		ps = append(ps, problem{"fields", fmt.Sprintf("schema %q has no fields", s.Name)})
	}
	seen := map[string]bool{}
	for _, p := range s.Partitions {
		seen[p.Name] = true
	}
	for i, f := range s.Fields {
		for _, msg := range fieldProblems(i, f, seen) {
			ps = append(ps, problem{fmt.Sprintf("fields[%d]", i), msg})
		}
		seen[f.Name] = true
	}
	ps = append(ps, s.roleProblems()...)
	ps = append(ps, s.queryProblems()...)
	return append(ps, s.partitionProblems()...)
}

// queryID is the form of a saved query's ID; package queries decides which IDs exist.
var queryID = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// queryProblems checks the form of the queries list: IDs, each once.
func (s *Schema) queryProblems() []problem {
	var ps []problem
	seen := map[string]bool{}
	for i, q := range s.Queries {
		path := fmt.Sprintf("queries[%d]", i)
		switch {
		case !queryID.MatchString(q):
			ps = append(ps, problem{path, fmt.Sprintf("query %q is not a saved query's ID (lowercase letters, digits and -, e.g. most-recent-events)", q)})
		case seen[q]:
			ps = append(ps, problem{path, fmt.Sprintf("query %s is listed twice", q)})
		}
		seen[q] = true
	}
	return ps
}

// fieldProblems checks one field: its name (against the names before it), type, source and
// limits.
func fieldProblems(i int, f Field, seen map[string]bool) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	switch {
	case !columnName.MatchString(f.Name):
		// Athena and Glue require lowercase names of letters, digits and underscores.
		add("field %d name %q must match %s (lowercase, for Glue and Athena)", i, f.Name, columnName)
	case len(f.Name) > 255:
		add("field %q: name longer than Glue's 255 characters", f.Name)
	case seen[f.Name]:
		add("field %q is declared twice or clashes with a partition key", f.Name)
	}
	if !f.Type.Known() {
		add("field %q has unknown type %q (one of %s)", f.Name, f.Type, strings.Join(typeNames(), ", "))
	}
	if f.Source != Client && f.Source != Pipeline {
		add("field %q has unknown source %d", f.Name, f.Source)
	}
	if f.Source == Pipeline && f.Required {
		add("field %q is set by the pipeline and cannot be required from clients", f.Name)
	}
	switch {
	case f.MaxLength < 0:
		add("field %q: maxLength must not be negative, got %d", f.Name, f.MaxLength)
	case f.MaxLength > 0 && f.Type != String && f.Type != StringMap:
		add("field %q: maxLength applies to string and map fields, not %s", f.Name, f.Type)
	}
	if f.HasMinimum && f.Type != Double && f.Type != Long {
		add("field %q: minimum applies to double and bigint fields, not %s", f.Name, f.Type)
	}
	return out
}

// roleProblems checks that each role names a field of the right type and source.
func (s *Schema) roleProblems() []problem {
	var ps []problem
	add := func(path, format string, a ...any) { ps = append(ps, problem{path, fmt.Sprintf(format, a...)}) }
	check := func(path, role, name string, want Type, source Source) (Field, bool) {
		f, ok := s.Field(name)
		switch {
		case !ok:
			add(path, "%s field %q is not in the schema", role, name)
		case f.Type != want:
			add(path, "%s field %q must be of type %s, is %s", role, name, want, f.Type)
		case f.Source != source:
			add(path, "%s field %q has the wrong source", role, name)
		default:
			return f, true
		}
		return f, false
	}
	if f, ok := check("roles.eventTime", "event time", s.EventTime, Timestamp, Client); ok && !f.Required {
		add("roles.eventTime", "event time field %q must be required: it decides the partition", s.EventTime)
	}
	check("roles.arrivalTime", "arrival time", s.ArrivalTime, Timestamp, Pipeline)
	if f, ok := check("roles.partitionKey", "partition key", s.PartitionKey, String, Client); ok {
		if !f.Required {
			add("roles.partitionKey", "partition key field %q must be required", s.PartitionKey)
		}
		if f.MaxLength == 0 || f.MaxLength > MaxKinesisPartitionKey {
			add("roles.partitionKey", "partition key field %q needs maxLength 1..%d (Kinesis partition key limit)", s.PartitionKey, MaxKinesisPartitionKey)
		}
	}
	if s.Extras != "" {
		check("roles.extras", "extras", s.Extras, StringMap, Client)
	}
	return ps
}

// partitionProblems checks that the partitions are a prefix of year, month, day, hour.
func (s *Schema) partitionProblems() []problem {
	if len(s.Partitions) == 0 {
		return []problem{{"partitions", fmt.Sprintf("schema %q has no partition keys", s.Name)}}
	}
	var ps []problem
	for i, p := range s.Partitions {
		if i >= len(partitionUnits) || p != partitionUnits[i] {
			ps = append(ps, problem{"partitions", fmt.Sprintf("partition %d is %q (layout %q): partitions must be a prefix of %s, in that order",
				i, p.Name, p.Layout, strings.Join(unitNames(), ", "))})
		}
	}
	return ps
}

func unitNames() []string {
	out := make([]string, len(partitionUnits))
	for i, u := range partitionUnits {
		out[i] = u.Name
	}
	return out
}

// Field returns the field called name.
func (s *Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// ClientFields returns the fields a producer may send, in column order.
func (s *Schema) ClientFields() []Field {
	out := make([]Field, 0, len(s.Fields))
	for _, f := range s.Fields {
		if f.Source == Client {
			out = append(out, f)
		}
	}
	return out
}

// RequiredFields returns the names of the fields a producer must send.
func (s *Schema) RequiredFields() []string {
	var out []string
	for _, f := range s.Fields {
		if f.Required {
			out = append(out, f.Name)
		}
	}
	return out
}

// PartitionNames returns the partition key names in lake order (year, month, day, hour).
func (s *Schema) PartitionNames() []string {
	out := make([]string, len(s.Partitions))
	for i, p := range s.Partitions {
		out[i] = p.Name
	}
	return out
}

// TimestampLayout is how the pipeline writes timestamps: UTC with millisecond precision and a
// literal Z. Firehose's JSON→Parquet conversion (OpenX JSON SerDe) parses
// yyyy-MM-dd'T'HH:mm:ss[.S]'Z' into a Glue timestamp column; offsets like +09:00 it does not.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// FirehoseTimestamp matches the timestamp strings Firehose's OpenX JSON SerDe accepts for a
// timestamp column in the 'T'...'Z' form (fraction of up to 9 digits).
var FirehoseTimestamp = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`)
