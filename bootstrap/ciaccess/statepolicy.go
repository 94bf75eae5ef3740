package ciaccess

import (
	"fmt"

	"github.com/streamlake/streamlake/iampolicy"
)

// StateObjects are the keys of one stack's state in Pulumi's DIY (S3) backend with
// project-scoped stacks (.pulumi/meta.yaml version 1, pkg/backend/diy):
//   - .pulumi/stacks/<project>/<stack>.json, with .bak, .gz and .zst variants, and
//     <stack>.pulumi-tags;
//   - .pulumi/history/<project>/<stack>/..., .pulumi/backups/<project>/<stack>/... and
//     .pulumi/journal/<project>/<stack>/...;
//   - .pulumi/locks/organization/<project>/<stack>/<lock id>.json.
//
// Patterns, relative to the bucket.
func StateObjects(project, stack string) []string {
	return []string{
		fmt.Sprintf(".pulumi/stacks/%s/%s.json*", project, stack),
		fmt.Sprintf(".pulumi/stacks/%s/%s.pulumi-tags", project, stack),
		fmt.Sprintf(".pulumi/history/%s/%s/*", project, stack),
		fmt.Sprintf(".pulumi/backups/%s/%s/*", project, stack),
		fmt.Sprintf(".pulumi/journal/%s/%s/*", project, stack),
		fmt.Sprintf(".pulumi/locks/organization/%s/%s/*", project, stack),
	}
}

// MetaObject is the backend's layout marker; the bootstrap writes it, the roles only read it.
const MetaObject = ".pulumi/meta.yaml"

// MetaContent is meta.yaml for project-scoped stacks. Written by the bootstrap, so the first CI
// run never has to create it (and the roles need no write outside their stack).
const MetaContent = "version: 1\n"

// statePolicy is what both roles of a stack need of the backend: read and write its own state
// objects, read meta.yaml, list the bucket, and use the state key (through S3, for these
// objects only) and the stack's secrets key.
func statePolicy(t Target) Policy {
	var objects []string
	for _, o := range StateObjects(t.Project, t.Stack) {
		objects = append(objects, t.s3ARN(t.StateBucket+"/"+o))
	}
	meta := t.s3ARN(t.StateBucket + "/" + MetaObject)
	return Policy{Name: "state", Document: iampolicy.New(
		// Key names only; unconditioned because S3 answers a HEAD of a missing key with 403
		// instead of 404 without ListBucket, and Pulumi tells "no stack yet" by that 404.
		// Pulumi also lists .pulumi/stacks/ to find stacks.
		iampolicy.Allow("ListStateKeys", []string{"s3:ListBucket"}, t.s3ARN(t.StateBucket)),
		iampolicy.Allow("ReadLayout", []string{"s3:GetObject"}, meta),
		iampolicy.Allow("ReadWriteOwnState", []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, objects...),
		// No S3 Bucket Key on the state bucket, so each object's encryption context is its own
		// ARN and the key is usable for this stack's objects only.
		iampolicy.Allow("StateKeyForOwnState", []string{"kms:Decrypt", "kms:GenerateDataKey"}, t.StateKeyARN).
			When("StringEquals", "kms:ViaService", fmt.Sprintf("s3.%s.amazonaws.com", t.StateRegion)).
			When("StringLike", "kms:EncryptionContext:aws:s3:arn", append(objects, meta)...),
		// Pulumi's awskms secrets provider wraps the stack's data key with Encrypt when a stack
		// is created (the preview's upsert too) and unwraps it with Decrypt on every run.
		iampolicy.Allow("StackSecrets", []string{"kms:Encrypt", "kms:Decrypt"}, t.SecretsKeyARN),
	)}
}
