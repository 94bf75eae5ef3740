package lambdapkg

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/base64"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBuildReproducible builds the transform Lambda for arm64 twice into different
// directories: the zips must be byte-identical, hold only an executable bootstrap for
// linux/arm64, and report their hash the way Lambda's sourceCodeHash expects.
func TestBuildReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Lambda")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	a, err := Build(ctx, Options{OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(ctx, Options{OutDir: t.TempDir(), GOARCH: "arm64", Package: DefaultPackage})
	if err != nil {
		t.Fatal(err)
	}
	za, _ := os.ReadFile(a.Path)
	zb, _ := os.ReadFile(b.Path)
	if !bytes.Equal(za, zb) || a.SHA256 != b.SHA256 || a.Size != b.Size {
		t.Fatalf("two builds differ: %s %s (%d) vs %s %s (%d)", a.Path, a.SHA256, a.Size, b.Path, b.SHA256, b.Size)
	}
	sum := sha256.Sum256(za)
	if a.SHA256 != base64.StdEncoding.EncodeToString(sum[:]) || a.Size != int64(len(za)) {
		t.Fatalf("hash or size do not describe the file")
	}
	if filepath.Base(a.Path) != "transform_linux_arm64.zip" || !filepath.IsAbs(a.Path) {
		t.Fatalf("path %s", a.Path)
	}
	t.Logf("%s: %d bytes, sha256 %s", filepath.Base(a.Path), a.Size, a.SHA256)

	bin := checkZip(t, za)
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Fatalf("binary is %v %v, want an AArch64 executable", f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("binary is dynamically linked")
		}
	}
	if f.Section(".symtab") != nil {
		t.Fatal("binary has a symbol table (-s missing)")
	}
	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// -ldflags is not recorded with -trimpath; -s shows as the missing symbol table above and
	// -buildid= as an empty build id note below.
	for k, want := range map[string]string{"-trimpath": "true", "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm64", "-tags": "lambda.norpc", "GOARM64": "v8.0"} {
		if settings[k] != want {
			t.Errorf("build setting %s=%q, want %q", k, settings[k], want)
		}
	}
	for k := range settings {
		if strings.HasPrefix(k, "vcs") {
			t.Errorf("VCS stamp %s in the binary", k)
		}
	}
	if note := f.Section(".note.go.buildid"); note != nil {
		data, err := note.Data()
		// namesz, descsz, type, "Go\x00\x00", desc: the id is the desc.
		if err != nil || len(data) < 16 || f.ByteOrder.Uint32(data[4:8]) != 0 {
			t.Errorf("build id note %q is not empty", data)
		}
	}
	if info.Path != ModulePath+"/lambda/transform" {
		t.Errorf("main package %s", info.Path)
	}
	if root, _ := FindModuleRoot("."); bytes.Contains(bin, []byte(root)) {
		t.Errorf("binary contains the build directory %s (-trimpath missing)", root)
	}
}

// checkZip asserts the archive's single entry and returns its content.
func checkZip(t *testing.T, z []byte) []byte {
	t.Helper()
	r, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.File) != 1 {
		t.Fatalf("%d entries, want 1", len(r.File))
	}
	e := r.File[0]
	if e.Name != EntryName || e.Method != zip.Deflate || e.Mode() != 0o755 || e.CreatorVersion>>8 != 3 || e.Flags != 0 || len(e.Extra) != 0 {
		t.Fatalf("entry %s method %d mode %v creator %d flags %x extra %d", e.Name, e.Method, e.Mode(), e.CreatorVersion>>8, e.Flags, len(e.Extra))
	}
	if !e.Modified.Equal(modTime) {
		t.Fatalf("modified %v, want %v", e.Modified, modTime)
	}
	rc, err := e.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }() // read-only
	bin, err := io.ReadAll(rc)        // checks the CRC too
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestZipDeterministic(t *testing.T) {
	bin := bytes.Repeat([]byte("\x7fELF not really"), 1000)
	a, err := Zip(bin)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Zip(bin)
	if !bytes.Equal(a, b) {
		t.Fatal("same input, different zips")
	}
	if got := checkZip(t, a); !bytes.Equal(got, bin) {
		t.Fatal("round trip changed the content")
	}
}

func TestFindModuleRoot(t *testing.T) {
	root, err := FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "lambda", "transform", "main.go")); err != nil {
		t.Fatalf("root %s: %v", root, err)
	}
	// From a nested module, the walk continues to ours.
	nested := t.TempDir()
	dir := filepath.Join(nested, "a", "b")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, gomod := range map[string]string{
		filepath.Join(nested, "go.mod"):      "module " + ModulePath + "\n\ngo 1.26\n",
		filepath.Join(nested, "a", "go.mod"): "module example.com/other\n",
	} {
		if err := os.WriteFile(path, []byte(gomod), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := FindModuleRoot(dir); err != nil || got != nested {
		t.Fatalf("got %s %v, want %s", got, err, nested)
	}
	if _, err := FindModuleRoot(t.TempDir()); err == nil {
		t.Fatal("found a module root where there is none")
	}
	if got := modulePath([]byte("// c\nmodule \"" + ModulePath + "\" // x\n")); got != ModulePath {
		t.Fatalf("modulePath %q", got)
	}
}

func TestOptionsErrors(t *testing.T) {
	ctx := context.Background()
	for _, o := range []Options{
		{GOARCH: "386"},
		{Package: "lambda/transform"},
		{ModuleRoot: t.TempDir()},
	} {
		if _, err := Build(ctx, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	_, err := Build(ctx, Options{Package: "./does/not/exist", OutDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "go build") {
		t.Fatalf("a missing package: %v", err)
	}
}

// TestReplaceEmbedsAnotherFile: Replace swaps a module file for one build, embedded files
// included, which is how the program builds the Lambda for a schema other than events.yaml.
func TestReplaceEmbedsAnotherFile(t *testing.T) {
	if runtime.GOOS != "linux" || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skip("runs the built binary")
	}
	root := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":       "module example.com/embed\n\ngo 1.22\n",
		"cmd/main.go":  "package main\n\nimport (\n\t_ \"embed\"\n\t\"fmt\"\n)\n\n//go:embed data.txt\nvar data string\n\nfunc main() { fmt.Print(data) }\n",
		"cmd/data.txt": "original",
		"other.txt":    "replaced",
	} {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(replace map[string]string) string {
		t.Helper()
		a, err := Build(context.Background(), Options{ModuleRoot: root, Package: "./cmd", OutDir: t.TempDir(), GOARCH: runtime.GOARCH, Replace: replace})
		if err != nil {
			t.Fatal(err)
		}
		z, _ := os.ReadFile(a.Path)
		bin := filepath.Join(t.TempDir(), EntryName)
		if err := os.WriteFile(bin, checkZip(t, z), 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin).Output()
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if got := run(nil); got != "original" {
		t.Errorf("plain build embeds %q", got)
	}
	if got := run(map[string]string{"cmd/data.txt": filepath.Join(root, "other.txt")}); got != "replaced" {
		t.Errorf("build with Replace embeds %q", got)
	}
	for _, bad := range []map[string]string{{"../data.txt": filepath.Join(root, "other.txt")}, {"cmd/data.txt": filepath.Join(root, "missing.txt")}} {
		if _, err := Build(context.Background(), Options{ModuleRoot: root, Package: "./cmd", OutDir: t.TempDir(), GOARCH: runtime.GOARCH, Replace: bad}); err == nil {
			t.Errorf("Replace %v accepted", bad)
		}
	}
}
