package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/streamlake/streamlake/internal/locallake"
	"github.com/streamlake/streamlake/lambdapkg"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stackfile"
)

// settings is the repeatable --set key=value flag.
type settings map[string]string

func (s settings) String() string { return fmt.Sprint(map[string]string(s)) }

func (s settings) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value (a stack key, as `pulumi config set` takes it), got %q", v)
	}
	s[k] = val
	return nil
}

func runFlags(o *locallake.Options, rows *int, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("streamlake-local run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.Dir, "dir", "", "folder for the run: DIR/lake, DIR/summary.json, DIR/api-rejected.jsonl (required)")
	fs.StringVar(&o.Input, "input", "", "events to send, one JSON document per line, each posted exactly as written")
	fs.IntVar(&o.Count, "count", 0, "generate this many valid events from the schema, for every dataset, instead of --input")
	fs.StringVar(&o.Dataset, "dataset", "", "the dataset --input's events are, or the only one --count generates for (default: the stack's only dataset; --count: every dataset)")
	fs.StringVar(&o.Stack, "stack", "dev", "stack whose configuration the run uses (Pulumi.<stack>.yaml)")
	fs.StringVar(&o.Route, "route", locallake.RouteBatch, "API route: batch (up to 500 events per request; the API refuses a request with one bad event whole, its good events too) or single (one event per request: keeps the good events of a file with bad lines)")
	fs.Var(settings(o.Set), "set", "override a stack value, key=value (repeatable), e.g. --set unknownFields=reject")
	fs.Uint64Var(&o.Seed, "seed", 0, "seed of generated events (0: random)")
	fs.IntVar(rows, "rows", 10, "rows of each saved query's result to print (streamlake-local query shows any)")
	fs.DurationVar(&o.ProcessorInterval, "processor-interval", locallake.DefaultProcessorInterval,
		"stands in for processorBufferSeconds, the longest wait before a Lambda call (0: the stack's)")
	fs.DurationVar(&o.BufferInterval, "buffer-interval", locallake.DefaultBufferInterval,
		"stands in for firehoseBufferSeconds, the longest wait before a Parquet file is written (0: the stack's)")
	return fs
}

func runRun(ctx context.Context, e *env, args []string) int {
	o := locallake.Options{Set: map[string]string{}, Progress: e.stderr, Datasets: e.datasets}
	rows := 0
	fs := runFlags(&o, &rows, e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		return fail(e, usageError{fmt.Errorf("run takes no arguments, got %q (flags go before them)", fs.Args())})
	}
	for _, d := range []*time.Duration{&o.ProcessorInterval, &o.BufferInterval} {
		if *d == 0 {
			*d = -1 // the stack's
		}
	}
	if err := o.Validate(); err != nil {
		return fail(e, usageError{err})
	}
	if rows < 0 {
		return fail(e, usageError{fmt.Errorf("--rows must be 0 or more, got %d", rows)})
	}
	root, err := moduleRoot(e)
	if err != nil {
		return fail(e, err)
	}
	o.Root = root
	if err := checkStack(root, o.Stack, o.Set); err != nil {
		return fail(e, usageError{err})
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fail(e, fmt.Errorf("--dir: %w", err))
	}
	res, err := locallake.Run(ctx, o)
	if err != nil {
		return fail(e, err)
	}
	_, _ = fmt.Fprintf(e.stdout, "\nstreamlake-local: %s/summary.json\n", o.Dir)
	if err := res.Summary.Write(e.stdout); err != nil {
		return fail(e, err)
	}
	if err := printSavedQueries(ctx, e.stdout, res, rows); err != nil {
		return fail(e, err)
	}
	return exitOK
}

// checkStack reports a --stack without a stack file and --set keys no stack has, naming the
// ones that exist.
func checkStack(root, stack string, set map[string]string) error {
	stacks, err := stackconfig.StackNames(root)
	if err != nil {
		return err
	}
	if !slices.Contains(stacks, stack) {
		return fmt.Errorf("--stack %s: there is no Pulumi.%s.yaml; stacks: %s", stack, stack, strings.Join(stacks, ", "))
	}
	project, err := stackfile.ProjectName(root)
	if err != nil {
		return err
	}
	var keys []string
	for k := range set {
		keys = append(keys, stackfile.Qualify(project, k))
	}
	var errs []error
	for _, u := range stackconfig.FindUnknownKeys(project, stackconfig.Keys(), slices.Sorted(slices.Values(keys))) {
		msg := fmt.Sprintf("--set %s: no such key (docs/config.md lists them)", u.Key)
		if u.Suggestion != "" {
			msg = fmt.Sprintf("--set %s: no such key; did you mean %s?", u.Key, u.Suggestion)
		}
		errs = append(errs, errors.New(msg))
	}
	return errors.Join(errs...)
}

// moduleRoot is where Pulumi.yaml, the stack files and the transform's source are.
func moduleRoot(e *env) (string, error) {
	if e.root != "" {
		return e.root, nil
	}
	root, err := lambdapkg.FindModuleRoot(".")
	if err != nil {
		return "", fmt.Errorf("run streamlake-local inside the streamlake checkout (it reads Pulumi.yaml and the stack files and builds lambda/transform): %w", err)
	}
	return root, nil
}
