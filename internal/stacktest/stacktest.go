// Package stacktest runs the streamlake program under Pulumi mocks with the configuration of a
// real stack file (Pulumi.yaml defaults plus Pulumi.<stack>.yaml values, as the CLI passes
// them) and records every resource the program declares: type, name, parent, options and
// inputs. Whole-stack tests and the policy suite are built on it.
package stacktest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/streamlake/streamlake/lambdapkg"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stackfile"
	"github.com/streamlake/streamlake/stacks"
)

// Account is the account id the mocks report.
const Account = "123456789012"

// Resource is one declared resource.
type Resource struct {
	Type   string
	Name   string
	URN    string
	Parent string // parent URN ("" for the stack itself)
	Custom bool
	// Protect and RetainOnDelete are the resource options.
	Protect, RetainOnDelete bool
	// DeleteBeforeReplace and ReplaceOnChanges are the replacement options.
	DeleteBeforeReplace bool
	ReplaceOnChanges    []string
	DependsOn           []string
	// Aliases are the URNs the resource had before (pulumi.Aliases), resolved as the engine
	// would: a resource with an alias takes over the live resource of that URN.
	Aliases []string
	// Inputs are the resource's inputs as plain Go values (secrets unwrapped).
	Inputs map[string]any
	// State is what the mock returned (inputs plus computed outputs).
	State map[string]any
}

// Result is a finished mock run.
type Result struct {
	Stack     string
	Resources []*Resource
	Exports   map[string]any
	// SecretExports names the exports marked secret.
	SecretExports map[string]bool
	// Warnings are the warnings the program logged (ctx.Log.Warn).
	Warnings []string
	// Invokes are the provider functions the program called (live lookups), each with its
	// arguments, in call order.
	Invokes []Invoke
}

// Invoke is one provider function call.
type Invoke struct {
	Token string
	Args  map[string]any
}

// Options configure a run.
type Options struct {
	Stack string
	// Config overrides keys of the stack file; unqualified keys are in the project namespace.
	// Values are as the CLI passes them: plain strings, JSON for lists and objects.
	Config map[string]string
	// Unset removes keys (unqualified names) from the stack file's values, as `pulumi config rm`
	// would: a key Pulumi.yaml declares falls back to its default there.
	Unset []string
	// LiveShards is the open shard count of the deployed stream the program reads at preview;
	// 0 means the stream does not exist yet.
	LiveShards int
	// LookupError, when set, is the error of the live stream lookup (e.g. AccessDenied).
	LookupError string
	// LiveTable is the deployed Glue table the program reads at preview (DeployedTable gives
	// the one the default schema deploys); nil means it does not exist yet.
	LiveTable *schema.Table
	// TableLookupError, when set, is the error of the live table lookup.
	TableLookupError string
	// Program runs instead of the default stacks.Run when set.
	Program pulumi.RunFunc
	// Datasets, when set, are the datasets the program deploys instead of the ones built into
	// it (stacks.RunWith): the default first, then e.g. the example (ExampleDatasets).
	Datasets []schema.Dataset
	DryRun   bool
}

// ExampleDatasets are the datasets built into the program and the example dataset
// (schema.ExampleDatasetFile, quiz_answers), which no stack deploys by itself.
func ExampleDatasets() ([]schema.Dataset, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	ds, err := schema.Datasets()
	if err != nil {
		return nil, err
	}
	q, err := schema.LoadDataset(filepath.Join(root, schema.ExampleDatasetFile))
	if err != nil {
		return nil, err
	}
	return append(ds, q), nil
}

// ExampleDatasetConfig is the stack configuration the example dataset needs: it has no
// extras field, so it rejects unknown fields; and it takes two shards.
const ExampleDatasetConfig = `{"quiz_answers": {"unknownFields": "reject", "shardCount": 2}}`

// Root returns the module root, which holds go.mod and Pulumi.yaml.
func Root() (string, error) { return lambdapkg.FindModuleRoot(".") }

// Project is the project name in Pulumi.yaml.
func Project() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	return stackfile.ProjectName(root)
}

// Stacks lists the stacks that have a Pulumi.<stack>.yaml file.
func Stacks() ([]string, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	return stackconfig.StackNames(root)
}

// StackConfig returns the configuration the Pulumi CLI would pass to the program for a stack:
// project defaults from Pulumi.yaml overlaid by the stack file, fully qualified keys, values
// as strings (JSON for lists and objects). The reading is stackfile.Config's, which the ops
// CLI shares.
func StackConfig(stack string) (map[string]string, error) {
	return stackConfig(stack, nil)
}

