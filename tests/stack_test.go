package tests

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/stacktest"
)

// TestEveryResourceHasAComponentParent: adding a parent later would replace resources, so
// every custom resource must belong to a streamlake component from the start.
func TestEveryResourceHasAComponentParent(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		for _, r := range res.Resources {
			if !r.Custom {
				if !strings.HasPrefix(r.Type, "streamlake:components:") {
					t.Errorf("%s: unexpected component type %s", stack, r.Type)
				}
				continue
			}
			p := r
			for p != nil && p.Custom {
				p = res.ByURN(p.Parent)
			}
			if p == nil || !strings.HasPrefix(p.Type, "streamlake:components:") {
				t.Errorf("%s: %s is not inside a component (parent %s)", stack, r, r.Parent)
			}
		}
	}
}

// physicalNames returns the names a stack chooses itself (not auto-named).
func physicalNames(res *stacktest.Result) map[string]string {
	out := map[string]string{}
	for _, r := range res.Resources {
		for _, k := range []string{"name", "bucket", "dashboardName"} {
			if k == "bucket" && r.Type != tBucket {
				continue // other S3 resources refer to the bucket by name
			}
			if v := r.Str(k); v != "" && r.Custom {
				switch r.Type {
				// Names scoped inside a parent resource, not account-wide.
				case tModel, tValidator, tTable, "aws:cloudwatch/logStream:LogStream", tNamedQuery:
					continue
				}
				out[r.Type+" "+v] = r.Name
			}
		}
	}
	return out
}

// TestDevAndProdCanShareAnAccount: no physical name is used by both stacks.
func TestDevAndProdCanShareAnAccount(t *testing.T) {
	dev, prod := physicalNames(run(t, "dev", nil)), physicalNames(run(t, "prod", nil))
	if len(dev) == 0 {
		t.Fatal("no physical names found: the test would prove nothing")
	}
	for k := range dev {
		if _, clash := prod[k]; clash {
			t.Errorf("dev and prod both name a %s", k)
		}
	}
}

func TestLogicalNamesAreUnique(t *testing.T) {
	res := run(t, "prod", nil)
	seen := map[string]bool{}
	for _, r := range res.Resources {
		if seen[r.URN] {
			t.Errorf("duplicate URN %s", r.URN)
		}
		seen[r.URN] = true
	}
}

// TestShardCountChangesOnlyTheStream: ops tune shardCount; nothing but the stream may move.
func TestShardCountChangesOnlyTheStream(t *testing.T) {
	from := fileShards(t, "prod")
	to := from * 2
	a := run(t, "prod", nil)
	b := run(t, "prod", map[string]string{"shardCount": fmt.Sprint(to)})
	if len(a.Resources) != len(b.Resources) {
		t.Fatalf("resource count changed: %d -> %d", len(a.Resources), len(b.Resources))
	}
	var changed []string
	for i, ra := range a.Resources {
		rb := b.Resources[i]
		if ra.URN != rb.URN {
			t.Fatalf("resource set changed: %s vs %s", ra.URN, rb.URN)
		}
		if !reflect.DeepEqual(ra.Inputs, rb.Inputs) {
			changed = append(changed, ra.Type+" "+ra.Name)
		}
	}
	sort.Strings(changed)
	want := []string{tStream + " stream-stream"}
	if !reflect.DeepEqual(changed, want) {
		t.Errorf("shardCount %d -> %d changed %v, want only %v", from, to, changed, want)
	}
	if got := one(t, b, tStream).Num("shardCount"); got != float64(to) {
		t.Errorf("shardCount %v", got)
	}
}

