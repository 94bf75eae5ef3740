// Command streamlake is the operators' tool for a deployed streamlake pipeline:
//
//	streamlake send    send schema events to the ingest API or straight to Kinesis (load tests)
//	streamlake verify  post-deploy smoke test: events in, rows out of Athena, with latency
//	streamlake shards  plan the stream's shard count, its cost and the steps to change it
//	streamlake errors  what failed: error objects grouped by output type, code and message
//	streamlake redrive send failed records (errors/) into the stream again, once each
//	streamlake replay  send the raw/ backups of a time range into the stream again
//
// Names and URLs come from flags or, inside the project, from `pulumi stack output`. Exit
// codes: 0 success, 1 failure (the summary says what failed), 2 usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Exit codes scripts can rely on.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// env is what a command runs with: its streams and the outside world it may look at, so tests
// run commands in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether stderr is a terminal (progress bars only there).
	isTerminal bool
	// pulumi runs the pulumi CLI; nil means exec the one in PATH.
	pulumi pulumiRunner
	// now is verify's clock for event times and partitions; nil means time.Now.
	now func() time.Time
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) int
}

var commands = []command{
	{"send", "send schema events to the ingest API or straight to Kinesis, with a load summary", runSend},
	{"verify", "post-deploy smoke test: send tagged events and wait until Athena returns them", runVerify},
	{"shards", "plan the stream's shard count, monthly cost and resharding steps", runShards},
	{"errors", "what failed: error objects grouped by output type, error code and message", runErrors},
	{"redrive", "send failed records (errors/) into the stream again, exactly once per object", runRedrive},
	{"replay", "send the raw/ backups of a time range into the stream again (backfills)", runReplay},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: isTerminal(os.Stderr)}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	e.errorf("streamlake: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

// errorf writes to stderr; there is nowhere to report a failure to do that.
func (e *env) errorf(format string, a ...any) {
	_, _ = fmt.Fprintf(e.stderr, format, a...)
}

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("Usage: streamlake <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'streamlake <command> --help' for a command's flags. Names, URLs and the API key\n" +
		"come from flags or, inside the project, from 'pulumi stack output' (flags win).\n" +
		"Exit codes: 0 success, 1 failure, 2 usage error.\n")
	_, _ = io.WriteString(w, b.String()) // help on stdout or stderr: nowhere to report a failure
}

// usageError is a problem with the command line: exit code 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// newFlags makes a subcommand's flag set whose --help prints description and flags.
func newFlags(e *env, name, synopsis, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("streamlake "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		var b strings.Builder
		fmt.Fprintf(&b, "Usage: streamlake %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(description))
		fs.VisitAll(func(f *flag.Flag) {
			typ, help := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if typ != "" {
				line += " " + typ
			}
			fmt.Fprintf(&b, "%s\n      %s", line, help)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
				fmt.Fprintf(&b, " (default %s)", f.DefValue)
			}
			b.WriteString("\n")
		})
		_, _ = io.WriteString(fs.Output(), b.String()) // nowhere to report a failure
	}
	return fs
}

// parse parses args; it returns (code, true) when the command should exit with code.
func parse(e *env, fs *flag.FlagSet, args []string) (int, bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(e.stdout)
		fs.Usage()
		return exitOK, true
	case err != nil:
		e.errorf("%s: %v\nRun '%s --help' for usage.\n", fs.Name(), err, fs.Name())
		return exitUsage, true
	case fs.NArg() > 0:
		e.errorf("%s: unexpected arguments %q\nRun '%s --help' for usage.\n", fs.Name(), fs.Args(), fs.Name())
		return exitUsage, true
	}
	return 0, false
}

// writeJSON prints v as every --json output is: indented, one value, a final newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// printed is the exit code after a command printed its result: a failed write fails it.
func printed(e *env, name string, err error) int {
	if err != nil {
		return fail(e, name, fmt.Errorf("write the result: %w", err))
	}
	return exitOK
}

// fail reports err for command name and returns its exit code.
func fail(e *env, name string, err error) int {
	var u usageError
	if errors.As(err, &u) {
		e.errorf("streamlake %s: %v\nRun 'streamlake %s --help' for usage.\n", name, err, name)
		return exitUsage
	}
	e.errorf("streamlake %s: %v\n", name, err)
	return exitFail
}
