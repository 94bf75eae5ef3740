// Package lakesql runs SQL over the local lake's Parquet files with DuckDB, under the names
// Athena uses: schema "<glue database>", view "<glue table>" with the table's columns in
// order and its partition keys last, as strings (a folder month=07 reads '07', as in Glue).
// The saved Athena queries (queries.For) run unchanged: where DuckDB's dialect
// differs from Athena's (Trino), a macro in Macros makes the same text mean the same thing.
// The session time zone is UTC, Athena's, so current_date and timestamps agree.
//
// This package uses cgo (DuckDB); pure-Go packages must not import it.
package lakesql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver

	"github.com/streamlake/streamlake/schema"
)

// Macro is a DuckDB macro that gives an Athena (Trino) function its Athena meaning.
type Macro struct {
	Name string
	// SQL creates the macro.
	SQL string
	// Why says how DuckDB differs without it.
	Why string
}

// Macros are the dialect bridges, the only ones the saved queries need. Everything else they
// use (concat, date(), date_trunc, INTERVAL '7' DAY, current_date, row_number, round) means
// the same in both engines once the time zone is UTC.
var Macros = []Macro{
	{
		Name: "date_format",
		// MySQL-style specifiers (Trino) to strftime ones: %M is the month name there, %i the
		// minutes and %s the seconds; %Y %m %d %H %S %f %j %p are the same in both.
		SQL: `CREATE MACRO date_format(t, f) AS strftime(t, replace(replace(replace(f, '%M', '%B'), '%i', '%M'), '%s', '%S'))`,
		Why: "DuckDB has no date_format (it has strftime, whose %M and %i differ from Trino's MySQL-style specifiers)",
	},
	{
		Name: "date_diff",
		SQL:  `CREATE MACRO date_diff(unit, t1, t2) AS date_sub(unit, t1, t2)`,
		Why: "DuckDB's date_diff counts unit boundaries crossed (23:00 to 01:00 the next day is 1 day); " +
			"Trino's counts whole units elapsed (0 days), which is DuckDB's date_sub",
	},
}

// Config names the table and says where its files are.
type Config struct {
	// DataDir holds the Parquet files, in hive-style partition folders (DIR/lake/data).
	DataDir string
	// Database and Table are the Glue names the queries use.
	Database, Table string
	// Columns are the table's data columns (schema.Schema.GlueColumns), Partitions its
	// partition keys (schema.Schema.PartitionColumns).
	Columns, Partitions []schema.Column
	// FolderPrefix, when set, limits the table to the folders of DataDir whose names start
	// with it: the default dataset's partition folders (year=...), beside which the other
	// datasets' folders (data/<name>/) lie.
	FolderPrefix string
}

// DB is an in-memory DuckDB with the lake's table.
type DB struct {
	db *sql.DB
}

// Open creates the schema, the view and the macros. The view reads every Parquet file under
// DataDir at each query; a lake without files is an empty table with the same columns.
func Open(ctx context.Context, c Config) (*DB, error) {
	if c.DataDir == "" || c.Database == "" || c.Table == "" || len(c.Columns) == 0 {
		return nil, errors.New("lakesql: DataDir, Database, Table and Columns are required")
	}
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("lakesql: open DuckDB: %w", err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1) // one session: its settings hold for every query
	d := &DB{db: db}
	view, err := viewSQL(c)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	stmts := []string{"SET TimeZone = 'UTC'", "CREATE SCHEMA " + ident(c.Database), view}
	for _, m := range Macros {
		stmts = append(stmts, m.SQL)
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("lakesql: %s: %w", firstLine(s), err)
		}
	}
	return d, nil
}

// AddTable adds another table of the same database (another dataset's).
func (d *DB) AddTable(ctx context.Context, c Config) error {
	if c.DataDir == "" || c.Table == "" || len(c.Columns) == 0 {
		return errors.New("lakesql: DataDir, Table and Columns are required")
	}
	view, err := viewSQL(c)
	if err != nil {
		return err
	}
	if _, err := d.db.ExecContext(ctx, view); err != nil {
		return fmt.Errorf("lakesql: %s: %w", firstLine(view), err)
	}
	return nil
}

// Close releases DuckDB.
func (d *DB) Close() error { return d.db.Close() }

// duckType is the DuckDB type of a Glue type.
var duckType = map[schema.Type]string{
	schema.String: "VARCHAR", schema.Timestamp: "TIMESTAMP", schema.Double: "DOUBLE",
	schema.Long: "BIGINT", schema.Boolean: "BOOLEAN", schema.StringMap: "MAP(VARCHAR, VARCHAR)",
}

func viewSQL(c Config) (string, error) {
	var cols, empty, types []string
	for _, col := range append(append([]schema.Column{}, c.Columns...), c.Partitions...) {
		t, ok := duckType[schema.Type(col.Type)]
		if !ok {
			return "", fmt.Errorf("lakesql: column %s has type %q, which has no DuckDB mapping", col.Name, col.Type)
		}
		cols = append(cols, ident(col.Name))
		empty = append(empty, fmt.Sprintf("CAST(NULL AS %s) AS %s", t, ident(col.Name)))
	}
	for _, p := range c.Partitions {
		types = append(types, fmt.Sprintf("%s: VARCHAR", literal(p.Name)))
	}
	name := ident(c.Database) + "." + ident(c.Table)
	has, err := hasParquet(c.DataDir, c.FolderPrefix)
	if err != nil {
		return "", err
	}
	if !has {
		return fmt.Sprintf("CREATE VIEW %s AS SELECT %s WHERE false", name, strings.Join(empty, ", ")), nil
	}
	glob := filepath.ToSlash(filepath.Join(c.DataDir, "**", "*.parquet"))
	if c.FolderPrefix != "" {
		glob = filepath.ToSlash(filepath.Join(c.DataDir, c.FolderPrefix+"*", "**", "*.parquet"))
	}
	// union_by_name: files written before a schema change lack its new columns, which read
	// as NULL there, as in Athena; without it DuckDB takes the first file's columns.
	return fmt.Sprintf("CREATE VIEW %s AS SELECT %s FROM read_parquet(%s, hive_partitioning = true, union_by_name = true, hive_types = {%s})",
		name, strings.Join(cols, ", "), literal(glob), strings.Join(types, ", ")), nil
}

// hasParquet reports whether dir holds a Parquet file anywhere below it (in a folder whose
// name starts with folderPrefix, when set).
func hasParquet(dir, folderPrefix string) (bool, error) {
	found := errors.New("found")
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if rel, _ := filepath.Rel(dir, path); folderPrefix != "" && e.IsDir() && rel != "." && !strings.Contains(rel, string(filepath.Separator)) &&
			!strings.HasPrefix(e.Name(), folderPrefix) {
			return filepath.SkipDir
		}
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".parquet") {
			return found
		}
		return nil
	})
	switch {
	case errors.Is(err, found):
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("lakesql: %w", err)
	}
	return false, nil
}

// ident quotes an SQL identifier.
func ident(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// literal quotes an SQL string.
func literal(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
