package schema

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// The rules below decide whether a schema may replace the deployed Glue table's columns, by
// what Athena can still read from the Parquet files already in the lake. They encode AWS's
// documentation (fetched 2025; the URLs are in docs/schema-changes.md with the table):
//
//   - "Handle schema updates", the summary table: Parquet is read by name by default (the
//     SerDe property parquet.column.index.access=true switches to index). Read by name, a table
//     may add columns anywhere, remove columns and reorder them; it may not rename them (the new
//     name finds no data in old files). Read by index it may only add columns at the end.
//   - "Change a column data type": only the listed types can be read as others (awsReadableAs);
//     for Parquet, a different type works only through a partition's own column type, which
//     Athena then CASTs ("for partitioned tables in Parquet and ORC, a partition's column type
//     can be different"). This lake's crawler updates every partition with the table's metadata
//     (AddOrUpdateBehavior InheritFromTable) and partition projection keeps none, so old files
//     are read with the table's new type directly: only widenings that keep the Parquet value
//     readable pass (parquetWidenings), and a mismatch fails the query with HIVE_BAD_DATA.
//   - "Update tables with partitions": partition keys are part of every partition's location
//     and metadata; a changed key set no longer matches the folders already written.

// ParquetAccess is how Athena maps the table's columns onto a Parquet file's.
type ParquetAccess int

const (
	// ByName is Athena's default for Parquet and what this program's tables use (their SerDe
	// sets no parquet.column.index.access).
	ByName ParquetAccess = iota
	// ByIndex is parquet.column.index.access=true: the n-th table column reads the file's n-th.
	ByIndex
)

// Table is a Glue table as deployed: its data columns in order and its partition keys.
type Table struct {
	Columns       []Column
	PartitionKeys []Column
}

// ChangeKind names a difference between a deployed table and a schema.
type ChangeKind string

// The kinds of change Compare reports.
const (
	Added         ChangeKind = "added"
	AddedRequired ChangeKind = "added as required"
	Removed       ChangeKind = "removed"
	Renamed       ChangeKind = "renamed"
	Retyped       ChangeKind = "retyped"
	Widened       ChangeKind = "widened"
	Moved         ChangeKind = "moved"
	Commented     ChangeKind = "comment changed"
	Repartitioned ChangeKind = "partition key changed"
)

// Change is one difference, judged against the files already in the lake.
type Change struct {
	Column   string
	Kind     ChangeKind
	From, To string // types, positions or partition keys, as the kind needs
	// Breaking: Athena would fail on, or silently misread or hide, data already written, or
	// producers would be refused; preview stops unless the column is allowed on purpose.
	Breaking bool
	// Why says what happens to the existing files (or producers).
	Why string
	// WayOut is the safe alternative, for breaking changes.
	WayOut string
	// Note marks an allowed change readers notice (SELECT * column order): preview warns.
	Note bool
}

