package schema

import (
	"slices"
	"strings"
	"testing"
)

// deployedTable is the table the default schema deploys.
func deployedTable() Table {
	s := Default()
	return Table{Columns: s.GlueColumns(), PartitionKeys: s.PartitionColumns()}
}

func withField(s *Schema, at int, f Field) *Schema {
	s.Fields = slices.Insert(s.Fields, at, f)
	return s
}

func fieldIndex(s *Schema, name string) int {
	return slices.IndexFunc(s.Fields, func(f Field) bool { return f.Name == name })
}

// TestCompatibilityRules: what AWS documents as readable from existing Parquet files passes,
// everything else is refused with the column, the types, the reason and the way out.
func TestCompatibilityRules(t *testing.T) {
	type change struct {
		col      string
		kind     ChangeKind
		breaking bool
		note     bool
	}
	tests := []struct {
		name     string
		deployed func(*Table)
		schema   func(*Schema) *Schema
		access   ParquetAccess
		want     []change
		why      string // a phrase one change's reason contains
	}{
		{name: "unchanged", want: nil},
		{name: "optional field at the end", schema: func(s *Schema) *Schema {
			return withField(s, len(s.Fields), Field{Name: "quality", Type: String, MaxLength: 16})
		}, want: []change{{"quality", Added, false, false}}, why: "reads NULL for it in every existing row"},
		{name: "pipeline field at the end", schema: func(s *Schema) *Schema {
			return withField(s, len(s.Fields), Field{Name: "region", Type: String, Source: Pipeline})
		}, want: []change{{"region", Added, false, false}}},
		{name: "optional field in the middle, by name", schema: func(s *Schema) *Schema {
			return withField(s, 4, Field{Name: "quality", Type: String})
		}, want: []change{{"quality", Added, false, true}}, why: "position 5 of 11"},
		{name: "optional field in the middle, by index", access: ByIndex, schema: func(s *Schema) *Schema {
			return withField(s, 4, Field{Name: "quality", Type: String})
		}, want: []change{
			{"quality", Added, true, false}, {"content_id", Moved, true, false}, {"session_id", Moved, true, false},
			{"position_sec", Moved, true, false}, {"watched_sec", Moved, true, false}, {"attributes", Moved, true, false},
			{"ingested_at", Moved, true, false},
		}, why: "read its neighbour's values"},
		{name: "required field", schema: func(s *Schema) *Schema {
			return withField(s, len(s.Fields), Field{Name: "course_id", Type: String, Required: true})
		}, want: []change{{"course_id", AddedRequired, true, false}}, why: "refused (400 at the API)"},
		{name: "removed", schema: func(s *Schema) *Schema {
			s.Fields = slices.Delete(s.Fields, 5, 6) // session_id
			return s
		}, want: []change{{"session_id", Removed, true, false}}, why: "COLUMN_NOT_FOUND"},
		{name: "renamed in place", schema: func(s *Schema) *Schema {
			s.Fields[5].Name = "player_session"
			return s
		}, want: []change{{"player_session", Added, false, true}, {"session_id", Renamed, true, false}}, why: "values written as session_id become unreachable"},
		{name: "double to bigint", schema: func(s *Schema) *Schema {
			s.Fields[fieldIndex(s, "watched_sec")].Type = Long
			return s
		}, want: []change{{"watched_sec", Retyped, true, false}}, why: "HIVE_BAD_DATA"},
		{name: "string to bigint, in AWS's table but not for Parquet", schema: func(s *Schema) *Schema {
			s.Fields[fieldIndex(s, "content_id")].Type, s.Fields[fieldIndex(s, "content_id")].MaxLength = Long, 0
			return s
		}, want: []change{{"content_id", Retyped, true, false}}, why: "store content_id as BINARY"},
		{name: "double to string", schema: func(s *Schema) *Schema {
			s.Fields[fieldIndex(s, "position_sec")].Type, s.Fields[fieldIndex(s, "position_sec")].HasMinimum = String, false
			return s
		}, want: []change{{"position_sec", Retyped, true, false}}},
		{name: "int to bigint", deployed: func(tb *Table) {
			tb.Columns = append(tb.Columns, Column{Name: "views", Type: "int"})
		}, schema: func(s *Schema) *Schema {
			return withField(s, len(s.Fields), Field{Name: "views", Type: Long})
		}, want: []change{{"views", Widened, false, false}}, why: "int as readable as bigint"},
		{name: "float to double", deployed: func(tb *Table) {
			tb.Columns = append(tb.Columns, Column{Name: "ratio", Type: "float"})
		}, schema: func(s *Schema) *Schema {
			return withField(s, len(s.Fields), Field{Name: "ratio", Type: Double})
		}, want: []change{{"ratio", Widened, false, false}}},
		{name: "Glue's spelling of a type", deployed: func(tb *Table) { tb.Columns[0].Type = "STRING" }},
		{name: "reordered, by name", schema: func(s *Schema) *Schema {
			s.Fields[4], s.Fields[5] = s.Fields[5], s.Fields[4]
			return s
		}, want: []change{{"content_id", Moved, false, true}, {"session_id", Moved, false, true}}, why: "SELECT *"},
		{name: "reordered, by index", access: ByIndex, schema: func(s *Schema) *Schema {
			s.Fields[4], s.Fields[5] = s.Fields[5], s.Fields[4]
			return s
		}, want: []change{{"content_id", Moved, true, false}, {"session_id", Moved, true, false}}},
		{name: "description changed", schema: func(s *Schema) *Schema {
			s.Fields[4].Description = "The video."
			return s
		}, want: []change{{"content_id", Commented, false, false}}},
		{name: "partition dropped", schema: func(s *Schema) *Schema {
			s.Partitions = s.Partitions[:3]
			return s
		}, want: []change{{"hour", Repartitioned, true, false}}, why: "year=/month=/day=/hour="},
		{name: "partition retyped", deployed: func(tb *Table) { tb.PartitionKeys[0].Type = "int" },
			want: []change{{"year", Repartitioned, true, false}}},
		{name: "partition comment changed", deployed: func(tb *Table) { tb.PartitionKeys[0].Comment = "old" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deployed := deployedTable()
			if tt.deployed != nil {
				tt.deployed(&deployed)
			}
			s := Default()
			if tt.schema != nil {
				s = tt.schema(s)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
			changes := Compare(deployed, s, tt.access)
			var got []change
			for _, c := range changes {
				got = append(got, change{c.Column, c.Kind, c.Breaking, c.Note})
				if c.Breaking && (c.Why == "" || c.WayOut == "") {
					t.Errorf("breaking change without reason or way out: %+v", c)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes\n got %+v\nwant %+v", got, tt.want)
			}
			if tt.why != "" && !slices.ContainsFunc(changes, func(c Change) bool { return strings.Contains(c.Why, tt.why) }) {
				t.Errorf("no reason says %q: %+v", tt.why, changes)
			}
		})
	}
}

// TestParquetWidenings is AWS's table of compatible types ("Change a column data type"), row
// by row, and what it does not list.
func TestParquetWidenings(t *testing.T) {
	documented := [][2]string{
		{"string", "byte"}, {"string", "tinyint"}, {"string", "smallint"}, {"string", "int"}, {"string", "bigint"},
		{"byte", "tinyint"}, {"byte", "smallint"}, {"byte", "int"}, {"byte", "bigint"},
		{"tinyint", "smallint"}, {"tinyint", "int"}, {"tinyint", "bigint"},
		{"smallint", "int"}, {"smallint", "bigint"},
		{"int", "bigint"},
		{"float", "double"},
	}
	for _, p := range documented {
		// Every documented pair holds for Parquet, except STRING's row: BINARY values are no integers.
		if want := p[0] != "string"; parquetWidenings(p[0], p[1]) != want {
			t.Errorf("%s -> %s: readable %v, want %v", p[0], p[1], !want, want)
		}
	}
	for _, p := range [][2]string{
		{"bigint", "int"}, {"double", "float"}, {"int", "double"}, {"bigint", "double"}, {"double", "bigint"},
		{"int", "string"}, {"timestamp", "string"}, {"string", "timestamp"}, {"boolean", "string"},
		{"map<string,string>", "string"}, {"bigint", "decimal(38,0)"}, {"string", "varchar(10)"},
	} {
		if parquetWidenings(p[0], p[1]) {
			t.Errorf("%s -> %s is not in AWS's table but passes", p[0], p[1])
		}
	}
}

func TestDecide(t *testing.T) {
	s := Default()
	s.Fields[fieldIndex(s, "watched_sec")].Type = Long
	s.Fields = slices.Delete(s.Fields, 5, 6) // session_id
	s.Fields = append(s.Fields, Field{Name: "quality", Type: String})
	s.Fields[0], s.Fields[1] = s.Fields[1], s.Fields[0]
	changes := Compare(deployedTable(), s, ByName)

	warnings, err := Decide(changes, nil)
	if err == nil {
		t.Fatal("a retyped and a removed column must be refused")
	}
	for _, want := range []string{
		"schema change refused", "column watched_sec retyped (double -> bigint)", "HIVE_BAD_DATA",
		"Way out: keep watched_sec as deployed and add a new column (e.g. watched_sec_v2 bigint)", "streamlake replay",
		"allowBreakingSchemaChange", "column session_id removed (string -> none)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q:\n%v", want, err)
		}
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "column event_id moved") {
		t.Errorf("the reorder is a warning, the added column nothing: %q", warnings)
	}

	warnings, err = Decide(changes, []string{"watched_sec", "session_id", "event_type_v2"})
	if err != nil {
		t.Fatalf("allowed on purpose: %v", err)
	}
	joined := strings.Join(warnings, "\n")
	for _, want := range []string{
		"breaking schema change allowed by allowBreakingSchemaChange: column watched_sec retyped",
		"allowed by allowBreakingSchemaChange: column session_id removed",
		"allowBreakingSchemaChange lists event_type_v2, but no breaking change touches it",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings lack %q:\n%s", want, joined)
		}
	}

	if w, err := Decide(Compare(deployedTable(), Default(), ByName), nil); err != nil || len(w) != 0 {
		t.Errorf("unchanged schema: %q, %v", w, err)
	}
}
