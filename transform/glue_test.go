package transform

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/testenv/firehosecheck"
	"github.com/streamlake/streamlake/schema"
)

// sampleValue is a valid JSON value for a client field, derived from its type and limits.
func sampleValue(t *testing.T, f schema.Field) string {
	switch f.Type {
	case schema.String:
		return `"` + strings.Repeat("x", min(max(f.MaxLength, 1), 8)) + `"`
	case schema.Double:
		return "1.5"
	case schema.Long:
		return "7"
	case schema.Boolean:
		return "true"
	case schema.Timestamp:
		return `"2024-05-01T12:30:00.5+01:00"`
	case schema.StringMap:
		return `{"k":"v"}`
	}
	t.Fatalf("no sample for type %s", f.Type)
	return ""
}

// allTypes extends the default schema with the types it does not use.
func allTypes() *schema.Schema {
	s := schema.Default()
	s.Fields = append(s.Fields[:len(s.Fields):len(s.Fields)],
		schema.Field{Name: "views", Type: schema.Long},
		schema.Field{Name: "muted", Type: schema.Boolean},
		schema.Field{Name: "started_at", Type: schema.Timestamp},
	)
	return s
}

// TestGlueColumns checks both directions between the transform's output and the Glue table:
// an event with every client field yields exactly the table's columns, in order, each of a
// value its column type reads (CheckRecord), and the partition keys are the table's
// partition columns. An event with only the required fields yields a subset.
func TestGlueColumns(t *testing.T) {
	for _, s := range []*schema.Schema{schema.Default(), allTypes()} {
		tr, err := New(s, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var full, required []string
		for _, f := range s.ClientFields() {
			m := `"` + f.Name + `":` + sampleValue(t, f)
			full = append(full, m)
			if f.Required {
				required = append(required, m)
			}
		}
		var columns []string
		for _, c := range s.GlueColumns() {
			columns = append(columns, c.Name)
		}
		var partitions []string
		for _, c := range s.PartitionColumns() {
			partitions = append(partitions, c.Name)
			if c.Type != "string" {
				t.Fatalf("partition column %s is %s; the transform returns strings", c.Name, c.Type)
			}
		}
		for _, members := range [][]string{full, required} {
			r, err := tr.TransformRecord([]byte("{"+strings.Join(members, ",")+"}"), arrival)
			if err != nil {
				t.Fatal(err)
			}
			out, err := firehosecheck.Record(s, r.JSON)
			if err != nil {
				t.Fatalf("%v: %s", err, r.JSON)
			}
			var keys []string
			for _, c := range columns {
				if _, ok := out[c]; ok {
					keys = append(keys, c)
				}
			}
			want := columns
			if len(members) == len(required) {
				want = append(s.RequiredFields(), s.ArrivalTime)
			}
			if !slices.Equal(keys, want) || len(out) != len(keys) {
				t.Fatalf("emitted %v, want columns %v: %s", keys, want, r.JSON)
			}
			pk := slices.Sorted(maps.Keys(r.PartitionKeys))
			sorted := slices.Sorted(slices.Values(partitions))
			if !slices.Equal(pk, sorted) {
				t.Fatalf("partition keys %v, want %v", pk, partitions)
			}
		}
	}
}