// stackConfig is StackConfig without the stack file's values of the unset keys.
func stackConfig(stack string, unset []string) (map[string]string, error) {
	root, err := Root()
	if err != nil {
		return nil, err
	}
	return stackfile.Config(root, stack, unset...)
}

// configEnv serializes runs: the program reads its configuration from the PULUMI_CONFIG
// environment variable, as under the Pulumi CLI, and the variable is process-wide.
var configEnv sync.Mutex

// Run runs the program for a stack under mocks. The configuration reaches the program the way
// the Go language host passes it, in PULUMI_CONFIG, so that the SDK and the program read it
// exactly as in a real preview.
func Run(opts Options) (*Result, error) {
	project, err := Project()
	if err != nil {
		return nil, err
	}
	cfg, err := stackConfig(opts.Stack, opts.Unset)
	if err != nil {
		return nil, err
	}
	for k, v := range opts.Config {
		cfg[stackfile.Qualify(project, k)] = v
	}
	env, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	m := &mocks{liveShards: opts.LiveShards, lookupError: opts.LookupError, liveTable: opts.LiveTable, tableLookupError: opts.TableLookupError,
		region: cfg["aws:region"], stack: opts.Stack, project: project}
	res := &Result{Stack: opts.Stack, Exports: map[string]any{}, SecretExports: map[string]bool{}}
	program := opts.Program
	switch {
	case program == nil && opts.Datasets != nil:
		program = stacks.RunWith(opts.Datasets)
	case program == nil:
		program = stacks.Run
	}
	configEnv.Lock()
	defer configEnv.Unlock()
	old, had := os.LookupEnv(pulumi.EnvConfig)
	defer func() {
		if had {
			_ = os.Setenv(pulumi.EnvConfig, old)
		} else {
			_ = os.Unsetenv(pulumi.EnvConfig)
		}
	}()
	if err := os.Setenv(pulumi.EnvConfig, string(env)); err != nil {
		return nil, err
	}
	err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		ctx.Log = &recordingLog{Log: ctx.Log, res: res}
		if err := program(ctx); err != nil {
			return err
		}
		return CollectExports(ctx, res)
	}, pulumi.WithMocks(project, opts.Stack, m), func(info *pulumi.RunInfo) {
		info.DryRun = opts.DryRun
	})
	if err != nil {
		return nil, err
	}
	res.Resources = m.sorted()
	m.mu.Lock()
	res.Invokes = append([]Invoke(nil), m.invokes...)
	m.mu.Unlock()
	return res, nil
}

// recordingLog keeps the program's warnings for the test to read.
type recordingLog struct {
	pulumi.Log
	mu  sync.Mutex
	res *Result
}

func (l *recordingLog) Warn(msg string, args *pulumi.LogArgs) error {
	l.mu.Lock()
	l.res.Warnings = append(l.res.Warnings, msg)
	l.mu.Unlock()
	return l.Log.Warn(msg, args)
}

// CollectExports waits for the program's exports and records them (and which are secret) in
// res, whose maps must be made.
func CollectExports(ctx *pulumi.Context, res *Result) error {
	exports := ctx.GetCurrentExportMap()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for k, v := range exports {
		wg.Add(1)
		out := pulumi.ToOutput(v)
		k := k
		pulumi.All(out).ApplyT(func(vals []any) any {
			mu.Lock()
			res.Exports[k] = vals[0]
			mu.Unlock()
			wg.Done()
			return nil
		})
	}
	wg.Wait()
	for k, v := range exports {
		if pulumi.IsSecret(pulumi.ToOutput(v)) {
			res.SecretExports[k] = true
		}
	}
	return nil
}

type mocks struct {
	mu             sync.Mutex
	resources      []*Resource
	invokes        []Invoke
	liveShards     int
	lookupError    string
	region         string
	stack, project string

	liveTable        *schema.Table
	tableLookupError string
}

func (m *mocks) sorted() []*Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := append([]*Resource(nil), m.resources...)
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// NewResource records the resource and returns its inputs plus the outputs AWS would compute.
func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := &Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: Plain(args.Inputs),
	}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Protect = rpc.GetProtect()
		r.RetainOnDelete = rpc.GetRetainOnDelete()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		r.ReplaceOnChanges = rpc.GetReplaceOnChanges()
		r.DependsOn = rpc.GetDependencies()
		r.URN = m.urn(rpc.GetParent(), args.TypeToken, args.Name)
		r.Aliases = m.aliases(rpc.GetParent(), args.TypeToken, args.Name, rpc.GetAliasURNs(), rpc.GetAliases())
	}
	state := args.Inputs.Copy()
	id := args.Name + "-id"
	computed := m.computed(args.TypeToken, args.Name, args.Inputs)
	for k, v := range computed {
		if _, ok := state[resource.PropertyKey(k)]; !ok || k == "arn" {
			state[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	if v, ok := computed["id"]; ok {
		id = v.(string)
	}
	r.State = Plain(state)
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return id, state, nil
}

// urn builds the URN the mock monitor gives the resource, so Parent fields match URNs.
func (m *mocks) urn(parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.stack), tokens.PackageName(m.project), parentType, tokens.Type(typ), name))
}

