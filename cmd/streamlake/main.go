// Command streamlake is the operators' tool for a deployed streamlake pipeline:
//
//	streamlake send     send schema events to the ingest API or straight to Kinesis (load tests)
//	streamlake verify   post-deploy smoke test: events in, rows out of Athena, with latency
//	streamlake shards   plan the stream's shard count, its cost and the pull requests to change it
//	streamlake plan     a workload's monthly cost on a stack, its freshness, and what to change
//	streamlake status   one screen: stream, traffic, delivery, errors, crawler and alarms
//	streamlake errors   what failed: error objects grouped by output type, code and message
//	streamlake redrive  send failed records (errors/) into the stream again, once each
//	streamlake replay   send the raw/ backups of a time range into the stream again
//	streamlake version  the build's module version, VCS revision and Go version
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
	"runtime/debug"
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
	// now is the clock of verify (event times and partitions) and status (its windows); nil
	// means time.Now.
	now func() time.Time
	// buildInfo reads the binary's build information; nil means debug.ReadBuildInfo.
	buildInfo func() (*debug.BuildInfo, bool)
	// dir is where shards looks for the project (Pulumi.yaml); "" means the working directory.
	dir string
}

// clock returns the command's clock.
func (e *env) clock() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

type command struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) int
	// flags returns the command's flag set (tests check every numeric flag has a range).
	flags func(e *env) *flags
}

// commands is filled in init: runHelp reads it, and the commands' run functions are in it.
var commands []command

func init() {
	commands = []command{
		{"send", "send schema events to the ingest API or straight to Kinesis, with a load summary", runSend,
			func(e *env) *flags { fs, _ := sendFlagSet(e); return fs }},
		{"verify", "post-deploy smoke test: send tagged events and wait until Athena returns them", runVerify,
			func(e *env) *flags { fs, _ := verifyFlagSet(e); return fs }},
		{"shards", "plan the shard count, its cost, and the pull requests that change it", runShards,
			func(e *env) *flags { fs, _ := shardsFlagSet(e); return fs }},
		{"plan", "a workload's monthly cost on a stack, how fresh its data is, and what to change", runPlan,
			func(e *env) *flags { fs, _ := planFlagSet(e); return fs }},
		{"status", "one screen: stream, last hour's traffic, delivery, errors, crawler and alarms", runStatus,
			func(e *env) *flags { fs, _ := statusFlagSet(e); return fs }},
		{"errors", "what failed: error objects grouped by output type, error code and message", runErrors,
			func(e *env) *flags { fs, _ := errorsFlagSet(e); return fs }},
		{"redrive", "send failed records (errors/) into the stream again, exactly once per object", runRedrive,
			func(e *env) *flags { fs, _ := redriveFlagSet(e); return fs }},
		{"replay", "send the raw/ backups of a time range into the stream again (backfills)", runReplay,
			func(e *env) *flags { fs, _ := replayFlagSet(e); return fs }},
		{"version", "print the build's module version, VCS revision and Go version", runVersion,
			func(e *env) *flags { fs, _ := versionFlagSet(e); return fs }},
		{"help", "print the help of a command: streamlake help <command>", runHelp, nil},
	}
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
	case "-h", "-help", "--help":
		usage(e.stdout)
		return exitOK
	case "-version", "--version":
		return runVersion(ctx, e, args[1:])
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
	b.WriteString("\nRun 'streamlake help <command>' (or 'streamlake <command> --help') for a command's flags.\n" +
		"Names, URLs and the API key come from flags or, inside the project, from\n" +
		"'pulumi stack output' (flags win). 'streamlake --version' prints the build.\n" +
		"Exit codes: 0 success, 1 failure, 2 usage error.\n")
	_, _ = io.WriteString(w, b.String()) // help on stdout or stderr: nowhere to report a failure
}

// runHelp prints the general help, or a command's: `help send` is `send --help`.
func runHelp(ctx context.Context, e *env, args []string) int {
	switch {
	case len(args) == 0:
		usage(e.stdout)
		return exitOK
	case len(args) > 1:
		e.errorf("streamlake help: one command at a time, got %q\n", args)
		return exitUsage
	}
	for _, c := range commands {
		if c.name == args[0] && c.flags != nil {
			return c.run(ctx, e, []string{"--help"})
		}
	}
	e.errorf("streamlake help: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return exitUsage
}

// usageError is a problem with the command line: exit code 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// newFlags makes a subcommand's flag set whose --help prints description and flags.
func newFlags(name, synopsis, description string) *flags {
	fs := &flags{FlagSet: flag.NewFlagSet("streamlake "+name, flag.ContinueOnError), bounds: map[string]bound{}}
	fs.SetOutput(io.Discard)
	fs.Usage = func() { _, _ = io.WriteString(fs.Output(), fs.help(name, synopsis, description)) } // nowhere to report a failure
	return fs
}

// parse parses args and checks every numeric flag given against its range; it returns
// (code, true) when the command should exit with code.
func parse(e *env, fs *flags, args []string) (int, bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(e.stdout)
		fs.Usage()
		return exitOK, true
	case err != nil:
		e.errorf("%s: %v\nRun '%s --help' for usage.\n", fs.Name(), fs.parseError(err), fs.Name())
		return exitUsage, true
	case fs.NArg() > 0:
		e.errorf("%s: unexpected arguments %q\nRun '%s --help' for usage.\n", fs.Name(), fs.Args(), fs.Name())
		return exitUsage, true
	}
	if err := fs.checkBounds(); err != nil {
		e.errorf("%s: %v\nRun '%s --help' for usage.\n", fs.Name(), err, fs.Name())
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

// writeResult prints a command's result: v as JSON (--json), else text().
func writeResult(w io.Writer, asJSON bool, v any, text func() string) error {
	if asJSON {
		return writeJSON(w, v)
	}
	_, err := fmt.Fprint(w, text())
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

// nonNil returns s, or an empty slice for nil: JSON lists are [] when empty, never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
