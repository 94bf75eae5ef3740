package recovery

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/firehoserec"
)

var testResources = Resources{Bucket: bucket, StreamArn: "arn:aws:kinesis:us-east-1:123456789012:stream/redrive-target",
	KeyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", Region: "us-east-1"}

// Each command's S3 and Kinesis calls, made against the stand-ins, are allowed by its
// operator policy, every statement of which is used; --dry-run needs no Write or Send
// statement.
func TestOperatorPolicyCoversCalls(t *testing.T) {
	now := day.Add(6 * time.Hour)
	e := newEnv(t, now.Add(-time.Hour)).withStream()
	e.put(errorKey(t, firehoserec.ProcessingFailed, day, "a"), errorObject(t, firehoserec.ProcessingFailed, "c", "m", day, event("a-1", "u")))
	e.put(rawKey(t, day, "r"), gz(t, event("r-1", "u")))
	ctx := context.Background()
	e.clock.Advance(time.Hour)
	run := func(kind Kind, sel Selection, dry bool) {
		job := Job{Lake: e.lake, Kind: kind, Prefixes: sel.Prefixes, Objects: sel.Objects, Fields: fields, Stream: e.stream, Options: quickRetry()}
		if !dry {
			job.Putter = e.putter(e.kinURL)
		}
		if _, err := Run(ctx, job); err != nil {
			t.Fatal(err)
		}
	}
	calls := map[string][]call{}
	for _, c := range []struct {
		cmd string
		dry bool
		do  func()
	}{
		{CmdRedrive, true, func() { sel, _ := e.lake.SelectPrefix(ctx, "errors/processing-failed/"); run(ErrorRecords, sel, true) }},
		{CmdRedrive, false, func() {
			sel, _ := e.lake.SelectPrefix(ctx, "errors/processing-failed/")
			run(ErrorRecords, sel, false)
			run(ErrorRecords, sel, false) // reads the markers
		}},
		{CmdErrors, false, func() {
			if _, err := e.lake.Errors(ctx, ErrorsOptions{Since: now.Add(-24 * time.Hour), Now: now, Fields: fields}); err != nil {
				t.Fatal(err)
			}
		}},
		{CmdReplay, true, func() { sel, _ := e.lake.SelectRaw(ctx, day, day.Add(time.Hour)); run(RawRecords, sel, true) }},
		{CmdReplay, false, func() {
			sel, _ := e.lake.SelectRaw(ctx, day, day.Add(time.Hour))
			run(RawRecords, sel, false)
			run(RawRecords, sel, false)
		}},
	} {
		e.calls.take()
		c.do()
		made := e.calls.take()
		doc, err := OperatorPolicy(c.cmd, testResources, stackPrefixes)
		if err != nil {
			t.Fatal(err)
		}
		if c.dry {
			doc.Statement = slices.DeleteFunc(doc.Statement, func(s iampolicy.Statement) bool {
				return strings.Contains(s.Sid, "Write") || strings.Contains(s.Sid, "Send")
			})
		}
		for _, cl := range made {
			if !allowed(doc, cl) {
				t.Errorf("%s (dry run %v): %s %q is not allowed by its policy", c.cmd, c.dry, cl.action, cl.resource)
			}
		}
		if !c.dry {
			calls[c.cmd] = made
		}
	}
	for cmd, made := range calls {
		doc, _ := OperatorPolicy(cmd, testResources, stackPrefixes)
		checkUsed(t, cmd, doc, made)
	}
	if _, err := OperatorPolicy("status", testResources, stackPrefixes); err == nil {
		t.Error("an unknown command must fail")
	}
}

// checkUsed: every S3 and Kinesis statement's every resource (or prefix) is used by a call,
// and the KMS statements go through exactly the services the calls use.
func checkUsed(t *testing.T, cmd string, doc iampolicy.Document, made []call) {
	t.Helper()
	services := map[string]bool{}
	for _, c := range made {
		services[strings.Split(c.action, ":")[0]] = true
	}
	for _, st := range doc.Statement {
		if st.Action[0] == "kms:Decrypt" || st.Action[0] == "kms:GenerateDataKey" {
			via := st.Condition["StringEquals"]["kms:ViaService"][0]
			if !services[strings.Split(via, ".")[0]] || st.Resource[0] != testResources.KeyArn {
				t.Errorf("%s: %s via %s, but the command calls %v", cmd, st.Action[0], via, services)
			}
			continue
		}
		patterns := st.Resource
		if prefixes := st.Condition["StringLike"]["s3:prefix"]; len(prefixes) > 0 {
			patterns = prefixes
		}
		for _, p := range patterns {
			if !slices.ContainsFunc(made, func(c call) bool {
				return c.action == st.Action[0] && allowed(iampolicy.New(st), c) && usesPattern(st, p, c)
			}) {
				t.Errorf("%s: statement %s allows %s on %s, which no call needed", cmd, st.Sid, st.Action[0], p)
			}
		}
	}
}

func usesPattern(st iampolicy.Statement, pattern string, c call) bool {
	if len(st.Condition["StringLike"]["s3:prefix"]) > 0 {
		return glob(pattern, c.resource)
	}
	return glob(pattern, resourceArn(c))
}

// allowed evaluates a call against the Allow statements of doc: the action, the resource
// and, for listings, the s3:prefix condition.
func allowed(doc iampolicy.Document, c call) bool {
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || !slices.Contains(st.Action, c.action) {
			continue
		}
		if !slices.ContainsFunc(st.Resource, func(p string) bool { return glob(p, resourceArn(c)) }) {
			continue
		}
		if prefixes, ok := st.Condition["StringLike"]["s3:prefix"]; ok {
			if !slices.ContainsFunc(prefixes, func(p string) bool { return glob(p, c.resource) }) {
				continue
			}
		}
		return true
	}
	return false
}

func resourceArn(c call) string {
	switch c.action {
	case "s3:ListBucket":
		return "arn:aws:s3:::" + bucket
	case "kinesis:PutRecords":
		return testResources.StreamArn
	}
	return "arn:aws:s3:::" + bucket + "/" + c.resource
}

// glob matches IAM's wildcards: * any run of characters, ? one.
func glob(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// TestOperatorPolicyInTheStacksPartition: the lake bucket's ARN is in the stream's partition,
// so the policy holds in aws-cn and aws-us-gov too.
func TestOperatorPolicyInTheStacksPartition(t *testing.T) {
	r := testResources
	r.StreamArn = "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/s"
	doc, err := OperatorPolicy(CmdRedrive, r, stackPrefixes)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.Allows("s3:GetObject", "arn:aws-cn:s3:::"+r.Bucket+"/errors/processing-failed/x", nil) ||
		doc.Allows("s3:GetObject", "arn:aws:s3:::"+r.Bucket+"/errors/processing-failed/x", nil) {
		t.Errorf("redrive's policy reads the bucket outside the stream's partition aws-cn:\n%+v", doc)
	}
}
