package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/testenv"
)

// `streamlake help <cmd>` is `<cmd> --help`, for every command.
func TestHelpCommand(t *testing.T) {
	c := cli{t: t}
	for _, cmd := range commands {
		if cmd.flags == nil {
			continue
		}
		help, flagHelp := c.run("help", cmd.name), c.run(cmd.name, "--help")
		if help.code != exitOK || help.stdout != flagHelp.stdout || !strings.HasPrefix(help.stdout, "Usage: streamlake "+cmd.name) {
			t.Errorf("help %s: exit %d\n%s\nwant the output of %s --help:\n%s", cmd.name, help.code, help.stdout, cmd.name, flagHelp.stdout)
		}
	}
	if r := c.run("help"); r.code != exitOK || !strings.Contains(r.stdout, "Commands:") || !strings.Contains(r.stdout, "status") {
		t.Errorf("help: exit %d\n%s", r.code, r.stdout)
	}
	if r := c.run("help", "nope"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "nope"`) {
		t.Errorf("help nope: exit %d\n%s", r.code, r.stderr)
	}
	// A flag's help names its range.
	if r := c.run("help", "send"); !strings.Contains(r.stdout, "--count n\n      n events to send (default 100 unless --duration is given) (allowed 1..100000000)") {
		t.Errorf("send help lacks the range of --count:\n%s", r.stdout)
	}
}

func TestVersion(t *testing.T) {
	full := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/streamlake/streamlake", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-11-25T10:00:00Z"}}}
	devel := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/streamlake/streamlake", Version: "(devel)"}}
	tests := []struct {
		info *debug.BuildInfo
		ok   bool
		args []string
		want []string
	}{
		{full, true, []string{"--version"}, []string{"streamlake v1.2.3\n", "revision   0123abc with uncommitted changes", "committed  2026-11-25T10:00:00Z", "go         go1.26.8"}},
		{full, true, []string{"version", "--json"}, []string{`"version": "v1.2.3"`, `"revision": "0123abc"`, `"modified": "true"`, `"go_version": "go1.26.8"`}},
		{devel, true, []string{"version"}, []string{"streamlake (devel)\n", "revision   unknown (no VCS information recorded", "committed  unknown"}},
		{nil, false, []string{"-version"}, []string{"streamlake (devel)\n", "module     github.com/streamlake/streamlake", "go         unknown"}},
	}
	for _, tt := range tests {
		r := cli{t: t, buildInfo: func() (*debug.BuildInfo, bool) { return tt.info, tt.ok }}.run(tt.args...)
		for _, w := range tt.want {
			if r.code != exitOK || !strings.Contains(r.stdout, w) {
				t.Errorf("%v: exit %d, output lacks %q:\n%s", tt.args, r.code, w, r.stdout)
			}
		}
	}
}

// A binary built from a git checkout with VCS stamping reports the checkout's commit. The
// build runs in a clone of the repository's committed state: Go does not stamp builds inside
// a git worktree (whose .git is a file), nor with -buildvcs=false (this machine's GOFLAGS).
func TestVersionOfABuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("clones the repository and builds the command")
	}
	root := testenv.ModuleRoot(t)
	clone := filepath.Join(t.TempDir(), "repo")
	if out, err := exec.Command("git", "clone", "-q", "--shared", root, clone).CombinedOutput(); err != nil {
		t.Skipf("no git checkout to clone: %v\n%s", err, out)
	}
	head, err := exec.Command("git", "-C", clone, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "streamlake")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/streamlake")
	build.Dir = clone
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"streamlake v0.0.0-", "revision   " + strings.TrimSpace(string(head)) + "\n", "go         go1."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--version of a binary built at %s lacks %q:\n%s", head, want, out)
		}
	}
}

// Every numeric flag of every command has a range that holds its default, and a value outside
// it exits 2 naming the flag, the value and the range.
func TestEveryNumericFlagIsRanged(t *testing.T) {
	e := &env{}
	for _, cmd := range commands {
		if cmd.flags == nil {
			continue
		}
		fs := cmd.flags(e)
		fs.VisitAll(func(fl *flag.Flag) {
			def, ok := numeric(fl)
			if !ok {
				return
			}
			b, has := fs.bounds[fl.Name]
			if !has {
				t.Errorf("%s --%s is numeric but has no range", cmd.name, fl.Name)
				return
			}
			if !b.allows(def) && def != 0 {
				t.Errorf("%s --%s: default %s outside its range %s", cmd.name, fl.Name, fl.DefValue, b.text)
			}
			for _, bad := range outside(fl, b) {
				r := cli{t: t}.run(cmd.name, "--"+fl.Name, bad)
				want := "--" + fl.Name + " " + bad + " is out of range: allowed " + b.text
				if r.code != exitUsage || !strings.Contains(r.stderr, want) {
					t.Errorf("%s --%s %s: exit %d, stderr %q; want exit 2 and %q", cmd.name, fl.Name, bad, r.code, r.stderr, want)
				}
			}
		})
	}
}

// outside returns values just outside b, as the flag spells them.
func outside(fl *flag.Flag, b bound) []string {
	g := fl.Value.(flag.Getter).Get()
	var out []string
	switch g.(type) {
	case time.Duration:
		if b.lo > 0 {
			out = append(out, (time.Duration(b.lo*float64(time.Second)) - time.Millisecond).String())
		}
		out = append(out, (time.Duration(b.hi*float64(time.Second)) + time.Second).String())
	case float64:
		out = append(out, num(b.lo-1), num(b.hi+1))
	default:
		out = append(out, num(b.lo-1), num(b.hi+1))
	}
	if b.loOpen {
		out = append(out, num(b.lo))
	}
	return dedupe(out)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// The examples of accepted nonsense now exit 2 with the rule.
func TestNonsenseFlagsRefused(t *testing.T) {
	c := cli{t: t}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--count", "0"}, "--count 0 is out of range: allowed 1..100000000"},
		{[]string{"shards", "--avg-eps", "9000", "--peak-eps", "4000"}, "--avg-eps 9000 is above --peak-eps 4000"},
		{[]string{"shards", "--peak-eps", "100", "--current", "600"}, "--current 600 is out of range: allowed 1..500"},
		{[]string{"shards", "--peak-eps", "100", "--window", "3d"}, "--window is for --from-metrics"},
		{[]string{"shards", "--from-metrics", "--stack", "prod", "--window", "30d"}, "--window 30d is out of range: allowed 1h..15d"},
		{[]string{"shards", "--from-metrics", "--stack", "prod", "--peak-eps", "5"}, "--from-metrics measures the peak"},
		{[]string{"shards", "--to", "8", "--peak-eps", "5"}, "cannot be combined with --peak-eps"},
		{[]string{"shards", "--to", "8"}, "--to needs --stack S"},
		{[]string{"shards", "--peak-eps", "5", "--write"}, "--write changes the stack file for one step of a --to plan"},
		{[]string{"send", "--backoff-base", "2s", "--backoff-max", "1s"}, "--backoff-max 1s is below --backoff-base 2s"},
	} {
		r := c.run(tt.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// Every duration flag takes whole days, as its range and default print them (send --duration
// 1d, verify --timeout 1d), and a value it cannot read exits 2 naming the flag and the form it
// takes; so do numbers the flag package cannot read.
func TestDurationFlagsTakeDays(t *testing.T) {
	var stderr strings.Builder
	e := &env{stdout: &stderr, stderr: &stderr}
	durations := 0
	for _, cmd := range commands {
		if cmd.flags == nil {
			continue
		}
		cmd.flags(e).VisitAll(func(fl *flag.Flag) {
			if g, ok := fl.Value.(flag.Getter); !ok {
				return
			} else if _, ok := g.Get().(time.Duration); !ok {
				return
			}
			durations++
			fs := cmd.flags(e)
			if code, exit := parse(e, fs, []string{"--" + fl.Name, "1d"}); exit && !strings.Contains(stderr.String(), "is out of range") {
				t.Errorf("%s --%s 1d: exit %d: %s", cmd.name, fl.Name, code, stderr.String())
			}
			if got := fs.Lookup(fl.Name).Value.(flag.Getter).Get(); got != 24*time.Hour {
				t.Errorf("%s --%s 1d reads as %v, want 24h", cmd.name, fl.Name, got)
			}
			stderr.Reset()
			r := cli{t: t}.run(cmd.name, "--"+fl.Name, "1x")
			want := `invalid value "1x" for flag -` + fl.Name + `: want a Go duration (30s, 5m, 36h) or whole days (1d)`
			if r.code != exitUsage || !strings.Contains(r.stderr, want) {
				t.Errorf("%s --%s 1x: exit %d, stderr %q; want exit 2 and %q", cmd.name, fl.Name, r.code, r.stderr, want)
			}
		})
	}
	if durations < 6 {
		t.Fatalf("found %d duration flags: send, verify, errors and shards have at least 6", durations)
	}
	c := cli{t: t}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--count", "ten"}, `invalid value "ten" for flag -count: want a whole number`},
		{[]string{"shards", "--peak-eps", "4k"}, `invalid value "4k" for flag -peak-eps: want a number`},
		{[]string{"send", "--count", "99999999999999999999"}, `invalid value "99999999999999999999" for flag -count: want a whole number in 1..100000000`},
	} {
		if r := c.run(tt.args...); r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}
