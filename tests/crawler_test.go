package tests

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
)

// crawlerGrants is everything the crawler's role may do, each row with the document that asks
// for it. AWS documents a crawler role as the AWSGlueServiceRole managed policy "or a scoped
// down version of this policy", plus an inline policy for the data store
// (https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html). AWSGlueServiceRole grants
// glue:*, s3:GetBucketLocation and s3:ListBucket, and logs:CreateLogGroup, CreateLogStream and
// PutLogEvents on /aws-glue/* (https://docs.aws.amazon.com/glue/latest/dg/create-service-policy.html).
// The rows scope that to one catalog table, its data prefix and the crawler's own log group.
// Resources: "table" is the catalog, database and table ARNs every Glue table and partition
// action needs (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsglue.html).
var crawlerGrants = []struct {
	action, resource, source string
}{
	{"glue:GetDatabase", "table", "AWSGlueServiceRole glue:*: resolve the target's database"},
	{"glue:GetTable", "table", "AWSGlueServiceRole glue:*: a catalog target reads its table's location and schema"},
	{"glue:GetTables", "table", "AWSGlueServiceRole glue:*: list the target database's tables"},
	{"glue:GetPartition", "table", "AWSGlueServiceRole glue:*: compare found folders with registered partitions"},
	{"glue:GetPartitions", "table", "AWSGlueServiceRole glue:*: as GetPartition, paginated"},
	{"glue:BatchGetPartition", "table", "AWSGlueServiceRole glue:*: as GetPartition, in batches"},
	{"glue:CreatePartition", "table", "AWSGlueServiceRole glue:*: register a new hour"},
	{"glue:BatchCreatePartition", "table", "AWSGlueServiceRole glue:*: register new hours in batches"},
	{"glue:UpdatePartition", "table", "AddOrUpdateBehavior InheritFromTable updates existing partitions from the table (crawler-schema-changes-prevent.html)"},
	{"glue:BatchUpdatePartition", "table", "as UpdatePartition, in batches"},
	{"s3:GetBucketLocation", "bucket", "AWSGlueServiceRole s3:GetBucketLocation"},
	{"s3:ListBucket", "bucket", "AWSGlueServiceRole s3:ListBucket, with s3:prefix data and data/*"},
	{"s3:GetObject", "data", "crawler-prereqs.html: the data store's inline policy, s3:GetObject on bucket/object*"},
	{"kms:Decrypt", "key", "define-crawler-configure-security-settings.html: decrypt data encrypted with AWS KMS"},
	{"logs:CreateLogGroup", "logs", "AWSGlueServiceRole logs:CreateLogGroup on /aws-glue/*"},
	{"logs:CreateLogStream", "logs", "AWSGlueServiceRole logs:CreateLogStream on /aws-glue/*"},
	{"logs:PutLogEvents", "logs", "AWSGlueServiceRole logs:PutLogEvents on /aws-glue/*"},
	{"logs:AssociateKmsKey", "logs", "set-up-encryption.html: a crawler writing encrypted CloudWatch Logs"},
}

// TestCrawlerRoleIsTheDocumentedList: the crawler's role grants exactly the rows of
// crawlerGrants, on exactly their resources. No CreateTable, UpdateTable or DeleteTable: the
// table belongs to the program and the crawler only logs schema changes.
func TestCrawlerRoleIsTheDocumentedList(t *testing.T) {
	for _, stack := range stacks {
		res := run(t, stack, nil)
		bucket := one(t, res, tBucket).State["arn"].(string)
		key := one(t, res, tKey).State["arn"].(string)
		db, table := one(t, res, tDatabase).Str("name"), one(t, res, tTable).Str("name")
		region, account := res.Exports["region"].(string), stacktest.Account
		logs := find(t, res, tLogGroup, "catalog-crawler-logs")
		role := find(t, res, tRole, "catalog-crawler-role").State["name"].(string)
		if want := "/aws-glue/crawlers-role/" + role + "-" + one(t, res, tCrawler).Str("securityConfiguration"); logs.Str("name") != want {
			t.Errorf("%s: crawler log group %q, want %q (where Glue writes with a security configuration)", stack, logs.Str("name"), want)
		}
		logArn := logs.State["arn"].(string)
		resources := map[string][]string{
			"table": {
				"arn:aws:glue:" + region + ":" + account + ":catalog",
				"arn:aws:glue:" + region + ":" + account + ":database/" + db,
				"arn:aws:glue:" + region + ":" + account + ":table/" + db + "/" + table,
			},
			"bucket": {bucket},
			"data":   {bucket + "/data/*"},
			"key":    {key},
			"logs":   {logArn, logArn + ":*"},
		}
		want := map[string][]string{}
		for _, g := range crawlerGrants {
			want[g.action] = slices.Sorted(slices.Values(resources[g.resource]))
		}

		doc, err := iampolicy.Parse(find(t, res, tRolePolicy, "catalog-crawler-role-policy").Str("policy"))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, st := range doc.Statement {
			if st.Effect != "Allow" {
				t.Errorf("%s: statement %s: effect %s", stack, st.Sid, st.Effect)
			}
			for _, a := range st.Action {
				got[a] = slices.Sorted(slices.Values(append(got[a], st.Resource...)))
			}
			switch {
			case slices.Contains(st.Action, "s3:ListBucket"):
				if p := st.Condition["StringLike"]["s3:prefix"]; !reflect.DeepEqual([]string(p), []string{"data", "data/*"}) {
					t.Errorf("%s: s3:ListBucket prefix condition %v, want [data data/*]", stack, p)
				}
			case slices.Contains(st.Action, "kms:Decrypt"):
				if v := st.Condition["StringEquals"]["kms:ViaService"]; !reflect.DeepEqual([]string(v), []string{"s3." + region + ".amazonaws.com"}) {
					t.Errorf("%s: kms:Decrypt through %v, want S3 only", stack, v)
				}
			}
		}
		for _, a := range slices.Sorted(maps.Keys(got)) {
			if _, ok := want[a]; !ok {
				t.Errorf("%s: crawler role grants %s, which no documented need asks for", stack, a)
			}
		}
		for _, a := range slices.Sorted(maps.Keys(want)) {
			if !reflect.DeepEqual(got[a], want[a]) {
				t.Errorf("%s: %s on %v, want %v", stack, a, got[a], want[a])
			}
		}
	}
}
