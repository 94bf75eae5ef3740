// Package lambdapkg builds a Go Lambda function into a reproducible zip: the same sources and
// toolchain give the same bytes, so the archive's hash (Lambda's sourceCodeHash) changes only
// when the code does and a preview shows no diff after a rebuild.
package lambdapkg

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ModulePath is the module whose root Build looks for when Options.ModuleRoot is empty.
const ModulePath = "github.com/streamlake/streamlake"

// Defaults for Options.
const (
	DefaultPackage = "./lambda/transform"
	DefaultGOARCH  = "arm64"
	// DefaultOutDir is relative to the module root; .gitignore lists it.
	DefaultOutDir = ".build/lambda"
)

// EntryName is the archive's only file: what the provided.al2023 runtime executes.
const EntryName = "bootstrap"

// modTime is every entry's modification time: the zip format's epoch, 1980-01-01 00:00.
var modTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Options say what to build and where.
type Options struct {
	// ModuleRoot is the directory holding go.mod; empty: the nearest ancestor of the working
	// directory whose go.mod declares ModulePath.
	ModuleRoot string
	// Package is the main package, relative to ModuleRoot; empty: DefaultPackage.
	Package string
	// OutDir receives the zip; relative paths are under ModuleRoot; empty: DefaultOutDir.
	OutDir string
	// GOARCH is arm64 (Lambda's Graviton, the default) or amd64; tests use the host's to run it.
	GOARCH string
	// Go is the go command; empty: "go" from PATH.
	Go string
	// Replace compiles other files in place of files of the module, for this build only (go
	// build -overlay): key is a path relative to ModuleRoot, value the file used instead. The
	// program uses it to embed a schema other than schema/events.yaml in the transform Lambda.
	Replace map[string]string
}

// Archive is a built zip.
type Archive struct {
	// Path is the zip's absolute path: <OutDir>/<package name>_linux_<GOARCH>.zip.
	Path string
	// SHA256 is the base64 SHA-256 of the zip, the form of Lambda's sourceCodeHash.
	SHA256 string
	// Size is the zip's length in bytes.
	Size int64
}

// Build compiles the package for linux/GOARCH without cgo, trimmed paths, VCS stamps, build
// id or symbols (-tags lambda.norpc leaves out the RPC mode provided.al2023 never uses) and
// writes the binary as the single entry "bootstrap" of a zip with a fixed time, mode 0755,
// Unix creator and deflate. The zip is replaced atomically, so a reader never sees half of
// it. The Go build cache makes a rebuild of unchanged code take about a second.
func Build(ctx context.Context, o Options) (*Archive, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	tmp, err := os.MkdirTemp(o.OutDir, ".build-")
	if err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	defer func() { _ = os.RemoveAll(tmp) }() // best effort: a leftover is ignored by the next build

	bin := filepath.Join(tmp, EntryName)
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=", "-tags", "lambda.norpc", "-o", bin}
	if len(o.Replace) > 0 {
		overlay, err := writeOverlay(tmp, o.ModuleRoot, o.Replace)
		if err != nil {
			return nil, err
		}
		args = append(args, "-overlay", overlay)
	}
	cmd := exec.CommandContext(ctx, o.Go, append(args, o.Package)...)
	cmd.Dir = o.ModuleRoot
	cmd.Env = buildEnv(os.Environ(), o.GOARCH)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("lambdapkg: go build %s for linux/%s: %w\n%s", o.Package, o.GOARCH, err, strings.TrimSpace(stderr.String()))
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	zipped, err := Zip(binary)
	if err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(filepath.Base(filepath.Clean(o.Package)), ".") + "_linux_" + o.GOARCH + ".zip"
	path := filepath.Join(o.OutDir, name)
	if err := writeAtomic(tmp, path, zipped); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(zipped)
	return &Archive{Path: path, SHA256: base64.StdEncoding.EncodeToString(sum[:]), Size: int64(len(zipped))}, nil
}

// writeOverlay writes go build's -overlay file for the replacements into dir.
func writeOverlay(dir, root string, replace map[string]string) (string, error) {
	files := map[string]string{}
	for rel, with := range replace {
		if !filepath.IsLocal(rel) {
			return "", fmt.Errorf("lambdapkg: replaced file %q must be a path inside the module", rel)
		}
		abs, err := filepath.Abs(with)
		if err != nil {
			return "", fmt.Errorf("lambdapkg: %w", err)
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("lambdapkg: replacement for %s: %w", rel, err)
		}
		files[filepath.Join(root, rel)] = abs
	}
	b, err := json.Marshal(map[string]any{"Replace": files})
	if err != nil {
		return "", fmt.Errorf("lambdapkg: %w", err)
	}
	path := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return "", fmt.Errorf("lambdapkg: %w", err)
	}
	return path, nil
}

