package stacks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/streamlake/streamlake/lambdapkg"
	"github.com/streamlake/streamlake/schema"
)

// TransformPackage is the Go package of the transform Lambda.
const TransformPackage = "./lambda/transform"

// archives holds the builds of this process, one per set of dataset files.
var archives = struct {
	sync.Mutex
	byKey map[string]*archiveBuild
}{byKey: map[string]*archiveBuild{}}

type archiveBuild struct {
	once    sync.Once
	archive *lambdapkg.Archive
	err     error
}

// transformArchive builds the transform Lambda's zip once per process and set of dataset
// files. One build serves every dataset (each function is told its dataset by its
// environment), and its binary embeds every dataset's file: a dataset whose file is not the
// one built into this program (a test's schema, the example dataset) is compiled in at its
// place, so the tables, the models and the Lambda always agree, and the archive's hash changes
// exactly when a file does. The build is reproducible (fixed flags, timestamps and modes), so
// an unchanged source gives the same bytes and hash, and a second `pulumi up` shows no diff.
func transformArchive(ds []schema.Dataset) (*lambdapkg.Archive, error) {
	files, err := overlayFiles(ds)
	if err != nil {
		return nil, err
	}
	key := ""
	if len(files) > 0 {
		h := sha256.New()
		for _, p := range slices.Sorted(maps.Keys(files)) {
			_, _ = fmt.Fprintf(h, "%s\x00%d\x00", p, len(files[p])) // a hash never fails to write
			h.Write(files[p])
		}
		key = hex.EncodeToString(h.Sum(nil)[:8])
	}
	archives.Lock()
	b, ok := archives.byKey[key]
	if !ok {
		b = &archiveBuild{}
		archives.byKey[key] = b
	}
	archives.Unlock()
	b.once.Do(func() { b.archive, b.err = buildArchive(key, files) })
	if b.err != nil {
		return nil, fmt.Errorf("build the transform Lambda (Go toolchain needed at preview): %w", b.err)
	}
	return b.archive, nil
}

// overlayFiles are the dataset files the build must compile in, by module path: the default's
// schema where it is not events.yaml's, and every other dataset's file that is not built in.
func overlayFiles(ds []schema.Dataset) (map[string][]byte, error) {
	builtin, err := schema.Datasets()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, d := range ds {
		if d.IsDefault() {
			src, err := d.Schema.YAML()
			if err != nil {
				return nil, err
			}
			embedded, err := builtin[0].Schema.YAML()
			if err != nil {
				return nil, err
			}
			if !bytes.Equal(src, embedded) {
				files[schema.EmbeddedFile] = src
			}
			continue
		}
		if b, ok := schema.FindDataset(builtin, d.Name); !ok || b.File != d.File || !bytes.Equal(b.Source, d.Source) {
			files[d.File] = d.Source
		}
	}
	return files, nil
}

// buildArchive builds the Lambda; with a key, with files in place of the module's, into its
// own directory so that builds for different files never overwrite each other's zip.
func buildArchive(key string, files map[string][]byte) (*lambdapkg.Archive, error) {
	o := lambdapkg.Options{Package: TransformPackage}
	if key == "" {
		return lambdapkg.Build(context.Background(), o)
	}
	root, err := lambdapkg.FindModuleRoot(".")
	if err != nil {
		return nil, err
	}
	o.OutDir = filepath.Join(root, lambdapkg.DefaultOutDir, "schema-"+key)
	o.Replace = map[string]string{}
	for rel, src := range files {
		file := filepath.Join(o.OutDir, "files", filepath.FromSlash(rel))
		if err := writeAside(file, src); err != nil {
			return nil, err
		}
		o.Replace[filepath.FromSlash(rel)] = file
	}
	return lambdapkg.Build(context.Background(), o)
}

// writeAside writes a file through a temporary file and a rename: another process may be
// compiling the same file.
func writeAside(file string, src []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".file-")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(src)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), file)
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
	}
	return werr
}
