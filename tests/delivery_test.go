package tests

import (
	"crypto/sha256"
	"encoding/base64"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/transform"
)

func processorParams(t *testing.T, fh map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	params, _ := stacktest.Path(fh, "extendedS3Configuration.processingConfiguration.processors[0].parameters").([]any)
	for _, p := range params {
		m := p.(map[string]any)
		out[m["parameterName"].(string)] = m["parameterValue"].(string)
	}
	return out
}

func TestFirehoseConvertsToParquetThroughTheGlueTable(t *testing.T) {
	want := map[string]struct{ bufferSeconds int }{"dev": {60}, "prod": {300}}
	for _, stack := range stacks {
		res := run(t, stack, nil)
		fh := one(t, res, tFirehose)
		table := one(t, res, tTable)
		stream := one(t, res, tStream)
		bucket := one(t, res, tBucket)
		fn := one(t, res, tFunction)
		s3 := "extendedS3Configuration."
		if fh.Str("destination") != "extended_s3" || fh.Str("kinesisSourceConfiguration.kinesisStreamArn") != stream.State["arn"] {
			t.Errorf("%s: source/destination %v %v", stack, fh.In("destination"), fh.In("kinesisSourceConfiguration"))
		}
		if fh.In("serverSideEncryption") != nil {
			t.Errorf("%s: AWS rejects SSE on a delivery stream with a Kinesis source", stack)
		}
		if fh.Str(s3+"bucketArn") != bucket.State["arn"] || fh.Str(s3+"kmsKeyArn") == "" {
			t.Errorf("%s: destination bucket %v key %v", stack, fh.In(s3+"bucketArn"), fh.In(s3+"kmsKeyArn"))
		}
		rules := awsrules.DeliveryRules{
			Prefix: fh.Str(s3 + "prefix"), ErrorPrefix: fh.Str(s3 + "errorOutputPrefix"),
			BufferMiB: int(fh.Num(s3 + "bufferingSize")), BufferSeconds: int(fh.Num(s3 + "bufferingInterval")),
			Compression:         fh.Str(s3 + "compressionFormat"),
			FormatConversion:    fh.Bool(s3 + "dataFormatConversionConfiguration.enabled"),
			DynamicPartitioning: fh.Bool(s3 + "dynamicPartitioningConfiguration.enabled"),
			LambdaProcessor:     fh.Str(s3+"processingConfiguration.processors[0].type") == "Lambda",
		}
		pp := processorParams(t, fh.Inputs)
		// Parameters at Firehose's defaults are not sent (the provider would show a diff forever).
		for k, def := range map[string]string{"BufferSizeInMBs": "1", "BufferIntervalInSeconds": "60", "NumberOfRetries": "3"} {
			if v, ok := pp[k]; ok && v == def {
				t.Errorf("%s: processor parameter %s sent with its default value %s", stack, k, v)
			} else if !ok {
				pp[k] = def
			}
		}
		if _, ok := pp["RoleArn"]; ok {
			t.Errorf("%s: RoleArn defaults to the delivery role and must not be sent", stack)
		}
		rules.ProcessorBufferMiB, _ = strconv.ParseFloat(pp["BufferSizeInMBs"], 64)
		rules.ProcessorBufferSecond, _ = strconv.Atoi(pp["BufferIntervalInSeconds"])
		rules.ProcessorRetries, _ = strconv.Atoi(pp["NumberOfRetries"])
		if err := rules.Check(); err != nil {
			t.Errorf("%s: the declared delivery stream breaks AWS rules: %v", stack, err)
		}
		if !rules.FormatConversion || rules.Compression != "UNCOMPRESSED" || rules.BufferMiB < 64 || !rules.DynamicPartitioning {
			t.Errorf("%s: %+v", stack, rules)
		}
		if rules.BufferSeconds != want[stack].bufferSeconds {
			t.Errorf("%s: buffer interval %d", stack, rules.BufferSeconds)
		}
		if pp["LambdaArn"] != fn.State["arn"].(string)+":$LATEST" {
			t.Errorf("%s: processor calls %s", stack, pp["LambdaArn"])
		}
		if rules.ProcessorBufferMiB > transform.SafeProcessorBufferMiB {
			t.Errorf("%s: processor buffer %g above the proven safe %g", stack, rules.ProcessorBufferMiB, transform.SafeProcessorBufferMiB)
		}
		// Partition folders are the Glue partition keys, in order; the data prefix is the table location.
		var keys []string
		for _, k := range table.List("partitionKeys") {
			keys = append(keys, k.(map[string]any)["name"].(string))
		}
		if err := awsrules.CheckPrefixMatchesTable(rules.Prefix, keys); err != nil {
			t.Errorf("%s: %v", stack, err)
		}
		if table.Str("storageDescriptor.location") != "s3://"+bucket.State["bucket"].(string)+"/"+awsrules.StaticPrefix(rules.Prefix) {
			t.Errorf("%s: table location %s vs prefix %s", stack, table.Str("storageDescriptor.location"), rules.Prefix)
		}
		sc := s3 + "dataFormatConversionConfiguration.schemaConfiguration."
		if fh.Str(sc+"databaseName") != table.Str("databaseName") || fh.Str(sc+"tableName") != table.Str("name") || fh.Str(sc+"versionId") != "LATEST" || fh.Str(sc+"region") != "eu-west-1" {
			t.Errorf("%s: schema configuration %v", stack, fh.In(strings.TrimSuffix(sc, ".")))
		}
		if fh.Str(s3+"dataFormatConversionConfiguration.outputFormatConfiguration.serializer.parquetSerDe.compression") != "SNAPPY" ||
			fh.In(s3+"dataFormatConversionConfiguration.inputFormatConfiguration.deserializer.openXJsonSerDe") == nil {
			t.Errorf("%s: serdes %v", stack, fh.In(s3+"dataFormatConversionConfiguration"))
		}
		if fh.Str(s3+"s3BackupMode") != "Enabled" || fh.Str(s3+"s3BackupConfiguration.compressionFormat") != "GZIP" || !strings.HasPrefix(fh.Str(s3+"s3BackupConfiguration.prefix"), "raw/") {
			t.Errorf("%s: raw backup %v", stack, fh.In(s3+"s3BackupConfiguration"))
		}
		if !fh.Bool(s3+"cloudwatchLoggingOptions.enabled") || fh.Str(s3+"cloudwatchLoggingOptions.logStreamName") != "DestinationDelivery" {
			t.Errorf("%s: error logging %v", stack, fh.In(s3+"cloudwatchLoggingOptions"))
		}
	}
}

