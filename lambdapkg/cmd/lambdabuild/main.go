// Command lambdabuild builds the transform Lambda's reproducible archive (package lambdapkg)
// and prints where it is and its SHA-256: the same zip the Pulumi program builds and
// deploys, so a release can be checked byte for byte before `pulumi up`.
//
//	go run ./lambdapkg/cmd/lambdabuild [-arch arm64|amd64] [-out dir] [-package ./lambda/transform]
package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/streamlake/streamlake/lambdapkg"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintln(os.Stderr, "lambdabuild:", err)
		os.Exit(1)
	}
}

// run parses the flags, builds the archive and prints its path, hashes and size.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lambdabuild", flag.ContinueOnError)
	fs.SetOutput(stderr)
	arch := fs.String("arch", lambdapkg.DefaultGOARCH, "Lambda architecture: arm64 or amd64")
	out := fs.String("out", lambdapkg.DefaultOutDir, "directory for the zip; a relative one is under the module root")
	pkg := fs.String("package", lambdapkg.DefaultPackage, "main package, relative to the module root")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags only; see -h)", fs.Args())
	}
	if *arch != "arm64" && *arch != "amd64" {
		return fmt.Errorf("-arch must be arm64 or amd64 (Lambda's architectures), got %q", *arch)
	}
	a, err := lambdapkg.Build(ctx, lambdapkg.Options{GOARCH: *arch, OutDir: *out, Package: *pkg})
	if err != nil {
		return err
	}
	sum, err := base64.StdEncoding.DecodeString(a.SHA256)
	if err != nil {
		return fmt.Errorf("archive hash %q: %w", a.SHA256, err)
	}
	_, err = fmt.Fprintf(stdout, "path:          %s\nsha256:        %s\nsha256-base64: %s (Lambda's CodeSha256)\nsize:          %d bytes\n",
		a.Path, hex.EncodeToString(sum), a.SHA256, a.Size)
	return err
}