// TestShardStepIsCheckedAgainstTheLiveStream: a change AWS would reject in one
// UpdateShardCount call fails the preview with the allowed range and the next safe step.
func TestShardStepIsCheckedAgainstTheLiveStream(t *testing.T) {
	tests := []struct {
		live, target int
		want         string
	}{
		{4, 8, ""},
		{4, 2, ""},
		{4, 4, ""},
		{0, 64, ""}, // first deploy: no live stream
		{4, 9, "from 4 the allowed range is 2..8; set shardCount to 8, deploy, then continue (path 4 -> 8 -> 9,"},
		{4, 1, "from 4 the allowed range is 2..8; set shardCount to 2, deploy, then continue (path 4 -> 2 -> 1,"},
		{2, 64, "set shardCount to 4"},
	}
	for _, tt := range tests {
		_, err := stacktest.Run(stacktest.Options{Stack: "prod", LiveShards: tt.live, Config: map[string]string{"shardCount": fmt.Sprint(tt.target)}})
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%d -> %d: %v", tt.live, tt.target, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%d -> %d: got %v, want %q", tt.live, tt.target, err, tt.want)
		}
	}
	// Ops can turn the check off, e.g. for a stack whose credentials cannot read the stream.
	if _, err := stacktest.Run(stacktest.Options{Stack: "prod", LiveShards: 4, Config: map[string]string{"shardCount": "16", "checkShardStep": "false"}}); err != nil {
		t.Errorf("checkShardStep=false: %v", err)
	}
}

// TestLiveLookupErrorsAreVisible: only "stream not found" (a first deploy) skips the shard-step
// check silently. Any other lookup error is a warning naming it, or with liveLookupErrors fail
// (as CI previews run) the preview's error.
func TestLiveLookupErrorsAreVisible(t *testing.T) {
	const denied = "invocation of aws:kinesis/getStream:getStream returned an error: invoking aws:kinesis/getStream:getStream: 1 error occurred:\n" +
		"\t* reading Kinesis Stream (streamlake-prod-events): operation error Kinesis: DescribeStreamSummary, https response error StatusCode: 400, " +
		"api error AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/preview/ci is not authorized to perform: kinesis:DescribeStreamSummary"
	// Not found: nothing to check, nothing to say.
	res, err := stacktest.Run(stacktest.Options{Stack: "prod", Config: map[string]string{"shardCount": "64"}})
	if err != nil || len(res.Warnings) != 0 {
		t.Errorf("stream not found: err %v, warnings %q", err, res.Warnings)
	}
	// AccessDenied: a warning with the error text; the deploy may go on.
	res, err = stacktest.Run(stacktest.Options{Stack: "prod", LookupError: denied, Config: map[string]string{"shardCount": "64"}})
	if err != nil {
		t.Fatalf("AccessDenied with liveLookupErrors warn: %v", err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/preview/ci") ||
		!strings.Contains(res.Warnings[0], "shard-step check is skipped") || !strings.Contains(res.Warnings[0], "liveLookupErrors") {
		t.Errorf("AccessDenied: warnings %q, want one naming the error, the skipped check and liveLookupErrors", res.Warnings)
	}
	// With fail: the preview stops, naming the error.
	_, err = stacktest.Run(stacktest.Options{Stack: "prod", LookupError: denied, Config: map[string]string{"shardCount": "8", "liveLookupErrors": "fail"}})
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "liveLookupErrors is fail") {
		t.Errorf("AccessDenied with liveLookupErrors fail: got %v", err)
	}
	// Not found stays silent with fail too: a first deploy is not an error.
	if _, err := stacktest.Run(stacktest.Options{Stack: "prod", Config: map[string]string{"liveLookupErrors": "fail"}}); err != nil {
		t.Errorf("stream not found with liveLookupErrors fail: %v", err)
	}
}

// taggable lists the resource types AWS lets us tag; each must carry the stack tags.
var taggable = []string{tFirehose, tFunction, tTopic, tAlarm, tEventRule, tBucket, tStream, tKey, tDatabase, tCrawler, tWorkgroup, tRestAPI, tStage, tUsagePlan, "aws:apigateway/apiKey:ApiKey", tRole, tLogGroup}

func TestEveryTaggableResourceIsTagged(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		want := map[string]string{"project": "streamlake", "stack": stack, "environment": stack, "cost-center": "learning-analytics", "managed-by": "pulumi"}
		n := 0
		for _, r := range res.Resources {
			tags := r.StrMap("tags")
			isTaggable := false
			for _, typ := range taggable {
				isTaggable = isTaggable || r.Type == typ
			}
			if r.In("tags") == nil && !isTaggable {
				continue
			}
			n++
			for k, v := range want {
				if tags[k] != v {
					t.Errorf("%s: %s tag %s=%q, want %q", stack, r, k, tags[k], v)
				}
			}
		}
		if n < 30 {
			t.Errorf("%s: only %d tagged resources", stack, n)
		}
	}
}