func TestArrivalTimePartitioningIsAConfigChoice(t *testing.T) {
	res := run(t, "dev", map[string]string{"partitioning": "arrival-time"})
	fh := one(t, res, tFirehose)
	if fh.Bool("extendedS3Configuration.dynamicPartitioningConfiguration.enabled") {
		t.Error("arrival-time must not enable dynamic partitioning")
	}
	if p := fh.Str("extendedS3Configuration.prefix"); p != "data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/" {
		t.Errorf("prefix %q", p)
	}
	if !strings.Contains(fh.Str("extendedS3Configuration.errorOutputPrefix"), "!{firehose:error-output-type}") {
		t.Error("error prefix")
	}
	for _, a := range res.OfType(tAlarm) {
		if strings.Contains(a.Name, "partition-count") {
			t.Error("no partition-count alarm without dynamic partitioning")
		}
	}
}

// TestAWSRulesFailPreviewWithClearMessages: configs that AWS would reject at deploy time fail
// in the program, naming the key and the rule.
func TestAWSRulesFailPreviewWithClearMessages(t *testing.T) {
	tests := []struct {
		cfg  map[string]string
		want string
	}{
		{map[string]string{"firehoseBufferMb": "32"}, "firehoseBufferMb must be between 64 and 128: Parquet conversion needs a buffer of at least 64 MiB, got 32"},
		{map[string]string{"firehoseBufferSeconds": "30"}, "firehoseBufferSeconds must be between 60 and 900 with partitioning event-time, got 30"},
		{map[string]string{"processorBufferMb": "3"}, "processorBufferMb must be between 0.2 and 1"},
		{map[string]string{"lambdaTimeoutSeconds": "30"}, "lambdaTimeoutSeconds must be between 60 and 300 for a Firehose transform, got 30"},
		{map[string]string{"partitioning": "daily"}, `partitioning must be "event-time" or "arrival-time", got "daily"`},
		{map[string]string{"alarmIteratorAgeMinutes": "1440"}, "alarmIteratorAgeMinutes must be 0 (derived from retention) or below the retention of 1440 minutes"},
		{map[string]string{"alarmEmails": `["not an address"]`}, `alarmEmails: "not an address" is not a plain e-mail address`},
	}
	for _, tt := range tests {
		_, err := runErr("dev", tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v\nwant %q", tt.cfg, err, tt.want)
		}
	}
	// Arrival-time partitioning without the raw backup allows zero buffering; with it, not.
	if _, err := runErr("dev", map[string]string{"partitioning": "arrival-time", "rawBackup": "false", "firehoseBufferSeconds": "0"}); err != nil {
		t.Errorf("arrival-time with 0 s: %v", err)
	}
	_, err := runErr("dev", map[string]string{"partitioning": "arrival-time", "firehoseBufferSeconds": "0"})
	if err == nil || !strings.Contains(err.Error(), "firehoseBufferSeconds must be between 60 and 900 with rawBackup") {
		t.Errorf("raw backup with 0 s: %v", err)
	}
	// Non-default processor settings are sent.
	fh := one(t, run(t, "dev", map[string]string{"processorBufferMb": "0.5", "processorRetries": "5"}), tFirehose)
	pp := processorParams(t, fh.Inputs)
	if pp["BufferSizeInMBs"] != "0.5" || pp["NumberOfRetries"] != "5" || pp["BufferIntervalInSeconds"] != "" {
		t.Errorf("processor parameters %v", pp)
	}
}

