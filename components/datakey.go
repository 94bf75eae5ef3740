package components

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/iampolicy"
)

// DataKeyArgs configures the stack's customer managed key.
type DataKeyArgs struct {
	Region    string
	Partition string
	AccountID pulumi.StringInput
	// DeletionWindowDays is how long a deleted key stays recoverable (7..30).
	DeletionWindowDays int
	// Protect keeps the key on `pulumi destroy`: data encrypted with it is unreadable without it.
	Protect bool
}

// Validate checks the args.
func (a *DataKeyArgs) Validate() error {
	if a.Region == "" || a.Partition == "" || a.AccountID == nil {
		return fmt.Errorf("datakey: Region, Partition and AccountID are required")
	}
	if a.DeletionWindowDays < 7 || a.DeletionWindowDays > 30 {
		return fmt.Errorf("datakey: DeletionWindowDays must be 7..30 (KMS limit), got %d", a.DeletionWindowDays)
	}
	return nil
}

// DataKey is the customer managed KMS key that encrypts the stream, the lake, query results,
// logs and the alarm topic. One key per stack keeps access reviewable in one key policy.
type DataKey struct {
	pulumi.ResourceState
	Arn   pulumi.StringOutput `pulumi:"arn"`
	KeyID pulumi.StringOutput `pulumi:"keyId"`
}

// NewDataKey creates the key with rotation on and a key policy that lets the account's IAM
// policies grant use, and lets CloudWatch Logs, CloudWatch alarms and EventBridge (which
// cannot use IAM roles for this) encrypt logs and publish to the encrypted topic.
func NewDataKey(ctx *pulumi.Context, name string, args *DataKeyArgs, opts ...pulumi.ResourceOption) (*DataKey, error) {
	if args == nil {
		return nil, fmt.Errorf("datakey %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &DataKey{}
	if err := ctx.RegisterComponentResource(typePrefix+"DataKey", name, c, opts...); err != nil {
		return nil, err
	}
	keyPolicy := policy(map[string]pulumi.StringInput{"account": args.AccountID}, func(v map[string]string) iampolicy.Document {
		return dataKeyPolicy(args.Partition, args.Region, v["account"])
	})
	keyOpts := []pulumi.ResourceOption{pulumi.Parent(c)}
	if args.Protect {
		keyOpts = append(keyOpts, pulumi.Protect(true), pulumi.RetainOnDelete(true))
	}
	key, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:          pulumi.Sprintf("streamlake %s: stream, lake, query results, logs and alarms", ctx.Stack()),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(args.DeletionWindowDays),
		Policy:               keyPolicy,
	}, keyOpts...)
	if err != nil {
		return nil, fmt.Errorf("datakey %s: %w", name, err)
	}
	c.Arn, c.KeyID = key.Arn, key.KeyId
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{"arn": key.Arn, "keyId": key.KeyId}); err != nil {
		return nil, err
	}
	return c, nil
}

// dataKeyPolicy is the key policy: the account administers the key through IAM; CloudWatch
// Logs, CloudWatch alarms and EventBridge, which cannot use IAM roles for this, may encrypt
// logs and publish to the encrypted topic.
func dataKeyPolicy(partition, region, account string) iampolicy.Document {
	root := arn.ARN{Partition: partition, Service: "iam", AccountID: account, Resource: "root"}.String()
	logsArn := arn.ARN{Partition: partition, Service: "logs", Region: region, AccountID: account, Resource: "log-group:*"}.String()
	return iampolicy.New(
		// The default key policy: without it the key can become unmanageable.
		iampolicy.Statement{Sid: "AccountAdministers", Effect: "Allow",
			Principal: map[string]iampolicy.StringList{"AWS": {root}},
			Action:    iampolicy.StringList{"kms:*"}, Resource: iampolicy.StringList{"*"}},
		iampolicy.Statement{Sid: "CloudWatchLogsEncrypt", Effect: "Allow",
			Principal: map[string]iampolicy.StringList{"Service": {regionalEndpoint("logs", region)}},
			Action:    iampolicy.StringList{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
			Resource:  iampolicy.StringList{"*"},
		}.When("ArnLike", "kms:EncryptionContext:aws:logs:arn", logsArn),
		// No source condition: CloudWatch alarms call KMS without the caller context such a
		// condition tests, and notifications would be dropped silently. Who may publish is
		// decided by the topic policy, which is scoped to this account's alarms and rule.
		iampolicy.Statement{Sid: "AlarmsPublishToEncryptedTopic", Effect: "Allow",
			Principal: map[string]iampolicy.StringList{"Service": {"cloudwatch.amazonaws.com", "events.amazonaws.com"}},
			Action:    iampolicy.StringList{"kms:Decrypt", "kms:GenerateDataKey*"},
			Resource:  iampolicy.StringList{"*"},
		},
	)
}