func (c Change) String() string {
	s := fmt.Sprintf("column %s %s", c.Column, c.Kind)
	if c.From != "" || c.To != "" {
		s += fmt.Sprintf(" (%s -> %s)", orNone(c.From), orNone(c.To))
	}
	if c.Why != "" {
		s += ": " + c.Why
	}
	if c.WayOut != "" {
		s += ". Way out: " + c.WayOut
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// awsReadableAs is AWS's table "Use compatible data types" (Athena, "Change a column data
// type"): a column of the key's type may be declared as any of the listed types.
var awsReadableAs = map[string][]string{
	"string":   {"byte", "tinyint", "smallint", "int", "bigint"},
	"byte":     {"tinyint", "smallint", "int", "bigint"},
	"tinyint":  {"smallint", "int", "bigint"},
	"smallint": {"int", "bigint"},
	"int":      {"bigint"},
	"float":    {"double"},
}

// parquetWidenings are the rows of awsReadableAs that hold for Parquet files read through the
// table's type: integer widening (Parquet stores tinyint, smallint and int as INT32, bigint as
// INT64) and float to double. STRING is stored as BINARY, which no integer type reads; AWS's
// STRING row applies to text formats, or to Parquet only through a partition-level CAST that
// this lake's partitions do not keep.
func parquetWidenings(from, to string) bool {
	if from == "string" {
		return false
	}
	return slices.Contains(awsReadableAs[from], to)
}

// hiveType normalises a Hive type as Glue stores it ("INTEGER", " int ") for comparison.
func hiveType(t string) string {
	t = strings.ToLower(strings.Join(strings.Fields(t), ""))
	if t == "integer" {
		return "int"
	}
	return t
}

// Compare lists what changes when the schema replaces the deployed table: data columns in the
// schema's order, then removed columns, then partition keys. access is how the new table reads
// Parquet (ByName for this program's tables).
func Compare(deployed Table, s *Schema, access ParquetAccess) []Change {
	next := s.GlueColumns()
	old := map[string]int{}
	for i, c := range deployed.Columns {
		old[c.Name] = i
	}
	var out []Change
	for j, c := range next {
		i, ok := old[c.Name]
		if !ok {
			f, _ := s.Field(c.Name)
			before := slices.ContainsFunc(next[j+1:], func(n Column) bool { _, kept := old[n.Name]; return kept })
			out = append(out, added(c, f, j, len(next), before, len(deployed.Columns), access))
			continue
		}
		out = append(out, columnChanges(deployed.Columns[i], c)...)
	}
	out = append(out, moves(deployed.Columns, next, access)...)
	out = append(out, removals(deployed.Columns, next)...)
	return append(out, partitionChanges(deployed.PartitionKeys, s.PartitionColumns())...)
}

// wayOut is the safe route for a column that must change.
func wayOut(col, typ string) string {
	return fmt.Sprintf("keep %s as deployed and add a new column (e.g. %s_v2 %s) at the end; or create a new table version "+
		"and backfill it from raw/ with `streamlake replay`; or, to accept the consequence on purpose, list %s in "+
		"allowBreakingSchemaChange", col, col, typ, col)
}

// added judges a new column at position j of the schema's total columns; before says a kept
// column follows it; n is the number of deployed columns.
func added(c Column, f Field, j, total int, before bool, n int, access ParquetAccess) Change {
	ch := Change{Column: c.Name, Kind: Added, To: c.Type,
		Why: "existing files have no such column, so Athena reads NULL for it in every existing row"}
	switch {
	case f.Required && f.Source == Client:
		ch.Kind, ch.Breaking = AddedRequired, true
		ch.Why = "producers that do not send " + c.Name + " yet are refused (400 at the API), and records already in the " +
			"stream without it fail the transform and go to errors/"
		ch.WayOut = "add it as optional first, and make it required once every producer sends it; or list " + c.Name +
			" in allowBreakingSchemaChange"
	case j < n && access == ByIndex:
		ch.Breaking = true
		ch.Why = "the table reads Parquet by index, so every column after it would read its neighbour's values in existing files"
		ch.WayOut = "add it at the end instead"
	case before:
		ch.Note = true
		ch.Why += fmt.Sprintf("; it goes before existing columns (position %d of %d): Athena reads Parquet by name, so old files "+
			"read correctly, but SELECT * lists the columns in the new order", j+1, total)
	}
	return ch
}

// columnChanges judges a column kept under its name: type and comment.
func columnChanges(was, now Column) []Change {
	var out []Change
	if from, to := hiveType(was.Type), hiveType(now.Type); from != to {
		ch := Change{Column: now.Name, Kind: Retyped, From: was.Type, To: now.Type, Breaking: true,
			Why: fmt.Sprintf("existing Parquet files hold %s values, which Athena cannot read as %s (of AWS's compatible types, "+
				"only integer widening and float -> double hold for Parquet): queries over the old files fail with HIVE_BAD_DATA", from, to),
			WayOut: wayOut(now.Name, now.Type)}
		if parquetWidenings(from, to) {
			ch.Kind, ch.Breaking, ch.WayOut = Widened, false, ""
			ch.Why = fmt.Sprintf("AWS documents %s as readable as %s: old files keep reading", from, to)
		} else if from == "string" && slices.Contains(awsReadableAs[from], to) {
			ch.Why = fmt.Sprintf("existing Parquet files store %s as BINARY; AWS's compatible-types table lists string -> %s only "+
				"where Athena CASTs a partition's own column type, and this lake's partitions take the table's types (the crawler "+
				"inherits them, projection keeps none): queries over the old files fail with HIVE_BAD_DATA", was.Name, to)
		}
		out = append(out, ch)
	}
	if was.Comment != now.Comment {
		out = append(out, Change{Column: now.Name, Kind: Commented, Why: "metadata only; files are unaffected"})
	}
	return out
}

// moves reports kept columns whose order changed: harmless read by name (a note), breaking read
// by index, where any kept column whose position changes reads another column's values.
func moves(was, now []Column, access ParquetAccess) []Change {
	pos := map[string]int{}
	for i, c := range now {
		pos[c.Name] = i
	}
	var keptWas, keptNow []string
	for _, c := range was {
		if _, ok := pos[c.Name]; ok {
			keptWas = append(keptWas, c.Name)
		}
	}
	for _, c := range now {
		if slices.ContainsFunc(was, func(d Column) bool { return d.Name == c.Name }) {
			keptNow = append(keptNow, c.Name)
		}
	}
	var out []Change
	for i, c := range was {
		j, ok := pos[c.Name]
		if !ok {
			continue
		}
		switch {
		case access == ByIndex && i != j:
			out = append(out, Change{Column: c.Name, Kind: Moved, From: position(i), To: position(j), Breaking: true,
				Why:    "the table reads Parquet by index, so the column would read another column's values in existing files",
				WayOut: "keep the deployed order and add new columns at the end"})
		case access == ByName && slices.Index(keptWas, c.Name) != slices.Index(keptNow, c.Name):
			out = append(out, Change{Column: c.Name, Kind: Moved, From: position(i), To: position(j), Note: true,
				Why: "Athena reads Parquet by name (no parquet.column.index.access on the table), so existing files read " +
					"correctly; SELECT * lists the columns in the new order"})
		}
	}
	return out
}

func position(i int) string { return fmt.Sprintf("position %d", i+1) }

// removals reports deployed columns the schema lacks; one replaced in place by a new column of
// the same type is reported as a rename.
func removals(was, now []Column) []Change {
	in := map[string]bool{}
	for _, c := range now {
		in[c.Name] = true
	}
	old := map[string]bool{}
	for _, c := range was {
		old[c.Name] = true
	}
	var out []Change
	for i, c := range was {
		if in[c.Name] {
			continue
		}
		if i < len(now) && !old[now[i].Name] && hiveType(now[i].Type) == hiveType(c.Type) {
			out = append(out, Change{Column: c.Name, Kind: Renamed, From: c.Name, To: now[i].Name, Breaking: true,
				Why: fmt.Sprintf("Athena maps Parquet columns by name, so %s reads NULL in every existing row and the values "+
					"written as %s become unreachable", now[i].Name, c.Name),
				WayOut: fmt.Sprintf("keep %s and add %s as a new column (queries can coalesce(%s, %s)); or create a new table "+
					"version and backfill it with `streamlake replay`; or list %s in allowBreakingSchemaChange",
					c.Name, now[i].Name, now[i].Name, c.Name, c.Name)})
			continue
		}
		out = append(out, Change{Column: c.Name, Kind: Removed, From: c.Type, Breaking: true,
			Why: "Athena still reads the files (Parquet by name), but the column's values in every existing file become " +
				"unreachable, queries and reports that name it fail (COLUMN_NOT_FOUND), and a later column of that name " +
				"with another type would fail on the old files (HIVE_BAD_DATA)",
			WayOut: fmt.Sprintf("keep %s in the schema as an optional field that producers stop sending (new rows read NULL); "+
				"or create a new table version and backfill it with `streamlake replay`; or list %s in "+
				"allowBreakingSchemaChange", c.Name, c.Name)})
	}
	return out
}

// partitionChanges compares partition keys position by position; any difference but a
// comment is breaking.
func partitionChanges(was, now []Column) []Change {
	var out []Change
	for i := range max(len(was), len(now)) {
		var a, b Column
		if i < len(was) {
			a = was[i]
		}
		if i < len(now) {
			b = now[i]
		}
		if a.Name == b.Name && hiveType(a.Type) == hiveType(b.Type) {
			continue
		}
		name := b.Name
		if name == "" {
			name = a.Name
		}
		out = append(out, Change{Column: name, Kind: Repartitioned, From: keyDoc(a), To: keyDoc(b), Breaking: true,
			Why: fmt.Sprintf("partition key %d: the lake's folders and every partition already registered use the deployed keys "+
				"(%s), so Athena would no longer find existing data where the new keys say, and Firehose would write a "+
				"second layout beside the first", i+1, keysDoc(was)),
			WayOut: "create a new table version (its own name and prefix) and backfill it from raw/ with `streamlake replay`; " +
				"or list " + name + " in allowBreakingSchemaChange"})
	}
	return out
}

func keyDoc(c Column) string {
	if c.Name == "" {
		return ""
	}
	return c.Name + " " + c.Type
}

func keysDoc(cs []Column) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name + "="
	}
	return strings.Join(out, "/")
}

// Decide applies the override: breaking changes to columns not in allow are the error (all of
// them, each with why and the way out); breaking changes allowed on purpose and notes are
// warnings, and so is an allowed column that no breaking change touches (a stale override
// would let a later break through unnoticed).
func Decide(changes []Change, allow []string) (warnings []string, err error) {
	var refused []string
	used := map[string]bool{}
	for _, c := range changes {
		switch {
		case c.Breaking && slices.Contains(allow, c.Column):
			used[c.Column] = true
			warnings = append(warnings, "breaking schema change allowed by allowBreakingSchemaChange: "+c.String())
		case c.Breaking:
			refused = append(refused, c.String())
		case c.Note:
			warnings = append(warnings, "schema change: "+c.String())
		}
	}
	for _, col := range allow {
		if !used[col] {
			warnings = append(warnings, fmt.Sprintf("allowBreakingSchemaChange lists %s, but no breaking change touches it: "+
				"remove it, so that a later breaking change to %s is refused again", col, col))
		}
	}
	if len(refused) > 0 {
		return warnings, errors.New("schema change refused: it would break the data already in the lake:\n  " +
			strings.Join(refused, "\n  "))
	}
	return warnings, nil
}
