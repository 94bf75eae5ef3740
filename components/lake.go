package components

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/s3bucket"
	"github.com/streamlake/streamlake/lakelayout"
)

// LakeArgs configures the data lake bucket.
type LakeArgs struct {
	Env *Env
	// Versioning keeps object versions (prod), so a bad write or delete can be undone.
	Versioning bool
	// Protect makes `pulumi destroy` refuse to delete the bucket and keeps it if it is
	// removed from the program (prod). Without it the bucket is force-destroyable (dev).
	Protect bool
	// Raw backups move to RawStorageClass after RawTransitionDays (0: never) and expire after
	// RawExpirationDays (0: never).
	RawTransitionDays int
	RawStorageClass   string
	RawExpirationDays int
	// ErrorsExpirationDays and ResultsExpirationDays expire failed records (and the recovery
	// markers under redrive/) and query results.
	ErrorsExpirationDays  int
	ResultsExpirationDays int
	// NoncurrentExpirationDays expires old versions when versioning is on.
	NoncurrentExpirationDays int
}

// Validate checks the args against S3's lifecycle rules.
func (a *LakeArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("lake: %w", err)
	}
	if a.RawTransitionDays != 0 {
		if err := awsrules.CheckTransition("lake raw transition", a.RawStorageClass, a.RawTransitionDays, a.RawExpirationDays); err != nil {
			return err
		}
	}
	if a.ErrorsExpirationDays <= 0 || a.ResultsExpirationDays <= 0 {
		return fmt.Errorf("lake: errors and results expiration must be positive, got %d and %d", a.ErrorsExpirationDays, a.ResultsExpirationDays)
	}
	if a.Versioning && a.NoncurrentExpirationDays <= 0 {
		return fmt.Errorf("lake: NoncurrentExpirationDays must be positive with versioning, got %d", a.NoncurrentExpirationDays)
	}
	return nil
}

// Lake is the S3 bucket that holds the Parquet data (data/), the raw backup (raw/), records
// that failed (errors/) and Athena query results (athena-results/). It is private, encrypted
// with the stack key and reachable over TLS only.
type Lake struct {
	pulumi.ResourceState
	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	BucketArn  pulumi.StringOutput `pulumi:"bucketArn"`
	// Policy is the bucket policy, so that dependants can wait for it.
	Policy *s3.BucketPolicy `pulumi:"-"`
}

// NewLake creates the bucket and its settings.
func NewLake(ctx *pulumi.Context, name string, args *LakeArgs, opts ...pulumi.ResourceOption) (*Lake, error) {
	if args == nil {
		return nil, fmt.Errorf("lake %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &Lake{}
	if err := ctx.RegisterComponentResource(typePrefix+"Lake", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	bucketOpts := []pulumi.ResourceOption{parent}
	if args.Protect {
		bucketOpts = append(bucketOpts, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	bucket, err := s3.NewBucketV2(ctx, name+"-bucket", &s3.BucketV2Args{
		// Only a disposable (unprotected) lake may be deleted with its data.
		ForceDestroy: pulumi.Bool(!args.Protect),
	}, bucketOpts...)
	if err != nil {
		return nil, fmt.Errorf("lake %s bucket: %w", name, err)
	}
	settings, err := s3bucket.Harden(ctx, name, bucket, s3bucket.Settings{
		KeyArn: args.Env.KeyArn,
		// Bucket keys cut KMS requests (and cost) by orders of magnitude for Firehose's many objects.
		BucketKey:  true,
		Versioning: args.Versioning,
		Lifecycle:  lifecycleRules(args),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("lake %s %w", name, err)
	}
	// Last, after the public access block in particular (S3 rejects concurrent changes to both).
	bp, err := s3.NewBucketPolicy(ctx, name+"-policy", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: policy(map[string]pulumi.StringInput{"bucket": bucket.Arn}, func(v map[string]string) iampolicy.Document {
			return s3bucket.TLSOnlyPolicy(v["bucket"])
		}),
	}, parent, pulumi.DependsOn([]pulumi.Resource{settings.PublicAccessBlock, settings.Last}))
	if err != nil {
		return nil, fmt.Errorf("lake %s policy: %w", name, err)
	}

	c.BucketName, c.BucketArn, c.Policy = bucket.Bucket, bucket.Arn, bp
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"bucketName": bucket.Bucket,
		"bucketArn":  bucket.Arn,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func lifecycleRules(a *LakeArgs) s3.BucketLifecycleConfigurationV2RuleArray {
	prefixRule := func(id, prefix string) *s3.BucketLifecycleConfigurationV2RuleArgs {
		return &s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:     pulumi.String(id),
			Status: pulumi.String("Enabled"),
			Filter: &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(prefix)},
		}
	}
	raw := prefixRule("raw-backup", lakelayout.RawPrefix)
	if a.RawTransitionDays > 0 {
		raw.Transitions = s3.BucketLifecycleConfigurationV2RuleTransitionArray{&s3.BucketLifecycleConfigurationV2RuleTransitionArgs{
			Days:         pulumi.Int(a.RawTransitionDays),
			StorageClass: pulumi.String(a.RawStorageClass),
		}}
	}
	if a.RawExpirationDays > 0 {
		raw.Expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.RawExpirationDays)}
	}
	errs := prefixRule("expire-errors", lakelayout.ErrorsPrefix)
	errs.Expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.ErrorsExpirationDays)}
	// A marker is written when its object is redriven or replayed, so it outlives the error
	// object it records (exactly once holds while that object exists).
	markers := prefixRule("expire-redrive-markers", lakelayout.RedrivePrefix)
	markers.Expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.ErrorsExpirationDays)}
	results := prefixRule("expire-query-results", lakelayout.ResultsPrefix)
	results.Expiration = &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(a.ResultsExpirationDays)}
	all := prefixRule("abort-incomplete-uploads", "")
	all.AbortIncompleteMultipartUpload = &s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(7)}
	if a.Versioning {
		all.NoncurrentVersionExpiration = &s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(a.NoncurrentExpirationDays)}
	}
	rules := s3.BucketLifecycleConfigurationV2RuleArray{errs, markers, results, all}
	// S3 rejects a rule without an action: keeping raw/ in STANDARD forever needs no rule.
	if a.RawTransitionDays > 0 || a.RawExpirationDays > 0 {
		rules = append(rules, raw)
	}
	return rules
}
