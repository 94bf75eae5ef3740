package main

import (
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
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/queries"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stackfile"
)

// openLake opens DuckDB over the Parquet files of a local lake under the Glue names of a stack.
func openLake(ctx context.Context, dataDir string, names stackconfig.Names) (*lakesql.DB, error) {
	s := schema.Default()
	return lakesql.Open(ctx, lakesql.Config{DataDir: dataDir, Database: names.Database, Table: names.Table,
		Columns: s.GlueColumns(), Partitions: s.PartitionColumns()})
}

// printSavedQueries runs every saved Athena query, unchanged, against the run's lake and
// prints the first rows of each.
func printSavedQueries(ctx context.Context, w io.Writer, res *locallake.Result, rows int) error {
	names := stackconfig.NamesFor(res.Config.Project, res.Config.Stack)
	db, err := openLake(ctx, res.DataDir, names)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	saved, err := queries.Saved(schema.Default(), names.Database, names.Table)
	if err != nil {
		return err
	}
	for _, q := range saved {
		r, err := db.Query(ctx, q.SQL)
		if err != nil {
			return fmt.Errorf("saved query %s: %w", q.ID, err)
		}
		if _, err := fmt.Fprintf(w, "\n== %s: %s\n%s\n\n", q.ID, q.Name, q.Description); err != nil {
			return err
		}
		if err := r.WriteTableHead(w, rows); err != nil {
			return err
		}
	}
	return nil
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
	names, dataDir, err := lakeOf(e, *dir, *stack)
	if err != nil {
		return fail(e, err)
	}
	db, err := openLake(ctx, dataDir, names)
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

// lakeOf finds the Glue names and the Parquet folder of the run in dir.
func lakeOf(e *env, dir, stack string) (stackconfig.Names, string, error) {
	lake := filepath.Join(dir, "lake")
	if _, err := os.Stat(lake); err != nil {
		return stackconfig.Names{}, "", usageError{fmt.Errorf("--dir %s holds no lake (no %s): run \"streamlake-local run --dir %s\" first", dir, lake, dir)}
	}
	if stack == "" {
		stack = "dev"
		if b, err := os.ReadFile(filepath.Join(dir, "summary.json")); err == nil {
			var s locallake.Summary
			if json.Unmarshal(b, &s) == nil && s.Stack != "" {
				stack = s.Stack
			}
		}
	}
	root, err := moduleRoot(e)
	if err != nil {
		return stackconfig.Names{}, "", err
	}
	project, err := stackfile.ProjectName(root)
	if err != nil {
		return stackconfig.Names{}, "", err
	}
	return stackconfig.NamesFor(project, stack), filepath.Join(lake, filepath.FromSlash(lakelayout.DataPrefix)), nil
}
