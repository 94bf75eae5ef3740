package tests

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/recovery"
	"github.com/streamlake/streamlake/internal/stacktest"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/schema"
)

func TestStreamFollowsStackConfig(t *testing.T) {
	want := map[string]struct {
		shards, retention int
		metrics           []any
	}{
		"dev":  {fileShards(t, "dev"), 24, nil},
		"prod": {fileShards(t, "prod"), 168, []any{"IncomingBytes", "IncomingRecords", "WriteProvisionedThroughputExceeded", "IteratorAgeMilliseconds"}},
	}
	for _, stack := range stacks {
		res := run(t, stack, nil)
		s := one(t, res, tStream)
		key := one(t, res, tKey)
		w := want[stack]
		if got := int(s.Num("shardCount")); got != w.shards {
			t.Errorf("%s: shardCount %d, want %d from Pulumi.%s.yaml", stack, got, w.shards, stack)
		}
		if got := int(s.Num("retentionPeriod")); got != w.retention {
			t.Errorf("%s: retention %d, want %d", stack, got, w.retention)
		}
		if s.Str("encryptionType") != "KMS" || s.Str("kmsKeyId") != key.State["arn"] {
			t.Errorf("%s: stream must be encrypted with the stack key: %v %v", stack, s.In("encryptionType"), s.In("kmsKeyId"))
		}
		if s.Str("streamModeDetails.streamMode") != "PROVISIONED" {
			t.Errorf("%s: mode %v", stack, s.In("streamModeDetails"))
		}
		if got := s.List("shardLevelMetrics"); !reflect.DeepEqual(got, w.metrics) && (len(got) != 0 || len(w.metrics) != 0) {
			t.Errorf("%s: shard-level metrics %v, want %v", stack, got, w.metrics)
		}
		if s.Str("name") != "streamlake-"+stack+"-events" {
			t.Errorf("%s: stream name %q", stack, s.Str("name"))
		}
		if (stack == "prod") != s.Protect {
			t.Errorf("%s: stream protect=%v", stack, s.Protect)
		}
	}
}

func TestOnDemandStreamHasNoShardCount(t *testing.T) {
	res := run(t, "dev", map[string]string{"streamMode": "ON_DEMAND", "shardCount": "0"})
	s := one(t, res, tStream)
	if s.In("shardCount") != nil || s.Str("streamModeDetails.streamMode") != "ON_DEMAND" {
		t.Errorf("on-demand stream: shardCount %v mode %v", s.In("shardCount"), s.In("streamModeDetails"))
	}
}

func TestLakeIsPrivateEncryptedAndTLSOnly(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		b := one(t, res, tBucket)
		key := one(t, res, tKey)
		prod := stack == "prod"
		if b.Bool("forceDestroy") == prod {
			t.Errorf("%s: forceDestroy=%v (only dev may delete the lake with its data)", stack, b.Bool("forceDestroy"))
		}
		if b.Protect != prod || b.RetainOnDelete != prod {
			t.Errorf("%s: bucket protect=%v retainOnDelete=%v", stack, b.Protect, b.RetainOnDelete)
		}
		if key.Protect != prod || key.RetainOnDelete != prod {
			t.Errorf("%s: key protect=%v retainOnDelete=%v", stack, key.Protect, key.RetainOnDelete)
		}
		pab := one(t, res, tPAB)
		for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
			if !pab.Bool(k) {
				t.Errorf("%s: public access block %s not set", stack, k)
			}
		}
		sse := one(t, res, tSSE)
		if sse.Str("rules[0].applyServerSideEncryptionByDefault.sseAlgorithm") != "aws:kms" ||
			sse.Str("rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId") != key.State["arn"] {
			t.Errorf("%s: default encryption %v", stack, sse.In("rules"))
		}
		if len(res.OfType(tVersioning)) != map[bool]int{true: 1, false: 0}[prod] {
			t.Errorf("%s: versioning resources %d", stack, len(res.OfType(tVersioning)))
		}
		doc, err := iampolicy.Parse(one(t, res, tBucketPolicy).Str("policy"))
		if err != nil {
			t.Fatal(err)
		}
		tls := false
		for _, st := range doc.Statement {
			if st.Effect == "Deny" && slices.Equal(st.Condition["Bool"]["aws:SecureTransport"], iampolicy.StringList{"false"}) {
				tls = slices.Contains(st.Resource, b.State["arn"].(string)+"/*")
			}
		}
		if !tls {
			t.Errorf("%s: bucket policy does not deny non-TLS access: %+v", stack, doc)
		}
		// Bucket settings are applied one at a time (S3 aborts concurrent changes).
		if !slices.Contains(one(t, res, tSSE).DependsOn, pab.URN) || !slices.Contains(one(t, res, tBucketPolicy).DependsOn, pab.URN) {
			t.Errorf("%s: encryption and policy must wait for the public access block", stack)
		}
		lc := one(t, res, tLifecycle)
		if len(lc.DependsOn) == 0 {
			t.Errorf("%s: lifecycle is not ordered after the other bucket settings", stack)
		}
		text := fmt.Sprint(lc.In("rules"))
		for _, want := range []string{"errors/", "athena-results/", "raw/"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: no lifecycle rule for %s: %s", stack, want, text)
			}
		}
	}
}

