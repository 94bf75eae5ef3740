package awsrules

// Limits for a Lambda that Firehose calls.
const (
	// MinFirehoseLambdaTimeout: Firehose's docs ask for at least a minute so a full batch is
	// never cut off; MaxFirehoseLambdaTimeout is the longest Firehose waits for one call.
	MinFirehoseLambdaTimeout = 60
	MaxFirehoseLambdaTimeout = 300
	MinLambdaMemoryMiB       = 128
	MaxLambdaMemoryMiB       = 10240
)
