package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/streamlake/streamlake/internal/lakesql"
	"github.com/streamlake/streamlake/internal/locallake"
	"github.com/streamlake/streamlake/queries"
	"github.com/streamlake/streamlake/stackconfig"
)

// openLake opens DuckDB over the Parquet files of a local lake: every dataset's table, under
// the Glue names of its stack.
func openLake(ctx context.Context, lakes []locallake.DatasetLake) (*lakesql.DB, error) {
	var db *lakesql.DB
	for i, l := range lakes {
		c := lakesql.Config{DataDir: l.DataDir, Database: l.Database, Table: l.Table, FolderPrefix: l.FolderPrefix,
			Columns: l.Schema.GlueColumns(), Partitions: l.Schema.PartitionColumns()}
		if i == 0 {
			var err error
			if db, err = lakesql.Open(ctx, c); err != nil {
				return nil, err
			}
			continue
		}
		if err := db.AddTable(ctx, c); err != nil {
			_ = db.Close()
			return nil, err
		}
	}
	return db, nil
}

// printSavedQueries runs every dataset's saved Athena queries, unchanged, against the run's
// lake and prints the first rows of each.
func printSavedQueries(ctx context.Context, w io.Writer, res *locallake.Result, rows int) error {
	db, err := openLake(ctx, res.Datasets)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	for _, l := range res.Datasets {
		saved, _, err := queries.For(l.Schema, l.Database, l.Table)
		if err != nil {
			return err
		}
		for _, q := range saved {
			r, err := db.Query(ctx, q.SQL)
			if err != nil {
				return fmt.Errorf("saved query %s of %s: %w", q.ID, l.Name, err)
			}
			if _, err := fmt.Fprintf(w, "\n== %s: %s%s\n%s\n\n", q.ID, q.Name, datasetNote(l.Name, len(res.Datasets)), q.Description); err != nil {
				return err
			}
			if err := r.WriteTableHead(w, rows); err != nil {
				return err
			}
		}
	}
	return nil
}

// datasetNote names the dataset of a query when the run has several.
func datasetNote(name string, datasets int) string {
	if datasets < 2 {
		return ""
	}
	return " (dataset " + name + ")"
}

func runQuery(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("streamlake-local query", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("dir", "", "folder of an earlier run (holds lake/ and summary.json) (required)")
	stack := fs.String("stack", "", "stack whose database and table names the SQL uses (default: the run's, from summary.json)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	switch {
	case *dir == "":
		return fail(e, usageError{errors.New(`--dir is required: the folder of an earlier "streamlake-local run"`)})
	case fs.NArg() != 1:
		return fail(e, usageError{fmt.Errorf(`query takes one SQL statement after the flags, e.g. query --dir DIR "SELECT count(*) FROM streamlake_dev.events"; got %d arguments`, fs.NArg())})
	}
	lakes, err := lakeOf(e, *dir, *stack)
	if err != nil {
		return fail(e, err)
	}
	db, err := openLake(ctx, lakes)
	if err != nil {
		return fail(e, err)
	}
	defer func() { _ = db.Close() }()
	r, err := db.Query(ctx, fs.Arg(0))
	if err != nil {
		return fail(e, err)
	}
	if err := r.WriteTable(e.stdout); err != nil {
		return fail(e, err)
	}
	return exitOK
}

// lakeOf finds the datasets' Glue names and Parquet folders of the run in dir.
func lakeOf(e *env, dir, stack string) ([]locallake.DatasetLake, error) {
	lake := filepath.Join(dir, "lake")
	sum, ran := runSummary(dir)
	if _, err := os.Stat(lake); err != nil && !ran {
		return nil, usageError{fmt.Errorf("--dir %s holds no lake (no %s): run \"streamlake-local run --dir %s\" first", dir, lake, dir)}
	}
	if ran && sum.ParquetRows == 0 {
		// The run finished and stored nothing (a lake folder is made by the first file
		// written): the tables are empty, and the answer should say why, not "run first".
		_, _ = fmt.Fprintf(e.stderr, "streamlake-local: %s\n", sum.NoRows(dir))
	}
	if stack == "" {
		stack = cmp.Or(sum.Stack, "dev")
	}
	root, err := moduleRoot(e)
	if err != nil {
		return nil, err
	}
	cfg, err := stackconfig.FromFilesWith(root, stack, nil, e.datasets)
	if err != nil {
		return nil, err
	}
	return locallake.Lakes(cfg, lake), nil
}

// runSummary reads the summary.json a finished run wrote in dir, and whether there is one.
func runSummary(dir string) (locallake.Summary, bool) {
	var s locallake.Summary
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || json.Unmarshal(b, &s) != nil {
		return locallake.Summary{}, false
	}
	return s, true
}
