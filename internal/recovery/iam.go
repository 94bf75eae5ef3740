package recovery

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
)

// The commands an operator policy is for.
const (
	CmdErrors  = "errors"
	CmdRedrive = "redrive"
	CmdReplay  = "replay"
)

// Commands are the commands OperatorPolicy knows, in documentation order.
var Commands = []string{CmdErrors, CmdRedrive, CmdReplay}

// Resources name what an operator policy grants access to.
type Resources struct {
	// Bucket is the lake bucket's name.
	Bucket string
	// StreamArn is the stream records are sent to.
	StreamArn string
	// KeyArn is the stack's KMS key (lake and stream).
	KeyArn string
	Region string
}

// OperatorPolicy is the least-privilege policy for running cmd (its --dry-run needs only the
// statements without Write or Send in their Sid). Every S3 and Kinesis call the commands
// make is checked against it by TestOperatorPolicyCoversCalls; the KMS statements are what
// SSE-KMS on the bucket and the stream require of a caller: kms:Decrypt to read an object,
// kms:GenerateDataKey to write one and to put records into an encrypted stream, each only
// through that service (kms:ViaService).
func OperatorPolicy(cmd string, r Resources, p Prefixes) (iampolicy.Document, error) {
	var folder string
	switch cmd {
	case CmdErrors, CmdRedrive:
		folder = awsrules.StaticPrefix(p.Errors)
	case CmdReplay:
		folder = awsrules.StaticPrefix(p.Raw)
	default:
		return iampolicy.Document{}, fmt.Errorf("no operator policy for command %q (one of %v)", cmd, Commands)
	}
	// The bucket's partition is the stream's (aws, aws-cn, aws-us-gov): one stack, one partition.
	partition := "aws"
	if a, err := arn.Parse(r.StreamArn); err == nil {
		partition = a.Partition
	}
	bucketArn := arn.ARN{Partition: partition, Service: "s3", Resource: r.Bucket}.String()
	markers := MarkerRoot + folder
	viaS3 := "s3." + r.Region + ".amazonaws.com"
	sts := []iampolicy.Statement{
		iampolicy.Allow("ListObjectsAndMarkers", []string{"s3:ListBucket"}, bucketArn).
			When("StringLike", "s3:prefix", folder+"*", markers+"*"),
		iampolicy.Allow("ReadObjectsAndMarkers", []string{"s3:GetObject"}, bucketArn+"/"+folder+"*", bucketArn+"/"+markers+"*"),
	}
	if cmd == CmdErrors {
		sts = append(sts, iampolicy.Allow("DecryptLakeObjects", []string{"kms:Decrypt"}, r.KeyArn).
			When("StringEquals", "kms:ViaService", viaS3))
		return iampolicy.New(sts...), nil
	}
	sts = append(sts,
		iampolicy.Allow("WriteMarkers", []string{"s3:PutObject"}, bucketArn+"/"+markers+"*"),
		iampolicy.Allow("SendRecords", []string{"kinesis:PutRecords"}, r.StreamArn),
		iampolicy.Allow("DecryptLakeObjects", []string{"kms:Decrypt"}, r.KeyArn).
			When("StringEquals", "kms:ViaService", viaS3),
		iampolicy.Allow("WriteEncryptedMarkers", []string{"kms:GenerateDataKey"}, r.KeyArn).
			When("StringEquals", "kms:ViaService", viaS3),
		iampolicy.Allow("SendEncryptedRecords", []string{"kms:GenerateDataKey"}, r.KeyArn).
			When("StringEquals", "kms:ViaService", "kinesis."+r.Region+".amazonaws.com"),
	)
	return iampolicy.New(sts...), nil
}
