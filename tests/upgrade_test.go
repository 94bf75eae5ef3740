package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/stacktest"
)

// replaceForcing lists, for every resource type the program declares, the inputs whose change
// makes the engine replace the resource: the provider's ForceNew fields (pulumi-aws v6.83.0
// bridges terraform-provider-aws; its internal/service/<service>/ resources mark them), as far
// as the program sets them. A path names an input and everything below it. Component
// resources have no inputs: only their URN identifies them. A type missing here fails the
// test, so a new type cannot slip past the upgrade check.
var replaceForcing = map[string][]string{
	"aws:apigateway/account:Account":                         nil,
	"aws:apigateway/apiKey:ApiKey":                           {"value"},
	"aws:apigateway/authorizer:Authorizer":                   {"restApi"},
	"aws:apigateway/deployment:Deployment":                   {"restApi", "triggers", "stageName", "stageDescription"},
	"aws:apigateway/integration:Integration":                 {"restApi", "resourceId", "httpMethod"},
	"aws:apigateway/integrationResponse:IntegrationResponse": {"restApi", "resourceId", "httpMethod", "statusCode"},
	"aws:apigateway/method:Method":                           {"restApi", "resourceId", "httpMethod"},
	"aws:apigateway/methodResponse:MethodResponse":           {"restApi", "resourceId", "httpMethod", "statusCode"},
	"aws:apigateway/methodSettings:MethodSettings":           {"restApi", "stageName", "methodPath"},
	"aws:apigateway/model:Model":                             {"restApi", "name", "contentType"},
	"aws:apigateway/requestValidator:RequestValidator":       {"restApi"},
	"aws:apigateway/resource:Resource":                       {"restApi"},
	"aws:apigateway/response:Response":                       {"restApiId", "responseType"},
	"aws:apigateway/restApi:RestApi":                         nil,
	"aws:apigateway/stage:Stage":                             {"restApi", "stageName"},
	"aws:apigateway/usagePlan:UsagePlan":                     nil,
	"aws:apigateway/usagePlanKey:UsagePlanKey":               {"keyId", "keyType", "usagePlanId"},
	// A saved query has no update API: every input replaces it.
	"aws:athena/namedQuery:NamedQuery":         {"name", "description", "database", "workgroup", "query"},
	"aws:athena/workgroup:Workgroup":           {"name"},
	"aws:cloudwatch/dashboard:Dashboard":       {"dashboardName"},
	"aws:cloudwatch/eventRule:EventRule":       {"name", "namePrefix", "eventBusName"},
	"aws:cloudwatch/eventTarget:EventTarget":   {"rule", "targetId", "eventBusName"},
	"aws:cloudwatch/logGroup:LogGroup":         {"name", "namePrefix", "logGroupClass"},
	"aws:cloudwatch/logStream:LogStream":       {"name", "logGroupName"},
	"aws:cloudwatch/metricAlarm:MetricAlarm":   {"name"},
	"aws:glue/catalogDatabase:CatalogDatabase": {"name", "catalogId", "targetDatabase"},
	"aws:glue/catalogTable:CatalogTable":       {"name", "databaseName", "catalogId", "partitionIndices"},
	"aws:glue/crawler:Crawler":                 {"name", "databaseName"},
	// No update API: every input replaces it (under the same name, deleted first).
	"aws:glue/securityConfiguration:SecurityConfiguration": {"name", "encryptionConfiguration"},
	"aws:iam/role:Role":                                                                          {"name", "namePrefix", "path"},
	"aws:iam/rolePolicy:RolePolicy":                                                              {"name", "namePrefix", "role"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                                          {"role", "policyArn"},
	"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":                                  {"name", "destination", "kinesisSourceConfiguration"},
	"aws:kinesis/stream:Stream":                                                                  {"name"},
	"aws:kms/key:Key":                                                                            {"customerMasterKeySpec", "keyUsage", "multiRegion", "xksKeyId"},
	"aws:lambda/function:Function":                                                               {"name", "packageType"},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":                       {"bucket", "expectedBucketOwner"},
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     {"bucket"},
	"aws:s3/bucketPolicy:BucketPolicy":                                                           {"bucket"},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     {"bucket"},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {"bucket", "expectedBucketOwner"},
	"aws:s3/bucketV2:BucketV2":                                                                   {"bucket", "bucketPrefix", "objectLockEnabled"},
	"aws:s3/bucketVersioningV2:BucketVersioningV2":                                               {"bucket", "expectedBucketOwner"},
	"aws:sns/topic:Topic":                                                                        {"name", "namePrefix", "fifoTopic"},
	"aws:sns/topicPolicy:TopicPolicy":                                                            {"arn"},
	"aws:sns/topicSubscription:TopicSubscription":                                                {"topic", "protocol", "endpoint", "endpointAutoConfirms", "confirmationTimeoutInMinutes"},
	"aws:wafv2/webAcl:WebAcl":                                                                    {"name", "namePrefix", "scope"},
	"aws:wafv2/webAclAssociation:WebAclAssociation":                                              {"resourceArn", "webAclArn"},
	"aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration":                            {"resourceArn"},
}

// upgradeChange is what deploying the new program over a stack deployed from the old one does
// to one of its resources.
type upgradeChange struct {
	urn     string
	replace []string // inputs (or replaceOnChanges paths) that force a replacement
	update  []string // other inputs that change in place
	gone    bool     // no resource of the new program has this URN or an alias to it
}

// upgradeDiff compares a stack's resource graph as the old program declared it (a golden file)
// with the new program's run, as the engine would: resources match by URN or by an alias of
// the new one; a matched resource is replaced when a replace-forcing input, or a path of its
// replaceOnChanges, differs.
func upgradeDiff(t *testing.T, before []graphNode, after *stacktest.Result) []upgradeChange {
	t.Helper()
	var afterNodes []graphNode
	if err := json.Unmarshal(graph(t, after), &afterNodes); err != nil {
		t.Fatal(err)
	}
	byURN := map[string]graphNode{}
	for _, n := range afterNodes {
		byURN[n.URN] = n
	}
	for _, r := range after.Resources {
		for _, a := range r.Aliases {
			byURN[a] = byURN[r.URN]
		}
	}
	var out []upgradeChange
	for _, old := range before {
		typ := urnType(old.URN)
		forcing, ok := replaceForcing[typ]
		if !ok && old.Custom {
			t.Fatalf("%s: type %s has no replace-forcing inputs in replaceForcing: look them up in the provider and add them", old.URN, typ)
		}
		cur, found := byURN[old.URN]
		if !found {
			out = append(out, upgradeChange{urn: old.URN, gone: true})
			continue
		}
		c := upgradeChange{urn: old.URN}
		for _, k := range slices.Sorted(keysOf(old.Inputs, cur.Inputs)) {
			if reflect.DeepEqual(old.Inputs[k], cur.Inputs[k]) {
				continue
			}
			if slices.Contains(forcing, k) || slices.ContainsFunc(cur.ReplaceOnChanges, func(p string) bool { return p == k || strings.HasPrefix(p, k+".") }) {
				c.replace = append(c.replace, k)
			} else {
				c.update = append(c.update, k)
			}
		}
		if len(c.replace)+len(c.update) > 0 {
			out = append(out, c)
		}
	}
	return out
}

func urnType(urn string) string {
	parts := strings.Split(urn, "::")
	types := strings.Split(parts[len(parts)-2], "$")
	return types[len(types)-1]
}

func keysOf(a, b map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
		for k := range b {
			if _, ok := a[k]; !ok && !yield(k) {
				return
			}
		}
	}
}