func TestGlueTableComesFromTheSchema(t *testing.T) {
	s := schema.Default()
	for _, stack := range stacks {
		res := run(t, stack, nil)
		tbl := one(t, res, tTable)
		db := one(t, res, tDatabase)
		bucket := one(t, res, tBucket).State["bucket"].(string)
		if db.Str("name") != "streamlake_"+stack || tbl.Str("databaseName") != db.Str("name") {
			t.Errorf("%s: database %q table db %q", stack, db.Str("name"), tbl.Str("databaseName"))
		}
		var cols []string
		for i := range tbl.List("storageDescriptor.columns") {
			cols = append(cols, tbl.Str(fmt.Sprintf("storageDescriptor.columns[%d].name", i))+" "+tbl.Str(fmt.Sprintf("storageDescriptor.columns[%d].type", i)))
		}
		var want []string
		for _, f := range s.Fields {
			want = append(want, f.Name+" "+f.Type.Hive())
		}
		if !slices.Equal(cols, want) {
			t.Errorf("%s: columns %v\nwant (schema) %v", stack, cols, want)
		}
		var keys []string
		for i := range tbl.List("partitionKeys") {
			keys = append(keys, tbl.Str(fmt.Sprintf("partitionKeys[%d].name", i)))
		}
		if !slices.Equal(keys, []string{"year", "month", "day", "hour"}) {
			t.Errorf("%s: partition keys %v", stack, keys)
		}
		if got := tbl.Str("storageDescriptor.location"); got != "s3://"+bucket+"/data/" {
			t.Errorf("%s: location %q", stack, got)
		}
		if tbl.Str("storageDescriptor.serDeInfo.serializationLibrary") != "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" ||
			!strings.Contains(tbl.Str("storageDescriptor.inputFormat"), "Parquet") || tbl.Str("tableType") != "EXTERNAL_TABLE" {
			t.Errorf("%s: storage %v", stack, tbl.In("storageDescriptor"))
		}
	}
}

func TestCrawlerNeverRewritesTheSchema(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		c := one(t, res, tCrawler)
		bucket := one(t, res, tBucket).State["bucket"].(string)
		if c.Str("schemaChangePolicy.updateBehavior") != "LOG" || c.Str("schemaChangePolicy.deleteBehavior") != "LOG" {
			t.Errorf("%s: schema change policy %v", stack, c.In("schemaChangePolicy"))
		}
		if c.Str("recrawlPolicy.recrawlBehavior") != "CRAWL_EVERYTHING" {
			t.Errorf("%s: recrawl %v (catalog-table sources allow no incremental crawl)", stack, c.In("recrawlPolicy"))
		}
		conf := parseJSON(t, c.Str("configuration"))
		if stacktest.Path(conf, "CrawlerOutput.Partitions.AddOrUpdateBehavior") != "InheritFromTable" {
			t.Errorf("%s: crawler configuration %v", stack, conf)
		}
		tbl := one(t, res, tTable)
		if c.Str("catalogTargets[0].databaseName") != tbl.Str("databaseName") || c.Str("catalogTargets[0].tables[0]") != tbl.Str("name") || c.In("s3Targets") != nil {
			t.Errorf("%s: the crawler must crawl the table itself: %v %v", stack, c.In("catalogTargets"), c.In("s3Targets"))
		}
		// dev: the default for projection+crawler (daily); prod sets its own.
		want := map[string]string{"dev": "cron(15 0 * * ? *)", "prod": "cron(5 * * * ? *)"}[stack]
		if c.Str("schedule") != want {
			t.Errorf("%s: schedule %q want %q", stack, c.Str("schedule"), want)
		}
		// The crawler role can add partitions but not create or change tables.
		role := find(t, res, tRolePolicy, "catalog-crawler-role-policy")
		doc, err := iampolicy.Parse(role.Str("policy"))
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range doc.Statement {
			for _, a := range st.Action {
				if a == "glue:CreateTable" || a == "glue:UpdateTable" || a == "glue:DeleteTable" || strings.HasSuffix(a, "*") {
					t.Errorf("%s: crawler may %s", stack, a)
				}
			}
			for _, r := range st.Resource {
				if strings.HasPrefix(r, "arn:aws:s3:::") && !strings.Contains(r, "/data/") && r != "arn:aws:s3:::"+bucket {
					t.Errorf("%s: crawler reaches outside data/: %s", stack, r)
				}
			}
		}
	}
}

