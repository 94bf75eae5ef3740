package ciaccess

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/internal/s3bucket"
)

// typePrefix is the package and module of every bootstrap component type token.
const typePrefix = "streamlake-bootstrap:ciaccess:"

// NoncurrentStateDays is how long overwritten or deleted state versions are kept: a bad
// update or a deleted stack can be restored from a version within this window.
const NoncurrentStateDays = 90

// StateBackendArgs configures the Pulumi state bucket.
type StateBackendArgs struct {
	Region string
	// KeyAlias names the bucket's KMS key (alias/...).
	KeyAlias string
	Tags     map[string]string
}

// Validate checks the args.
func (a *StateBackendArgs) Validate() error {
	if a.Region == "" || len(a.KeyAlias) < len("alias/x") || a.KeyAlias[:6] != "alias/" {
		return fmt.Errorf("state backend: Region and KeyAlias (alias/...) are required, got %q and %q", a.Region, a.KeyAlias)
	}
	return nil
}

// StateBackend is the S3 bucket that holds the app stacks' Pulumi state: versioned, encrypted
// with its own KMS key (rotation on), TLS only, public access blocked, ACLs off. The bucket
// and key are protected and kept if removed from the program: losing them loses every stack.
type StateBackend struct {
	pulumi.ResourceState
	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	KeyArn     pulumi.StringOutput `pulumi:"keyArn"`
	// URL is the backend URL for `pulumi login` (s3://<bucket>?region=<region>).
	URL pulumi.StringOutput `pulumi:"url"`
}

// NewStateBackend creates the key, the bucket, its settings and the backend's meta.yaml.
func NewStateBackend(ctx *pulumi.Context, name string, args *StateBackendArgs, opts ...pulumi.ResourceOption) (*StateBackend, error) {
	if args == nil {
		return nil, fmt.Errorf("state backend %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &StateBackend{}
	if err := ctx.RegisterComponentResource(typePrefix+"StateBackend", name, c, opts...); err != nil {
		return nil, err
	}
	keep := []pulumi.ResourceOption{pulumi.Parent(c), pulumi.Protect(true), pulumi.RetainOnDelete(true)}
	key, err := newKey(ctx, name+"-key", "Pulumi state bucket of streamlake CI", args.KeyAlias, args.Tags, keep...)
	if err != nil {
		return nil, fmt.Errorf("state backend %s: %w", name, err)
	}
	bucket, err := s3.NewBucketV2(ctx, name+"-bucket", &s3.BucketV2Args{Tags: pulumi.ToStringMap(args.Tags)}, keep...)
	if err != nil {
		return nil, fmt.Errorf("state backend %s bucket: %w", name, err)
	}
	last, err := bucketSettings(ctx, name, bucket, key.Arn, pulumi.Parent(c))
	if err != nil {
		return nil, fmt.Errorf("state backend %s: %w", name, err)
	}
	// Written once here, so CI roles only read it and the first run finds a project-scoped layout.
	if _, err := s3.NewBucketObjectv2(ctx, name+"-layout", &s3.BucketObjectv2Args{
		Bucket:      bucket.ID(),
		Key:         pulumi.String(MetaObject),
		Content:     pulumi.String(MetaContent),
		ContentType: pulumi.String("application/yaml"),
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{last})); err != nil {
		return nil, fmt.Errorf("state backend %s meta.yaml: %w", name, err)
	}
	c.BucketName, c.KeyArn = bucket.Bucket, key.Arn
	c.URL = pulumi.Sprintf("s3://%s?region=%s", bucket.Bucket, args.Region)
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"bucketName": c.BucketName, "keyArn": c.KeyArn, "url": c.URL}); err != nil {
		return nil, err
	}
	return c, nil
}

// bucketSettings applies the bucket's settings one after the other and its TLS-only policy
// last, and returns the policy.
func bucketSettings(ctx *pulumi.Context, name string, bucket *s3.BucketV2, keyArn pulumi.StringInput, parent pulumi.ResourceOption) (pulumi.Resource, error) {
	settings, err := s3bucket.Harden(ctx, name, bucket, s3bucket.Settings{
		KeyArn: keyArn,
		// Off on purpose: without a bucket key each object's encryption context is its own
		// ARN, which lets a CI role use the key for its stack's state only. State traffic is
		// a few requests per run, so the extra KMS calls cost nothing noticeable.
		BucketKey:  false,
		Versioning: true,
		Lifecycle: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id: pulumi.String("expire-old-state-versions"), Status: pulumi.String("Enabled"),
			Filter:                         &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			NoncurrentVersionExpiration:    &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(NoncurrentStateDays)},
			AbortIncompleteMultipartUpload: &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(7)},
		}},
	}, parent)
	if err != nil {
		return nil, err
	}
	policy := bucket.Arn.ApplyT(func(arn string) (string, error) { return s3bucket.TLSOnlyPolicy(arn).JSON() }).(pulumi.StringOutput)
	bp, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{Bucket: bucket.ID(), Policy: policy}, parent, pulumi.DependsOn([]pulumi.Resource{settings.Last}))
	if err != nil {
		return nil, fmt.Errorf("bucket policy: %w", err)
	}
	return bp, nil
}
