package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Markers of the generated schema table in docs/schema.md.
const (
	DocTableBegin = "<!-- BEGIN schema-table -->"
	DocTableEnd   = "<!-- END schema-table -->"
)

// DocTable renders the schema as docs/schema.md's table: one row per field in column order, then
// the roles and partitions. docs/schema.md's block between DocTableBegin and DocTableEnd is this
// text (a test fails when it drifts).
func (s *Schema) DocTable(source string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- generated from %s: edit the file, then run `go test ./stacks -run TestSchemaDocs -update` -->\n", source)
	fmt.Fprintf(&b, "`%s`: %s\n\n", s.Name, s.Description)
	b.WriteString("| # | field | type | required | meaning |\n|---|---|---|---|---|\n")
	for i, f := range s.Fields {
		fmt.Fprintf(&b, "| %d | `%s` | %s | %s | %s |\n", i+1, f.Name, typeDoc(f), requiredDoc(f), cell(f.Description))
	}
	fmt.Fprintf(&b, "\nRoles: event time `%s` (the lake's partitions %s are its UTC %s, zero-padded), arrival time `%s`, "+
		"Kinesis partition key `%s`", s.EventTime, strings.Join(s.PartitionNames(), "/"), strings.Join(s.PartitionNames(), ", "),
		s.ArrivalTime, s.PartitionKey)
	if s.Extras != "" {
		fmt.Fprintf(&b, ", unknown client fields kept in `%s`", s.Extras)
	}
	b.WriteString(".\n")
	return b.String()
}

// typeDoc is the type with its limits: "string ≤ 128", "double ≥ 0".
func typeDoc(f Field) string {
	t := string(f.Type)
	if f.MaxLength > 0 {
		t += " ≤ " + strconv.Itoa(f.MaxLength)
	}
	if f.HasMinimum {
		t += " ≥ " + strconv.FormatFloat(f.Minimum, 'g', -1, 64)
	}
	return t
}

func requiredDoc(f Field) string {
	switch {
	case f.Source == Pipeline:
		return "set by the pipeline"
	case f.Required:
		return "yes"
	}
	return ""
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