// aliases resolves a resource's aliases to URNs: given URNs as they are, specs with the
// resource's own name, type and parent where the spec leaves them out.
func (m *mocks) aliases(parent, typ, name string, urns []string, specs []*pulumirpc.Alias) []string {
	out := append([]string(nil), urns...)
	for _, a := range specs {
		if u := a.GetUrn(); u != "" {
			out = append(out, u)
			continue
		}
		s := a.GetSpec()
		if s == nil {
			continue
		}
		n, t, p := name, typ, parent
		if s.GetName() != "" {
			n = s.GetName()
		}
		if s.GetType() != "" {
			t = s.GetType()
		}
		switch {
		case s.GetNoParent():
			p = ""
		case s.GetParentUrn() != "":
			p = s.GetParentUrn()
		}
		out = append(out, m.urn(p, t, n))
	}
	return out
}

// autoname mimics Pulumi's auto-naming: the logical name and seven random characters, which
// differ between stacks (real auto-names are random).
func (m *mocks) autoname(name string) string {
	sum := sha256.Sum256([]byte(m.stack + "/" + name))
	return name + "-" + hex.EncodeToString(sum[:])[:7]
}

func (m *mocks) computed(typ, name string, in resource.PropertyMap) map[string]any {
	str := func(k string) string {
		if v, ok := in[resource.PropertyKey(k)]; ok && v.IsString() {
			return v.StringValue()
		}
		return ""
	}
	physical := str("name")
	if physical == "" {
		physical = m.autoname(name)
	}
	svc := strings.SplitN(strings.TrimPrefix(typ, "aws:"), "/", 2)[0]
	arn := fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", svc, m.region, Account, strings.ToLower(typ[strings.LastIndex(typ, ":")+1:]), physical)
	out := map[string]any{"name": physical, "arn": arn}
	switch typ {
	case "aws:s3/bucketV2:BucketV2":
		b := str("bucket")
		if b == "" {
			b = strings.ToLower(m.autoname(name))
		}
		out["bucket"], out["arn"], out["id"] = b, "arn:aws:s3:::"+b, b
		delete(out, "name")
	case "aws:kms/key:Key":
		out["keyId"] = "key-" + m.autoname(name)
		out["arn"] = fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", m.region, Account, out["keyId"])
		delete(out, "name")
	case "aws:iam/role:Role":
		out["arn"] = fmt.Sprintf("arn:aws:iam::%s:role/%s", Account, physical)
	case "aws:kinesis/stream:Stream":
		out["arn"] = fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", m.region, Account, physical)
	case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
		out["arn"] = fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", m.region, Account, physical)
	case "aws:cloudwatch/logGroup:LogGroup":
		out["arn"] = fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", m.region, Account, physical)
	case "aws:lambda/function:Function":
		out["arn"] = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", m.region, Account, physical)
		out["invokeArn"] = fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", m.region, out["arn"])
		out["qualifiedArn"] = out["arn"].(string) + ":1"
		out["version"] = "1"
	case "aws:glue/catalogTable:CatalogTable":
		out["arn"] = fmt.Sprintf("arn:aws:glue:%s:%s:table/%s/%s", m.region, Account, str("databaseName"), physical)
	case "aws:glue/catalogDatabase:CatalogDatabase":
		out["arn"] = fmt.Sprintf("arn:aws:glue:%s:%s:database/%s", m.region, Account, physical)
	case "aws:athena/workgroup:Workgroup":
		out["arn"] = fmt.Sprintf("arn:aws:athena:%s:%s:workgroup/%s", m.region, Account, physical)
	case "aws:sns/topic:Topic":
		out["arn"] = fmt.Sprintf("arn:aws:sns:%s:%s:%s", m.region, Account, physical)
	case "aws:apigateway/restApi:RestApi":
		out["id"] = m.apiID()
		out["rootResourceId"] = "root000001"
		out["executionArn"] = fmt.Sprintf("arn:aws:execute-api:%s:%s:%s", m.region, Account, out["id"])
	case "aws:apigateway/stage:Stage":
		out["invokeUrl"] = fmt.Sprintf("https://%s.execute-api.%s.amazonaws.com/%s", m.apiID(), m.region, str("stageName"))
		out["executionArn"] = fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s", m.region, Account, m.apiID(), str("stageName"))
		out["arn"] = fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s/stages/%s", m.region, m.apiID(), str("stageName"))
	case "aws:wafv2/webAcl:WebAcl":
		out["arn"] = fmt.Sprintf("arn:aws:wafv2:%s:%s:regional/webacl/%s/%s-id", m.region, Account, physical, name)
	case "aws:apigateway/apiKey:ApiKey":
		out["value"] = resource.MakeSecret(resource.NewStringProperty("mock-api-key-value-0123456789"))
	}
	return out
}

