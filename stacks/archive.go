package stacks

import (
	"context"
	"fmt"
	"sync"

	"github.com/streamlake/streamlake/lambdapkg"
)

// TransformPackage is the Go package of the transform Lambda.
const TransformPackage = "./lambda/transform"

var (
	archiveOnce sync.Once
	archive     *lambdapkg.Archive
	archiveErr  error
)

// transformArchive builds the transform Lambda's zip once per process. The build is
// reproducible (fixed flags, timestamps and modes), so an unchanged source gives the same
// bytes and hash, and a second `pulumi up` shows no diff.
func transformArchive() (*lambdapkg.Archive, error) {
	archiveOnce.Do(func() {
		archive, archiveErr = lambdapkg.Build(context.Background(), lambdapkg.Options{Package: TransformPackage})
	})
	if archiveErr != nil {
		return nil, fmt.Errorf("build the transform Lambda (Go toolchain needed at preview): %w", archiveErr)
	}
	return archive, nil
}