// beforeDatasets is a stack's resource graph as the program declared it before datasets
// (tests/testdata/graph-<stack>.json on main at the time), kept unchanged.
func beforeDatasets(t *testing.T, stack string) []graphNode {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "upgrade", "graph-"+stack+"-before-datasets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var nodes []graphNode
	if err := json.Unmarshal(b, &nodes); err != nil {
		t.Fatal(err)
	}
	return nodes
}

// checkUpgrade fails for every change of a stack's resources the upgrade to res makes but
// expected does not list (by logical name: "replace" or "update"), and for every listed
// change it does not make.
func checkUpgrade(t *testing.T, stack string, res *stacktest.Result, expected map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range upgradeDiff(t, beforeDatasets(t, stack), res) {
		name := c.urn[strings.LastIndex(c.urn, "::")+2:]
		kind := "update"
		switch {
		case c.gone:
			t.Errorf("%s: %s is gone: renamed or moved without an alias, the engine would replace it", stack, c.urn)
			continue
		case len(c.replace) > 0:
			kind = "replace"
		}
		seen[name] = true
		if expected[name] != kind {
			t.Errorf("%s: %s would %s (%v %v), expected %q", stack, c.urn, kind, c.replace, c.update, expected[name])
			continue
		}
		t.Logf("%s: %s: %s %v%v", stack, name, kind, c.replace, c.update)
	}
	for name, kind := range expected {
		if !seen[name] {
			t.Errorf("%s: %s was expected to %s, and does not", stack, name, kind)
		}
	}
}

