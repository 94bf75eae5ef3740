// Package s3bucket hardens an S3 bucket the one way both of our buckets need it: the lake
// (components.Lake) and the Pulumi state bucket (bootstrap/ciaccess). ACLs off, public access
// blocked, KMS default encryption, versioning when asked, lifecycle rules, and a bucket policy
// that refuses anything but TLS 1.2 or later.
package s3bucket

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/iampolicy"
)

// Settings are what differs between our buckets.
type Settings struct {
	// KeyArn is the KMS key of the bucket's default encryption.
	KeyArn pulumi.StringInput
	// BucketKey turns on S3 bucket keys (fewer KMS requests; every object then shares the
	// bucket's encryption context).
	BucketKey bool
	// Versioning keeps object versions.
	Versioning bool
	// Lifecycle are the bucket's lifecycle rules (S3 wants at least one).
	Lifecycle s3.BucketLifecycleConfigurationV2RuleArray
}

// Hardened are the settings a bucket policy waits for.
type Hardened struct {
	// PublicAccessBlock: S3 rejects a bucket policy changed at the same time as it.
	PublicAccessBlock pulumi.Resource
	// Last is the last setting applied (the lifecycle configuration).
	Last pulumi.Resource
}

// Harden applies ownership (ACLs off: IAM and the bucket policy alone decide access), the
// public access block, encryption, versioning and lifecycle one after the other: S3 answers
// concurrent configuration changes of one bucket with OperationAborted. Children are named
// name+"-ownership", "-public-access", "-encryption", "-versioning" and "-lifecycle".
func Harden(ctx *pulumi.Context, name string, bucket *s3.BucketV2, s Settings, parent pulumi.ResourceOption) (Hardened, error) {
	after := func(r pulumi.Resource) pulumi.ResourceOption { return pulumi.DependsOn([]pulumi.Resource{r}) }
	ownership, err := s3.NewBucketOwnershipControls(ctx, name+"-ownership", &s3.BucketOwnershipControlsArgs{
		Bucket: bucket.ID(),
		Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
	}, parent)
	if err != nil {
		return Hardened{}, fmt.Errorf("ownership: %w", err)
	}
	pab, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access", &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}, parent, after(ownership))
	if err != nil {
		return Hardened{}, fmt.Errorf("public access block: %w", err)
	}
	sse, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm:   pulumi.String("aws:kms"),
				KmsMasterKeyId: s.KeyArn,
			},
			BucketKeyEnabled: pulumi.Bool(s.BucketKey),
		}},
	}, parent, after(pab))
	if err != nil {
		return Hardened{}, fmt.Errorf("encryption: %w", err)
	}
	var last pulumi.Resource = sse
	if s.Versioning {
		v, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
			Bucket:                  bucket.ID(),
			VersioningConfiguration: &s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
		}, parent, after(last))
		if err != nil {
			return Hardened{}, fmt.Errorf("versioning: %w", err)
		}
		last = v
	}
	lifecycle, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules:  s.Lifecycle,
	}, parent, after(last))
	if err != nil {
		return Hardened{}, fmt.Errorf("lifecycle: %w", err)
	}
	return Hardened{PublicAccessBlock: pab, Last: lifecycle}, nil
}

// TLSOnlyPolicy is the bucket policy that refuses every request to the bucket over plain
// HTTP or TLS older than 1.2.
func TLSOnlyPolicy(bucketArn string) iampolicy.Document {
	deny := func(sid string) iampolicy.Statement {
		return iampolicy.Statement{
			Sid: sid, Effect: "Deny",
			Principal: map[string]iampolicy.StringList{"AWS": {"*"}},
			Action:    iampolicy.StringList{"s3:*"},
			Resource:  iampolicy.StringList{bucketArn, bucketArn + "/*"},
		}
	}
	return iampolicy.New(
		deny("DenyInsecureTransport").When("Bool", "aws:SecureTransport", "false"),
		deny("DenyOldTLS").When("NumericLessThan", "s3:TlsVersion", "1.2"),
	)
}
