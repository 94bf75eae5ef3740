package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

const versionDescription = `
Prints what this binary was built from, as the Go toolchain recorded it (runtime/debug
.ReadBuildInfo): the module path and version, the VCS revision and whether the working tree had
uncommitted changes, the commit time, and the Go version.

"(devel)" is the version of a binary built from a checkout rather than a tagged module
(go build, go run). The revision is "unknown" when the build recorded no VCS information
(-buildvcs=false, or built outside the git checkout).`

type versionFlags struct{ json bool }

func versionFlagSet(e *env) (*flags, *versionFlags) {
	var f versionFlags
	fs := newFlags("version", "[--json]", versionDescription)
	fs.BoolVar(&f.json, "json", false, "print the build information as JSON")
	return fs, &f
}

// buildVersion is what version prints.
type buildVersion struct {
	Module    string `json:"module"`
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	Modified  string `json:"modified"` // "true", "false" or "unknown"
	Time      string `json:"commit_time"`
	GoVersion string `json:"go_version"`
}

const unknown = "unknown"

// readVersion turns build information into what version prints; absent facts say so.
func readVersion(bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Module: "github.com/streamlake/streamlake", Version: "(devel)", Revision: unknown, Modified: unknown, Time: unknown, GoVersion: unknown}
	if !ok || bi == nil {
		return v
	}
	if bi.Main.Path != "" {
		v.Module = bi.Main.Path
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.modified":
			v.Modified = s.Value
		case "vcs.time":
			v.Time = s.Value
		}
	}
	return v
}

func (v buildVersion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "streamlake %s\n", v.Version)
	fmt.Fprintf(&b, "  module     %s\n", v.Module)
	rev := v.Revision
	switch {
	case rev == unknown:
		rev += " (no VCS information recorded: built with -buildvcs=false or outside the git checkout)"
	case v.Modified == "true":
		rev += " with uncommitted changes"
	}
	fmt.Fprintf(&b, "  revision   %s\n", rev)
	fmt.Fprintf(&b, "  committed  %s\n", v.Time)
	fmt.Fprintf(&b, "  go         %s\n", v.GoVersion)
	return b.String()
}

func runVersion(_ context.Context, e *env, args []string) int {
	fs, f := versionFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	read := e.buildInfo
	if read == nil {
		read = debug.ReadBuildInfo
	}
	v := readVersion(read())
	return printed(e, "version", writeResult(e.stdout, f.json, v, v.String))
}
