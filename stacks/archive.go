package stacks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/streamlake/streamlake/lambdapkg"
	"github.com/streamlake/streamlake/schema"
)

// TransformPackage is the Go package of the transform Lambda.
const TransformPackage = "./lambda/transform"

// archives holds the builds of this process, one per schema.
var archives = struct {
	sync.Mutex
	byKey map[string]*archiveBuild
}{byKey: map[string]*archiveBuild{}}

type archiveBuild struct {
	once    sync.Once
	archive *lambdapkg.Archive
	err     error
}

// transformArchive builds the transform Lambda's zip once per process and schema. The Lambda
// validates against the schema its binary embeds, so a schema other than schema/events.yaml
// (a test's, or later a dataset's) is compiled in its place: the table, the models and the
// Lambda always agree, and the archive's hash changes exactly when the schema does. The build
// is reproducible (fixed flags, timestamps and modes), so an unchanged source gives the same
// bytes and hash, and a second `pulumi up` shows no diff.
func transformArchive(s *schema.Schema) (*lambdapkg.Archive, error) {
	src, err := s.YAML()
	if err != nil {
		return nil, err
	}
	embedded, err := schema.Default().YAML()
	if err != nil {
		return nil, err
	}
	key := ""
	if !bytes.Equal(src, embedded) {
		sum := sha256.Sum256(src)
		key = hex.EncodeToString(sum[:8])
	}
	archives.Lock()
	b, ok := archives.byKey[key]
	if !ok {
		b = &archiveBuild{}
		archives.byKey[key] = b
	}
	archives.Unlock()
	b.once.Do(func() { b.archive, b.err = buildArchive(key, src) })
	if b.err != nil {
		return nil, fmt.Errorf("build the transform Lambda (Go toolchain needed at preview): %w", b.err)
	}
	return b.archive, nil
}

// buildArchive builds the Lambda; with a key, for the schema src, into its own directory so
// that builds for different schemas never overwrite each other's zip.
func buildArchive(key string, src []byte) (*lambdapkg.Archive, error) {
	o := lambdapkg.Options{Package: TransformPackage}
	if key != "" {
		root, err := lambdapkg.FindModuleRoot(".")
		if err != nil {
			return nil, err
		}
		o.OutDir = filepath.Join(root, lambdapkg.DefaultOutDir, "schema-"+key)
		if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
			return nil, err
		}
		// Written aside and renamed: another process may be compiling the same file.
		file := filepath.Join(o.OutDir, "events.yaml")
		tmp, err := os.CreateTemp(o.OutDir, ".events-")
		if err != nil {
			return nil, err
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
			return nil, werr
		}
		o.Replace = map[string]string{schema.EmbeddedFile: file}
	}
	return lambdapkg.Build(context.Background(), o)
}