func TestAthenaWorkgroupEnforcesItsSettings(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		wg := one(t, res, tWorkgroup)
		bucket := one(t, res, tBucket).State["bucket"].(string)
		mib := map[string]float64{"dev": 200, "prod": 10240}[stack]
		if !wg.Bool("configuration.enforceWorkgroupConfiguration") || !wg.Bool("configuration.publishCloudwatchMetricsEnabled") {
			t.Errorf("%s: workgroup not enforced or without metrics", stack)
		}
		if wg.Num("configuration.bytesScannedCutoffPerQuery") != mib*(1<<20) {
			t.Errorf("%s: cutoff %v, want %v MiB", stack, wg.In("configuration.bytesScannedCutoffPerQuery"), mib)
		}
		if wg.Str("configuration.resultConfiguration.encryptionConfiguration.encryptionOption") != "SSE_KMS" ||
			wg.Str("configuration.resultConfiguration.outputLocation") != "s3://"+bucket+"/athena-results/" {
			t.Errorf("%s: results %v", stack, wg.In("configuration.resultConfiguration"))
		}
		qs := res.OfType(tNamedQuery)
		if len(qs) < 3 {
			t.Fatalf("%s: %d named queries", stack, len(qs))
		}
		for _, q := range qs {
			sql := q.Str("query")
			if q.Str("database") != "streamlake_"+stack || !strings.Contains(sql, `"streamlake_`+stack+`"."events"`) || !strings.Contains(sql, "year") {
				t.Errorf("%s: query %s does not read the table with a partition filter:\n%s", stack, q.Name, sql)
			}
			if q.Str("workgroup") != wg.Str("name") {
				t.Errorf("%s: query %s in workgroup %q", stack, q.Name, q.Str("workgroup"))
			}
		}
	}
}

func TestExportsAreComplete(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		for _, k := range []string{"apiUrl", "eventsUrl", "batchUrl", "apiAuth", "streamName", "streamArn", "bucketName", "glueDatabase", "glueTable", "athenaWorkgroup", "crawlerName", "region"} {
			if v, ok := res.Exports[k]; !ok || v == "" {
				t.Errorf("%s: export %s missing", stack, k)
			}
		}
		// The credential material of the stack's auth mode, and no other: an API key (secret)
		// or the IAM policy producers need.
		auth := authMode(t, res)
		for k, want := range map[string]bool{"apiKey": auth == apispec.AuthAPIKey, "producerPolicy": auth == apispec.AuthIAM} {
			if v, ok := res.Exports[k]; ok != want || (want && v == "") {
				t.Errorf("%s (apiAuth %s): export %s present %t, want %t", stack, auth, k, ok, want)
			}
		}
		if auth == apispec.AuthAPIKey && !res.SecretExports["apiKey"] {
			t.Errorf("%s: apiKey must be a secret output", stack)
		}
		if res.SecretExports["streamName"] {
			t.Errorf("%s: only the key is secret", stack)
		}
		if res.Exports["streamName"] != one(t, res, tStream).Str("name") {
			t.Errorf("%s: streamName export %v", stack, res.Exports["streamName"])
		}
	}
}

// The recovery commands' markers (recovery.MarkerRoot, under redrive/) expire with the errors
// they record, so the lake does not keep them forever.
func TestRedriveMarkersExpireWithTheErrors(t *testing.T) {
	if !strings.HasPrefix(recovery.MarkerRoot, lakelayout.RedrivePrefix) {
		t.Fatalf("recovery.MarkerRoot %q is not under lakelayout.RedrivePrefix %q, which the lifecycle rule expires", recovery.MarkerRoot, lakelayout.RedrivePrefix)
	}
	for _, tc := range []struct {
		stack string
		cfg   map[string]string
	}{{"dev", nil}, {"prod", nil}, {"dev", map[string]string{"errorsExpirationDays": "3"}}} {
		cfg, err := loadConfigErr(tc.stack, tc.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var found []any
		for _, rule := range one(t, run(t, tc.stack, tc.cfg), tLifecycle).List("rules") {
			if stacktest.Path(rule, "filter.prefix") == lakelayout.RedrivePrefix {
				found = append(found, rule)
			}
		}
		if len(found) != 1 || stacktest.Path(found[0], "status") != "Enabled" ||
			stacktest.Path(found[0], "expiration.days") != float64(cfg.ErrorsExpirationDays) {
			t.Errorf("%s %v: lifecycle rules for %s: %v, want one enabled rule expiring after errorsExpirationDays (%d)",
				tc.stack, tc.cfg, lakelayout.RedrivePrefix, found, cfg.ErrorsExpirationDays)
		}
	}
}