// defaults fills in and checks the options.
func (o *Options) defaults() error {
	if o.GOARCH == "" {
		o.GOARCH = DefaultGOARCH
	}
	if o.GOARCH != "arm64" && o.GOARCH != "amd64" {
		return fmt.Errorf("lambdapkg: GOARCH must be arm64 or amd64 (Lambda's architectures), got %q", o.GOARCH)
	}
	if o.Package == "" {
		o.Package = DefaultPackage
	}
	if !strings.HasPrefix(o.Package, "./") {
		return fmt.Errorf("lambdapkg: package %q must be relative to the module root (./...)", o.Package)
	}
	if o.Go == "" {
		o.Go = "go"
	}
	if o.ModuleRoot == "" {
		wd, err := os.Getwd()
		if err != nil {
			return fmt.Errorf("lambdapkg: %w", err)
		}
		root, err := FindModuleRoot(wd)
		if err != nil {
			return err
		}
		o.ModuleRoot = root
	} else {
		abs, err := filepath.Abs(o.ModuleRoot)
		if err != nil {
			return fmt.Errorf("lambdapkg: %w", err)
		}
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err != nil {
			return fmt.Errorf("lambdapkg: module root %s: %w", abs, err)
		}
		o.ModuleRoot = abs
	}
	if o.OutDir == "" {
		o.OutDir = DefaultOutDir
	}
	if !filepath.IsAbs(o.OutDir) {
		o.OutDir = filepath.Join(o.ModuleRoot, o.OutDir)
	}
	return nil
}

// FindModuleRoot returns the nearest directory at or above dir whose go.mod declares
// ModulePath. It works from the project root (the Pulumi program) and from any package
// directory (go test), and skips nested modules such as tools.
func FindModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("lambdapkg: %w", err)
	}
	for d := dir; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && modulePath(data) == ModulePath {
			return d, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("lambdapkg: %w", err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("lambdapkg: no go.mod of module %s at or above %s", ModulePath, dir)
		}
		d = parent
	}
}

// modulePath returns the path of go.mod's module directive ("" if there is none).
func modulePath(gomod []byte) string {
	for line := range strings.Lines(string(gomod)) {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`+"`")
		}
	}
	return ""
}

// buildEnv pins everything that changes the binary besides the sources and the toolchain.
func buildEnv(env []string, goarch string) []string {
	pinned := map[string]string{
		"CGO_ENABLED": "0",
		"GOOS":        "linux",
		"GOARCH":      goarch,
		// Instruction-set levels: Go's defaults, whatever the caller's shell says.
		"GOAMD64": "v1",
		"GOARM64": "v8.0",
		// Flags from the environment (GOFLAGS=-race, -cover, ...) would change the binary.
		"GOFLAGS":      "-mod=readonly",
		"GOEXPERIMENT": "",
	}
	out := make([]string, 0, len(env)+len(pinned))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := pinned[k]; !ok {
			out = append(out, kv)
		}
	}
	for k, v := range pinned {
		out = append(out, k+"="+v)
	}
	return out
}

// Zip returns a zip holding binary as EntryName, byte for byte the same for the same binary:
// fixed time, mode 0755 from a Unix creator, no extra fields, no data descriptor, deflate at
// the best level. Go's deflate output is stable for a given Go version.
func Zip(binary []byte) ([]byte, error) {
	var deflated bytes.Buffer
	fw, err := flate.NewWriter(&deflated, flate.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	if _, err := fw.Write(binary); err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	if err := fw.Close(); err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	h := &zip.FileHeader{
		Name:               EntryName,
		Method:             zip.Deflate,
		CRC32:              crc32.ChecksumIEEE(binary),
		CompressedSize64:   uint64(deflated.Len()),
		UncompressedSize64: uint64(len(binary)),
	}
	h.SetMode(0o755)             // also marks the creator as Unix (3) so the mode is kept
	h.CreatorVersion = 3<<8 | 20 // Unix, zip spec 2.0
	h.ReaderVersion = 20
	// CreateRaw writes only these MS-DOS fields; it ignores Modified (which CreateHeader
	// would also turn into an extra field, changing the bytes).
	h.ModifiedDate, h.ModifiedTime = dosDateTime(modTime) //nolint:staticcheck // see above
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	w, err := zw.CreateRaw(h)
	if err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	if _, err := io.Copy(w, &deflated); err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("lambdapkg: %w", err)
	}
	return out.Bytes(), nil
}

// dosDateTime encodes t in the MS-DOS format of zip headers (two-second resolution).
func dosDateTime(t time.Time) (date, tm uint16) {
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

// writeAtomic writes data to a file in dir and renames it to path, replacing it in one step.
func writeAtomic(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, ".zip-")
	if err != nil {
		return fmt.Errorf("lambdapkg: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp) // best effort: it is in Build's temporary directory, removed too
		return fmt.Errorf("lambdapkg: write %s: %w", path, werr)
	}
	return nil
}