func TestDeliveryRoleIsLeastPrivilege(t *testing.T) {
	res := run(t, "prod", nil)
	doc, err := iampolicy.Parse(find(t, res, tRolePolicy, "delivery-role-policy").Str("policy"))
	if err != nil {
		t.Fatal(err)
	}
	bucket := one(t, res, tBucket).State["arn"].(string)
	for _, st := range doc.Statement {
		for _, r := range st.Resource {
			if r == "*" {
				t.Errorf("statement %s allows every resource", st.Sid)
			}
			if strings.HasPrefix(r, bucket+"/") && !slices.Contains([]string{bucket + "/data/*", bucket + "/errors/*", bucket + "/raw/*"}, r) {
				t.Errorf("delivery may write %s", r)
			}
		}
		for _, a := range st.Action {
			if strings.HasSuffix(a, ":*") {
				t.Errorf("wildcard action %s", a)
			}
		}
	}
	trust, _ := iampolicy.Parse(find(t, res, tRole, "delivery-role").Str("assumeRolePolicy"))
	if trust.Statement[0].Condition["StringEquals"]["sts:ExternalId"][0] != "123456789012" {
		t.Errorf("Firehose role trust without sts:ExternalId: %+v", trust)
	}
}

func TestLambdaDeployment(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		fn := one(t, res, tFunction)
		if fn.Str("runtime") != "provided.al2023" || fn.Str("handler") != "bootstrap" || fn.List("architectures")[0] != "arm64" {
			t.Errorf("%s: function %v", stack, fn.Inputs)
		}
		if to := fn.Num("timeout"); to < 60 || to > 300 {
			t.Errorf("%s: timeout %v", stack, to)
		}
		if fn.Str("environment.variables.UNKNOWN_FIELDS") != "keep" {
			t.Errorf("%s: env %v", stack, fn.In("environment"))
		}
		lg := find(t, res, tLogGroup, "transform-logs")
		if fn.Str("loggingConfig.logGroup") != lg.State["name"] || fn.Str("loggingConfig.logFormat") != "JSON" {
			t.Errorf("%s: logging %v", stack, fn.In("loggingConfig"))
		}
		// The archive on disk is the one declared, and its hash is the declared sourceCodeHash.
		path, _ := fn.In("code").(map[string]any)["path"].(string)
		zip, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: archive %q: %v", stack, path, err)
		}
		sum := sha256.Sum256(zip)
		if fn.Str("sourceCodeHash") != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Errorf("%s: sourceCodeHash does not match the archive", stack)
		}
	}
	// Two runs declare identical function inputs: a second `pulumi up` shows no diff.
	a, b := one(t, run(t, "dev", nil), tFunction), one(t, run(t, "dev", nil), tFunction)
	if a.Str("sourceCodeHash") != b.Str("sourceCodeHash") {
		t.Error("the function hash changes between runs")
	}
}
