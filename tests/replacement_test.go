package tests

import (
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/internal/stacktest"
)

// How a resource whose physical name the program chooses survives a replacement. Pulumi
// replaces create-before-delete by default, and creating a second resource under a name that
// still exists fails with AlreadyExists.
const (
	// deleteBeforeReplace: an input that keeps the name forces replacement, and deleting
	// first is safe (the resource holds no data).
	deleteBeforeReplace = "delete before replace"
	// newName: only inputs that make up the resource's identity (its name, or the parent its
	// name is scoped to) force replacement, so a replacement never reuses a name that exists.
	newName = "replaced only under a new name"
	// notUnique: AWS does not require the name to be unique.
	notUnique = "name not unique"
)

// fixedNames lists every resource whose physical name the program chooses, by type and
// logical name, with its strategy and why. The inputs that force replacement are the
// provider's ForceNew fields (pulumi-aws v6 bridges terraform-provider-aws; files under
// internal/service/<service>/ there). A resource missing from this table fails the test.
var fixedNames = map[string]struct{ strategy, why string }{
	tStream + " stream-stream": {newName, "only name forces replacement (encryption, shards, mode update in place); " +
		"never delete first: unread records would be lost, and prod protects the stream"},
	tDatabase + " catalog-database": {newName, "ForceNew: name (and catalogId, targetDatabase, unset); " +
		"deleting a database deletes its tables"},
	tTable + " catalog-table": {newName, "ForceNew: name, databaseName (and catalogId, partitionIndex, unset): its identity; " +
		"deleting first would leave Firehose without the schema it converts with"},
	tCrawler + " catalog-crawler": {deleteBeforeReplace, "ForceNew: name and databaseName, so a database rename replaces it under " +
		"the same name; it holds no data"},
	"aws:glue/securityConfiguration:SecurityConfiguration catalog-security": {deleteBeforeReplace, "every input is ForceNew " +
		"(no update API): a new key replaces it under the same name; it holds no data and the crawler refers to it by name"},
	tWorkgroup + " analytics-workgroup":                    {newName, "ForceNew: name; deleting first would drop query history and saved queries"},
	tNamedQuery + " analytics-watch-time-per-user-per-day": {notUnique, "Athena identifies saved queries by id"},
	tNamedQuery + " analytics-events-per-type-per-hour":    {notUnique, "Athena identifies saved queries by id"},
	tNamedQuery + " analytics-most-recent-events":          {notUnique, "Athena identifies saved queries by id"},
	tDashboard + " monitoring-dashboard":                   {newName, "ForceNew: dashboardName; the body updates in place"},
	tLogGroup + " ingest-execution-logs": {newName, "ForceNew: name (and namePrefix, logGroupClass, unset); " +
		"the name holds the API id and stage, which are its identity"},
	tLogGroup + " catalog-crawler-logs":                               {newName, "ForceNew: name; the name holds the crawler role and security configuration names"},
	"aws:cloudwatch/logStream:LogStream delivery-destinationdelivery": {newName, "ForceNew: name, logGroupName; the group is auto-named"},
	"aws:cloudwatch/logStream:LogStream delivery-backupdelivery":      {newName, "ForceNew: name, logGroupName; the group is auto-named"},
	tStage + " ingest-stage":                                          {newName, "ForceNew: stageName, restApi; the deployment updates in place"},
	tModel + " ingest-model-Event": {newName, "ForceNew: name, restApi, contentType (a constant); " +
		"API Gateway refuses to delete a model a method uses, so deleting first is not possible"},
	tModel + " ingest-model-EventBatch": {newName, "as ingest-model-Event"},
	tValidator + " ingest-validator":    {newName, "ForceNew: restApi only; the name updates in place"},
	tAuthorizer + " ingest-authorizer":  {newName, "ForceNew: restApi only; the name, type and user pools update in place"},
	tWebACL + " waf-acl": {newName, "ForceNew: name, scope (and namePrefix, unset); rules, responses and visibility update in place; " +
		"deleting first would leave the stage unprotected"},
	tLogGroup + " waf-logs": {newName, "ForceNew: name (and namePrefix, logGroupClass, unset); AWS WAF requires the aws-waf-logs- prefix, " +
		"so it cannot be auto-named"},
}

// nameInput is the input that holds a type's physical name, where it is not "name".
var nameInput = map[string]string{tBucket: "bucket", tDashboard: "dashboardName", tStage: "stageName"}

// TestFixedNamesSurviveReplacement: every resource the program names itself has a
// replacement strategy, and its options match it. Sub-resources keyed by their parent and a
// key that forces replacement (methods and responses by path, method and status; gateway
// responses by type) are identified by that key and need no entry.
func TestFixedNamesSurviveReplacement(t *testing.T) {
	seen := map[string]bool{}
	var runs []*stacktest.Result
	for _, stack := range stacks {
		runs = append(runs, run(t, stack, nil), runTwo(t, stack, nil))
	}
	for _, res := range runs {
		stack := res.Stack
		for _, r := range res.Resources {
			key := nameInput[r.Type]
			if key == "" {
				key = "name"
			}
			if !r.Custom || r.Str(key) == "" {
				continue // auto-named, or not named at all
			}
			id := r.Type + " " + asDefaultDataset(r.Name)
			seen[id] = true
			entry, ok := fixedNames[id]
			if !ok {
				t.Errorf("%s: %s has the fixed name %q and no replacement strategy: find the inputs that force its replacement "+
					"and add it to fixedNames (DeleteBeforeReplace if deleting first is safe, else a unique name)", stack, id, r.Str(key))
				continue
			}
			if got, want := r.DeleteBeforeReplace, entry.strategy == deleteBeforeReplace; got != want {
				t.Errorf("%s: %s DeleteBeforeReplace=%t, but its strategy is %q (%s)", stack, id, got, entry.strategy, entry.why)
			}
		}
		for _, s := range res.OfType(tStream) {
			if stack == "prod" && !s.Protect {
				t.Errorf("prod's stream %s is not protected", s.Name)
			}
		}
	}
	for id := range fixedNames {
		if !seen[id] {
			t.Errorf("fixedNames lists %s, which no stack declares", id)
		}
	}
}

// asDefaultDataset is the logical name of the default dataset's resource that another
// dataset's resource corresponds to (the example's names carry quiz_answers- or QuizAnswers):
// the same strategy holds for both.
func asDefaultDataset(name string) string {
	name = strings.Replace(name, quiz+"-", "", 1)
	return strings.Replace(name, "model-QuizAnswers", "model-", 1)
}

// TestPartitioningChangeIsADeliberateReplacement: AWS only sets dynamic partitioning when a
// stream is created; the program asks Pulumi to replace the stream rather than fail an update.
func TestPartitioningChangeIsADeliberateReplacement(t *testing.T) {
	for _, stack := range stacks {
		fh := one(t, run(t, stack, nil), tFirehose)
		if !slices.Contains(fh.ReplaceOnChanges, "extendedS3Configuration.dynamicPartitioningConfiguration.enabled") {
			t.Errorf("%s: the delivery stream must be replaced, not updated, when dynamic partitioning changes (replaceOnChanges %v)", stack, fh.ReplaceOnChanges)
		}
	}
}
