package firehosecheck

import (
	"os/exec"
	"strings"
	"testing"
)

// heavy are packages the transform's test binary must not link: the AWS SDK, the in-process
// S3 stand-in and the stand-in harness (internal/testenv) that pulls them in. Linked, they
// add to every transform benchmark's live heap and GC time.
var heavy = []string{"github.com/aws/aws-sdk-go-v2", "github.com/johannesboyne/gofakes3", "github.com/streamlake/streamlake/internal/testenv"}

// The checker and the tests that use it link none of the heavy packages.
func TestTransformTestsLinkNoAWSSDK(t *testing.T) {
	for _, pkg := range []string{".", "github.com/streamlake/streamlake/transform", "github.com/streamlake/streamlake/lambda/transform"} {
		out, err := exec.Command("go", "list", "-deps", "-test", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps -test %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 20 {
			t.Fatalf("go list -deps -test %s listed %d packages: %v", pkg, len(deps), deps)
		}
		for _, d := range deps {
			for _, h := range heavy {
				if d == h || strings.HasPrefix(d, h+"/") && !strings.HasPrefix(d, h+"/firehosecheck") {
					t.Errorf("the tests of %s link %s", pkg, d)
				}
			}
		}
	}
}
