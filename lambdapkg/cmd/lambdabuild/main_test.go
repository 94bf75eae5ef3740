package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRun builds the archive into a temporary directory and checks that what the command
// prints describes the file it wrote.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Lambda")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"-out", dir}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	got := map[string]string{}
	for line := range strings.Lines(stdout.String()) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("line %q is not key: value", line)
		}
		got[k] = strings.TrimSpace(v)
	}
	path := got["path"]
	if filepath.Dir(path) != dir || filepath.Base(path) != "transform_linux_arm64.zip" {
		t.Fatalf("path %q, want transform_linux_arm64.zip in %s", path, dir)
	}
	zip, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(zip)
	if got["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("sha256 %s, the file's is %x", got["sha256"], sum)
	}
	if want := base64.StdEncoding.EncodeToString(sum[:]) + " (Lambda's CodeSha256)"; got["sha256-base64"] != want {
		t.Fatalf("sha256-base64 %q, want %q", got["sha256-base64"], want)
	}
	if want := strconv.Itoa(len(zip)) + " bytes"; got["size"] != want {
		t.Fatalf("size %q, want %q", got["size"], want)
	}
}

// TestBadFlags: wrong input is refused before anything is built, naming the flag.
func TestBadFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-arch", "x86_64"}, `-arch must be arm64 or amd64 (Lambda's architectures), got "x86_64"`},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
	}
	for _, c := range cases {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to say %s", c.args, err, c.want)
		}
		if stdout.Len() > 0 {
			t.Errorf("%q: printed %q", c.args, stdout.String())
		}
	}
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, &bytes.Buffer{}, &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "-arch") {
		t.Errorf("-h: %v, usage %q", err, stderr.String())
	}
}

// TestNoTestingImport: a shipped command never links package testing.
func TestNoTestingImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	if deps := strings.Fields(string(out)); slices.Contains(deps, "testing") {
		t.Fatal("lambdabuild depends on package testing")
	}
}
