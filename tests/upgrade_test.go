package tests

import (
	"encoding/json"
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

// TestUpgradeToDatasetsReplacesNothing: deploying the program with datasets over a stack
// deployed before them, on the stack's unchanged configuration, replaces, renames, moves or
// deletes no resource: every URN stays, and no replace-forcing input changes. (Nothing changes
// at all but the transform's code, which the graph masks: TestResourceGraphIsGolden still
// holds its pre-datasets contents.)
func TestUpgradeToDatasetsReplacesNothing(t *testing.T) {
	for _, stack := range stacks {
		for _, c := range upgradeDiff(t, beforeDatasets(t, stack), run(t, stack, nil)) {
			switch {
			case c.gone:
				t.Errorf("%s: %s is gone: renamed or moved without an alias, the engine would replace it", stack, c.urn)
			case len(c.replace) > 0:
				t.Errorf("%s: %s would be replaced: %v changed", stack, c.urn, c.replace)
			default:
				t.Errorf("%s: %s would be updated (%v): the upgrade on today's configuration changes nothing", stack, c.urn, c.update)
			}
		}
	}
}

// TestAddingADatasetReplacesNothing: adding the example dataset to a stack deployed before
// datasets creates its resources and updates some shared ones in place, and replaces only the
// API deployment, which the program re-creates whenever the API's definition changes (new
// routes), as for any API change. Nothing of the default dataset is replaced.
func TestAddingADatasetReplacesNothing(t *testing.T) {
	for _, stack := range stacks {
		for _, c := range upgradeDiff(t, beforeDatasets(t, stack), runTwo(t, stack, nil)) {
			switch {
			case c.gone:
				t.Errorf("%s: %s is gone: renamed or moved without an alias, the engine would replace it", stack, c.urn)
			case len(c.replace) > 0 && urnType(c.urn) == tDeployment && slices.Equal(c.replace, []string{"triggers"}):
				t.Logf("%s: %s is re-created (new routes): by design", stack, c.urn)
			case len(c.replace) > 0:
				t.Errorf("%s: %s would be replaced: %v changed", stack, c.urn, c.replace)
			default:
				t.Logf("%s: %s is updated in place: %v", stack, c.urn, c.update)
			}
		}
	}
}