// TestUpgradeToDatasetsReplacesNothing: deploying the program with datasets over a stack
// deployed before them, on the stack's unchanged configuration, replaces, renames, moves or
// deletes no resource: every URN stays, and no replace-forcing input changes. (Nothing changes
// at all but the transform's code, which the graph masks: TestResourceGraphIsGolden still
// holds its pre-datasets contents.)
func TestUpgradeToDatasetsReplacesNothing(t *testing.T) {
	for _, stack := range stacks {
		checkUpgrade(t, stack, run(t, stack, nil), nil)
	}
}

// TestAddingADatasetReplacesNothing: adding the example dataset to a stack deployed before
// datasets creates its resources, updates these shared ones in place and replaces only the API
// deployment, which the program re-creates whenever the API's definition changes (new routes),
// as for any API change (only its triggers force it). Nothing of the default dataset changes.
func TestAddingADatasetReplacesNothing(t *testing.T) {
	for _, stack := range stacks {
		expected := map[string]string{
			"ingest-deployment": "replace", "ingest-role": "update", "ingest-role-policy": "update",
			"catalog-crawler-role-policy": "update", "monitoring-alarms-policy": "update", "monitoring-dashboard": "update",
		}
		if stack == "prod" {
			expected["waf-acl"] = "update"
		}
		checkUpgrade(t, stack, runTwo(t, stack, nil), expected)
		for _, c := range upgradeDiff(t, beforeDatasets(t, stack), runTwo(t, stack, nil)) {
			if urnType(c.urn) == tDeployment && !slices.Equal(c.replace, []string{"triggers"}) {
				t.Errorf("%s: the deployment is replaced for %v, not only its triggers", stack, c.replace)
			}
		}
	}
}

// TestUpgradeDiffCatchesReplacements: the diff reports a renamed resource as gone, a changed
// replace-forcing input as a replacement (also through replaceOnChanges), an aliased move as
// nothing, and any other changed input as an update.
func TestUpgradeDiffCatchesReplacements(t *testing.T) {
	urn := func(name string) string { return "urn:pulumi:dev::streamlake::" + tStream + "::" + name }
	before := []graphNode{
		{URN: urn("renamed"), Custom: true, Inputs: map[string]any{"name": "a"}},
		{URN: urn("forced"), Custom: true, Inputs: map[string]any{"name": "a"}},
		{URN: urn("updated"), Custom: true, Inputs: map[string]any{"name": "a", "retentionPeriod": 24.0}},
		{URN: urn("moved"), Custom: true, Inputs: map[string]any{"name": "a"}},
		{URN: urn("on-changes"), Custom: true, Inputs: map[string]any{"name": "a", "x": map[string]any{"y": 1.0}}},
	}
	after := &stacktest.Result{Stack: "dev", Resources: []*stacktest.Resource{
		{Type: tStream, URN: urn("renamed2"), Custom: true, Inputs: map[string]any{"name": "a"}},
		{Type: tStream, URN: urn("forced"), Custom: true, Inputs: map[string]any{"name": "b"}},
		{Type: tStream, URN: urn("updated"), Custom: true, Inputs: map[string]any{"name": "a", "retentionPeriod": 48.0}},
		{Type: tStream, URN: urn("moved2"), Custom: true, Inputs: map[string]any{"name": "a"}, Aliases: []string{urn("moved")}},
		{Type: tStream, URN: urn("on-changes"), Custom: true, Inputs: map[string]any{"name": "a", "x": map[string]any{"y": 2.0}}, ReplaceOnChanges: []string{"x.y"}},
	}}
	got := map[string]string{}
	for _, c := range upgradeDiff(t, before, after) {
		got[c.urn[strings.LastIndex(c.urn, "::")+2:]] = fmt.Sprint(c.gone, c.replace, c.update)
	}
	want := map[string]string{"renamed": "true [] []", "forced": "false [name] []", "updated": "false [] [retentionPeriod]", "on-changes": "false [x] []"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("diff %v, want %v", got, want)
	}
}
