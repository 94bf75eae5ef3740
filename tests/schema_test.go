package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/schema"
)

// deployed is the table today's schema deploys, changed by edit: the tests below move the
// deployed side, so the program runs with its real schema file.
func deployed(edit func(t *schema.Table)) *schema.Table {
	t := stacktest.DeployedTable(schema.Default())
	if edit != nil {
		edit(t)
	}
	return t
}

func dropColumn(name string) func(*schema.Table) {
	return func(t *schema.Table) {
		t.Columns = slices.DeleteFunc(t.Columns, func(c schema.Column) bool { return c.Name == name })
	}
}

func setType(name, typ string) func(*schema.Table) {
	return func(t *schema.Table) {
		for i := range t.Columns {
			if t.Columns[i].Name == name {
				t.Columns[i].Type = typ
			}
		}
	}
}

// TestSchemaIsCheckedAgainstTheDeployedTable: preview reads the deployed Glue table and
// compares it with schema/events.yaml. A field the file adds passes; a column the file drops
// or retypes fails the preview naming the column, the types, Athena's failure and the way
// out; a reorder passes with a warning (Athena reads Parquet by name); the override lets a
// named column through with a warning.
func TestSchemaIsCheckedAgainstTheDeployedTable(t *testing.T) {
	tests := []struct {
		name     string
		table    *schema.Table
		config   map[string]string
		wantErr  []string
		wantWarn []string
	}{
		{name: "same columns", table: deployed(nil)},
		{name: "the file adds a field at the end", table: deployed(dropColumn("ingested_at"))},
		{name: "the file adds a field in the middle", table: deployed(dropColumn("session_id")),
			wantWarn: []string{"column session_id added", "SELECT * lists the columns in the new order"}},
		{name: "the file drops a column", table: deployed(func(t *schema.Table) {
			t.Columns = append(t.Columns, schema.Column{Name: "device", Type: "string"})
		}), wantErr: []string{"schema change refused", "column device removed (string -> none)", "COLUMN_NOT_FOUND",
			"Way out: keep device in the schema as an optional field", "allowBreakingSchemaChange"}},
		{name: "the file retypes a column", table: deployed(setType("watched_sec", "bigint")),
			wantErr: []string{"column watched_sec retyped (bigint -> double)", "HIVE_BAD_DATA",
				"add a new column (e.g. watched_sec_v2 double) at the end", "streamlake replay"}},
		{name: "the file widens a column AWS documents", table: deployed(setType("watched_sec", "float"))},
		{name: "the file reorders columns", table: deployed(func(t *schema.Table) {
			t.Columns[4], t.Columns[5] = t.Columns[5], t.Columns[4]
		}), wantWarn: []string{"column content_id moved (position 6 -> position 5)", "column session_id moved", "reads Parquet by name"}},
		{name: "the file changes the partition keys", table: deployed(func(t *schema.Table) {
			t.PartitionKeys = t.PartitionKeys[:3]
		}), wantErr: []string{"column hour partition key changed (none -> hour string)", "new table version"}},
		{name: "override", table: deployed(setType("watched_sec", "bigint")),
			config:   map[string]string{"allowBreakingSchemaChange": `["watched_sec"]`},
			wantWarn: []string{"breaking schema change allowed by allowBreakingSchemaChange: column watched_sec retyped (bigint -> double)"}},
		{name: "stale override", table: deployed(nil),
			config:   map[string]string{"allowBreakingSchemaChange": `["watched_sec"]`},
			wantWarn: []string{"allowBreakingSchemaChange lists watched_sec, but no breaking change touches it"}},
		{name: "first deploy: no table", table: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := stacktest.Run(stacktest.Options{Stack: "prod", LiveTable: tt.table, Config: tt.config})
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("preview passed")
				}
				for _, w := range append(tt.wantErr, "table streamlake_prod.events") {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error lacks %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			warnings := strings.Join(res.Warnings, "\n")
			if len(tt.wantWarn) == 0 && warnings != "" {
				t.Errorf("unexpected warnings:\n%s", warnings)
			}
			for _, w := range tt.wantWarn {
				if !strings.Contains(warnings, w) {
					t.Errorf("warnings lack %q:\n%s", w, warnings)
				}
			}
		})
	}
}

// TestTableLookupErrorsAreVisible: as for the shard-step check, only "table not found" is
// silent; any other lookup error is a warning naming it, or with liveLookupErrors fail the
// preview's error.
func TestTableLookupErrorsAreVisible(t *testing.T) {
	const denied = "invocation of aws:glue/getCatalogTable:getCatalogTable returned an error: invoking aws:glue/getCatalogTable:getCatalogTable: " +
		"1 error occurred:\n\t* reading Glue Catalog Table: operation error Glue: GetTable, https response error StatusCode: 400, " +
		"api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/preview/ci is not authorized to perform: glue:GetTable"
	res, err := stacktest.Run(stacktest.Options{Stack: "prod", TableLookupError: denied, LiveShards: 4})
	if err != nil {
		t.Fatalf("AccessDenied with liveLookupErrors warn: %v", err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "table streamlake_prod.events: the deployed columns cannot be read") ||
		!strings.Contains(res.Warnings[0], "schema compatibility check is skipped") || !strings.Contains(res.Warnings[0], "glue:GetTable") ||
		!strings.Contains(res.Warnings[0], "liveLookupErrors: fail makes this an error") {
		t.Errorf("AccessDenied: warnings %q, want one naming the table, the error, the skipped check and liveLookupErrors", res.Warnings)
	}
	_, err = stacktest.Run(stacktest.Options{Stack: "prod", TableLookupError: denied, LiveShards: 4, Config: map[string]string{"liveLookupErrors": "fail"}})
	if err == nil || !strings.Contains(err.Error(), "schema compatibility check cannot run (liveLookupErrors is fail)") || !strings.Contains(err.Error(), "AccessDeniedException") {
		t.Errorf("AccessDenied with liveLookupErrors fail: got %v", err)
	}
	if _, err := stacktest.Run(stacktest.Options{Stack: "prod", Config: map[string]string{"liveLookupErrors": "fail"}}); err != nil {
		t.Errorf("table not found with liveLookupErrors fail: %v", err)
	}
}

// TestTableReadsParquetByName: the compatibility rules assume Athena maps Parquet columns by
// name (stacks.tableAccess); a table that switched to index access would make a reorder or an
// insertion misread every old file.
func TestTableReadsParquetByName(t *testing.T) {
	for _, stack := range stacks {
		table := one(t, run(t, stack, nil), tTable)
		for _, path := range []string{"parameters", "storageDescriptor.serDeInfo.parameters"} {
			for k, v := range table.StrMap(path) {
				if strings.EqualFold(k, "parquet.column.index.access") && !strings.EqualFold(v, "false") {
					t.Errorf("%s: %s %s=%s: the schema rules assume access by name", stack, path, k, v)
				}
			}
		}
		if table.Str("storageDescriptor.serDeInfo.serializationLibrary") == "" {
			t.Errorf("%s: the table has no SerDe to check", stack)
		}
	}
}