// apiID is the REST API id of the stack (ten characters, like API Gateway's).
func (m *mocks) apiID() string {
	sum := sha256.Sum256([]byte(m.stack + "/api"))
	return hex.EncodeToString(sum[:])[:10]
}

// Call answers the invokes the program makes.
func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, Invoke{Token: args.Token, Args: Plain(args.Args)})
	m.mu.Unlock()
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": Account, "arn": "arn:aws:iam::" + Account + ":user/ci", "userId": "AIDA0000", "id": Account,
		}), nil
	case "aws:kinesis/getStream:getStream":
		name := args.Args["name"].StringValue()
		if m.lookupError != "" {
			return nil, errors.New(m.lookupError)
		}
		if m.liveShards == 0 {
			// The provider's text for a stream that does not exist (pulumi-aws v6.83.0).
			return nil, fmt.Errorf("invocation of aws:kinesis/getStream:getStream returned an error: invoking aws:kinesis/getStream:getStream: 1 error occurred:\n\t* reading Kinesis Stream (%s): couldn't find resource", name)
		}
		shards := make([]any, m.liveShards)
		for i := range shards {
			shards[i] = fmt.Sprintf("shardId-%012d", i)
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"name": args.Args["name"].StringValue(), "openShards": shards, "closedShards": []any{},
			"arn": "arn:aws:kinesis:" + m.region + ":" + Account + ":stream/" + args.Args["name"].StringValue(),
		}), nil
	case "aws:glue/getCatalogTable:getCatalogTable":
		return m.table(args.Args["databaseName"].StringValue(), args.Args["name"].StringValue())
	}
	return nil, fmt.Errorf("mock: unexpected invoke %s", args.Token)
}

// DeployedTable is the Glue table the schema deploys, as glue.getCatalogTable reports it.
func DeployedTable(s *schema.Schema) *schema.Table {
	return &schema.Table{Columns: s.GlueColumns(), PartitionKeys: s.PartitionColumns()}
}

// table answers glue.getCatalogTable from the LiveTable option.
func (m *mocks) table(database, name string) (resource.PropertyMap, error) {
	if m.tableLookupError != "" {
		return nil, errors.New(m.tableLookupError)
	}
	if m.liveTable == nil {
		// The provider's text for a table (or database) that does not exist (pulumi-aws v6.83.0).
		return nil, fmt.Errorf("invocation of aws:glue/getCatalogTable:getCatalogTable returned an error: invoking aws:glue/getCatalogTable:getCatalogTable: "+
			"1 error occurred:\n\t* No Glue table %s found for catalog_id: %s, database_name: %s", name, Account, database)
	}
	cols := func(cs []schema.Column) []any {
		out := make([]any, len(cs))
		for i, c := range cs {
			out[i] = map[string]any{"name": c.Name, "type": c.Type, "comment": c.Comment}
		}
		return out
	}
	return resource.NewPropertyMapFromMap(map[string]any{
		"name": name, "databaseName": database, "catalogId": Account,
		"storageDescriptors": []any{map[string]any{"columns": cols(m.liveTable.Columns)}},
		"partitionKeys":      cols(m.liveTable.PartitionKeys),
	}), nil
}

// Plain converts a property map to plain Go values: secrets unwrapped, outputs to their
// element, resource references to their URN, unknowns to nil.
func Plain(pm resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(pm))
	for k, v := range pm {
		out[string(k)] = plainValue(v)
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plainValue(v.SecretValue().Element)
	case v.IsOutput():
		if !v.OutputValue().Known {
			return nil
		}
		return plainValue(v.OutputValue().Element)
	case v.IsComputed():
		return nil
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsObject():
		return Plain(v.ObjectValue())
	case v.IsArray():
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = plainValue(e)
		}
		return out
	case v.IsNull():
		return nil
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	case v.IsAsset():
		return map[string]any{"asset": v.AssetValue().Hash}
	case v.IsArchive():
		a := v.ArchiveValue()
		return map[string]any{"archive": a.Hash, "path": a.Path}
	}
	return v.V
}
