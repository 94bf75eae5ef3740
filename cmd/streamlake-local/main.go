// Command streamlake-local runs the whole streamlake data path on one machine, without an AWS
// account, and answers SQL over the lake it writes:
//
//	streamlake-local run --dir DIR [--input FILE.jsonl | --count N] [--stack dev] [--route batch|single]
//	streamlake-local query --dir DIR "SQL"
//
// run sends the events through the ingest API's contract into a local Kinesis (kinesalite),
// delivers them as the stack's Firehose would (the real transform Lambda, Parquet per
// partition, error records, raw copies) into DIR/lake, writes DIR/summary.json, prints the
// counts and the API's rejections, then runs every saved Athena query against the lake with
// DuckDB. query runs any SQL on the same table, under the database and table names Athena
// uses. Run it inside the streamlake checkout: it reads Pulumi.yaml and the stack files and
// builds lambda/transform. Exit codes: 0 success, 1 failure, 2 usage error.
//
// It uses cgo (DuckDB); the ops CLI cmd/streamlake stays pure Go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/streamlake/streamlake/schema"
)

// Exit codes scripts can rely on.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// env is what a command runs with, so tests run commands in-process.
type env struct {
	stdout, stderr io.Writer
	// root is the module root (Pulumi.yaml, the stack files, the transform's source); ""
	// finds it above the working directory.
	root string
	// datasets are the datasets the stack deploys (nil: the ones built into the binary).
	datasets []schema.Dataset
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return runRun(ctx, e, args[1:])
	case "query":
		return runQuery(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return exitOK
	}
	_, _ = fmt.Fprintf(e.stderr, "streamlake-local: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	_, _ = fmt.Fprint(w, `streamlake-local runs the streamlake data path on this machine: events -> ingest API
contract -> Kinesis (kinesalite) -> Firehose's delivery with the real transform Lambda ->
Parquet lake -> the saved Athena queries on DuckDB.

Usage:
  streamlake-local run --dir DIR [--input FILE.jsonl | --count N] [--stack dev] [--route batch|single]
  streamlake-local query --dir DIR "SQL"

Run "streamlake-local run -h" or "streamlake-local query -h" for every flag.
`)
}

// usageError is a problem with the command line: exit 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }

// fail prints err and returns its exit code.
func fail(e *env, err error) int {
	_, _ = fmt.Fprintf(e.stderr, "streamlake-local: %v\n", err)
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	return exitFail
}
