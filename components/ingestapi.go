package components

import (
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/vtl"
)

// IngestAPIArgs configures the HTTPS ingest API.
type IngestAPIArgs struct {
	Env *Env
	// Schema, UnknownFields, StreamName and StreamArn are the default dataset's: its routes
	// are POST /v1/events and /v1/events/batch.
	Schema        *schema.Schema
	UnknownFields schema.UnknownFields
	StreamName    pulumi.StringInput
	StreamArn     pulumi.StringInput
	// Others are the other datasets, each with its routes (apispec.RoutesOf) and request
	// models on the same API, stage, usage plan and key.
	Others    []APIDataset
	StageName string
	// RateLimit (requests/s) and BurstLimit throttle the stage and the API key's usage plan.
	RateLimit  float64
	BurstLimit int
	// QuotaPerDay caps requests per API key per day (0: no quota; apiKey mode only).
	QuotaPerDay int
	CorsOrigins []string
	// Auth is how producers authenticate; UserPoolArns (jwt, at least one) are the Cognito
	// user pools whose tokens the authorizer accepts, JWTScopes the OAuth scopes a token must
	// carry one of (none: ID tokens are accepted; any: access tokens with one of them).
	Auth         apispec.Auth
	UserPoolArns []string
	JWTScopes    []string
	// AccountSettings, when set, is the account's API Gateway CloudWatch role setting; stage
	// logging fails until it exists.
	AccountSettings pulumi.Resource
}

// APIDataset is a dataset the API takes events of: its schema (request models), its
// unknownFields setting and its stream.
type APIDataset struct {
	Name          string
	Schema        *schema.Schema
	UnknownFields schema.UnknownFields
	StreamName    pulumi.StringInput
	StreamArn     pulumi.StringInput
}

// datasets are the default dataset and the others, in route order.
func (a *IngestAPIArgs) datasets() []APIDataset {
	def := APIDataset{Name: schema.DefaultDataset, Schema: a.Schema, UnknownFields: a.UnknownFields, StreamName: a.StreamName, StreamArn: a.StreamArn}
	return append([]APIDataset{def}, a.Others...)
}

// validate checks one dataset of the API.
func (d APIDataset) validate() error {
	if d.Schema == nil || d.StreamName == nil || d.StreamArn == nil {
		return fmt.Errorf("its Schema, StreamName and StreamArn are required")
	}
	if err := d.Schema.Validate(); err != nil {
		return err
	}
	if d.UnknownFields != schema.KeepUnknown && d.UnknownFields != schema.RejectUnknown {
		return fmt.Errorf("UnknownFields must be %q or %q, got %q", schema.KeepUnknown, schema.RejectUnknown, d.UnknownFields)
	}
	return nil
}

// validateDatasets checks every dataset, and that no two share a name or a model name.
func (a *IngestAPIArgs) validateDatasets() error {
	models := map[string]string{}
	for i, d := range a.datasets() {
		if i > 0 {
			if err := schema.CheckDatasetName(d.Name); err != nil {
				return err
			}
		}
		if err := d.validate(); err != nil {
			return fmt.Errorf("dataset %s: %w", d.Name, err)
		}
		event, _ := apispec.ModelNames(d.Name)
		if other, ok := models[event]; ok {
			return fmt.Errorf("datasets %s and %s have the same request model name %s: rename one", other, d.Name, event)
		}
		models[event] = d.Name
	}
	return nil
}

// Validate checks the args against API Gateway's rules.
func (a *IngestAPIArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("ingest api: %w", err)
	}
	if err := a.validateDatasets(); err != nil {
		return fmt.Errorf("ingest api: %w", err)
	}
	if err := awsrules.CheckStageName(a.StageName); err != nil {
		return fmt.Errorf("ingest api: %w", err)
	}
	if a.RateLimit <= 0 || a.BurstLimit < 1 {
		return fmt.Errorf("ingest api: RateLimit and BurstLimit must be positive, got %g and %d", a.RateLimit, a.BurstLimit)
	}
	if a.QuotaPerDay < 0 {
		return fmt.Errorf("ingest api: QuotaPerDay must not be negative, got %d", a.QuotaPerDay)
	}
	if err := awsrules.CheckOrigins(a.CorsOrigins); err != nil {
		return fmt.Errorf("ingest api: %w", err)
	}
	if err := a.validateAuth(); err != nil {
		return fmt.Errorf("ingest api: %w", err)
	}
	return nil
}

// withDefaults returns a copy with the defaults filled in: Auth apiKey.
func (a *IngestAPIArgs) withDefaults() *IngestAPIArgs {
	c := *a
	if c.Auth == "" {
		c.Auth = apispec.AuthAPIKey
	}
	return &c
}

// validateAuth checks the auth mode and the settings that only it uses.
func (a *IngestAPIArgs) validateAuth() error {
	if a.Auth == "" {
		return a.withDefaults().validateAuth()
	}
	if _, err := apispec.ParseAuth(string(a.Auth)); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if a.QuotaPerDay > 0 && !a.Auth.UsesAPIKey() {
		return fmt.Errorf("QuotaPerDay %d needs Auth %s: quotas are counted per API key", a.QuotaPerDay, apispec.AuthAPIKey)
	}
	if a.Auth != apispec.AuthJWT {
		if len(a.UserPoolArns)+len(a.JWTScopes) > 0 {
			return fmt.Errorf("UserPoolArns and JWTScopes are for Auth %s, not %s", apispec.AuthJWT, a.Auth)
		}
		return nil
	}
	if len(a.UserPoolArns) == 0 {
		return fmt.Errorf("auth %s needs at least one Cognito user pool ARN", apispec.AuthJWT)
	}
	for _, arn := range a.UserPoolArns {
		if err := awsrules.CheckUserPoolArn(arn); err != nil {
			return err
		}
	}
	return awsrules.CheckOAuthScopes(a.JWTScopes)
}

// IngestAPI is a regional REST API that writes events straight to Kinesis (no Lambda):
// POST /v1/events (PutRecord) and POST /v1/events/batch (PutRecords, up to 500 events).
// Bodies are validated against models from the event schema and limited in size; callers
// authenticate as Auth says (an API key throttled by a usage plan, SigV4, or a Cognito user
// pool token); the stage writes JSON access logs.
type IngestAPI struct {
	pulumi.ResourceState
	RestAPIID   pulumi.StringOutput `pulumi:"restApiId"`
	RestAPIName pulumi.StringOutput `pulumi:"restApiName"`
	StageName   pulumi.StringOutput `pulumi:"stageName"`
	// StageArn is what a WAF web ACL is associated with.
	StageArn  pulumi.StringOutput `pulumi:"stageArn"`
	URL       pulumi.StringOutput `pulumi:"url"`
	EventsURL pulumi.StringOutput `pulumi:"eventsUrl"`
	BatchURL  pulumi.StringOutput `pulumi:"batchUrl"`
	// APIKey is the producers' key (secret), "" unless Auth is apiKey.
	APIKey pulumi.StringOutput `pulumi:"apiKey"`
	// ProducerPolicy is the IAM policy (JSON) a producer needs with Auth iam: execute-api:Invoke
	// on the two routes of this stage; "" with other modes.
	ProducerPolicy pulumi.StringOutput `pulumi:"producerPolicy"`
	// DefinitionHash changes whenever anything a deployment captures changes.
	DefinitionHash pulumi.StringOutput `pulumi:"definitionHash"`
	// URLs are every dataset's route URLs, by dataset name.
	URLs map[string]RouteURLs `pulumi:"-"`
}

// RouteURLs are a dataset's two route URLs.
type RouteURLs struct {
	EventsURL, BatchURL pulumi.StringOutput
}

// NewIngestAPI creates the API, its integrations, key, usage plan, stage and logs.
func NewIngestAPI(ctx *pulumi.Context, name string, args *IngestAPIArgs, opts ...pulumi.ResourceOption) (*IngestAPI, error) {
	if args == nil {
		return nil, fmt.Errorf("ingest api %s: args are required", name)
	}
	args = args.withDefaults()
	if err := args.Validate(); err != nil {
		return nil, err
	}
	// Built once: resources come from it, and its hash (with the stream and role filled in)
	// triggers the deployment.
	def, err := apiDefinition(args)
	if err != nil {
		return nil, fmt.Errorf("ingest api %s definition: %w", name, err)
	}
	c := &IngestAPI{}
	if err := ctx.RegisterComponentResource(typePrefix+"IngestAPI", name, c, opts...); err != nil {
		return nil, err
	}
	b := &apiBuilder{ctx: ctx, name: name, args: args, def: def, parent: pulumi.Parent(c)}
	stage, key, err := b.build()
	if err != nil {
		return nil, err
	}
	c.RestAPIID, c.RestAPIName, c.StageName, c.StageArn = b.api.ID().ToStringOutput(), b.api.Name, stage.StageName, stage.Arn
	c.URL = stage.InvokeUrl
	c.URLs = map[string]RouteURLs{}
	for _, d := range args.datasets() {
		r := apispec.RoutesOf(d.Name)
		c.URLs[d.Name] = RouteURLs{EventsURL: pulumi.Sprintf("%s%s", stage.InvokeUrl, r.Events), BatchURL: pulumi.Sprintf("%s%s", stage.InvokeUrl, r.Batch)}
	}
	c.EventsURL, c.BatchURL = c.URLs[schema.DefaultDataset].EventsURL, c.URLs[schema.DefaultDataset].BatchURL
	c.APIKey = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	if key != nil {
		c.APIKey = pulumi.ToSecret(key.Value).(pulumi.StringOutput)
	}
	c.ProducerPolicy = pulumi.String("").ToStringOutput()
	if args.Auth == apispec.AuthIAM {
		c.ProducerPolicy = producerPolicy(b.api.ExecutionArn, stage.StageName, args.datasets())
	}
	c.DefinitionHash = b.hash
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"restApiId": c.RestAPIID, "restApiName": c.RestAPIName, "stageName": c.StageName, "stageArn": c.StageArn,
		"url": c.URL, "eventsUrl": c.EventsURL, "batchUrl": c.BatchURL, "apiKey": c.APIKey,
		"producerPolicy": c.ProducerPolicy, "definitionHash": c.DefinitionHash,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// apiBuilder creates the API's resources from its definition, one named step at a time.
type apiBuilder struct {
	ctx    *pulumi.Context
	name   string
	args   *IngestAPIArgs
	def    definition
	parent pulumi.ResourceOption // the component

	role       *grantedRole
	api        *apigateway.RestApi
	apiParent  pulumi.ResourceOption
	authorizer *apigateway.Authorizer // apiAuth jwt only
	// deps is everything the deployment snapshots.
	deps []pulumi.Resource
	hash pulumi.StringOutput
}

func (b *apiBuilder) fail(what string, err error) error {
	return fmt.Errorf("ingest api %s %s: %w", b.name, what, err)
}

// build runs the steps in order and returns the stage and the API key.
func (b *apiBuilder) build() (*apigateway.Stage, *apigateway.ApiKey, error) {
	if err := b.newRole(); err != nil {
		return nil, nil, err
	}
	if err := b.newRestAPI(); err != nil {
		return nil, nil, err
	}
	models, err := b.newModels()
	if err != nil {
		return nil, nil, err
	}
	if err := b.newGatewayResponses(); err != nil {
		return nil, nil, err
	}
	if err := b.newAuthorizer(); err != nil {
		return nil, nil, err
	}
	if err := b.newRoutes(models); err != nil {
		return nil, nil, err
	}
	deployment, err := b.newDeployment()
	if err != nil {
		return nil, nil, err
	}
	stage, err := b.newStage(deployment)
	if err != nil {
		return nil, nil, err
	}
	if !b.args.Auth.UsesAPIKey() {
		return stage, nil, nil // no key to meter: the stage throttle (and the WAF) limit callers
	}
	key, err := b.newUsagePlan(stage)
	if err != nil {
		return nil, nil, err
	}
	return stage, key, nil
}

// newRole lets API Gateway put records to the datasets' streams, encrypted with the stack key.
func (b *apiBuilder) newRole() error {
	datasets := b.args.datasets()
	inputs := map[string]pulumi.StringInput{"key": b.args.Env.KeyArn}
	for i, d := range datasets {
		inputs[fmt.Sprintf("stream%d", i)] = d.StreamArn
	}
	rolePolicy := policy(inputs, func(v map[string]string) iampolicy.Document {
		streams := make([]string, len(datasets))
		for i := range datasets {
			streams[i] = v[fmt.Sprintf("stream%d", i)]
		}
		return iampolicy.New(
			iampolicy.Allow("PutToThisStream", []string{"kinesis:PutRecord", "kinesis:PutRecords"}, streams...),
			// Writing to a KMS-encrypted stream needs a data key from the stream's key.
			iampolicy.Allow("EncryptForStream", []string{"kms:GenerateDataKey"}, v["key"]).
				When("StringEquals", "kms:ViaService", b.args.Env.endpoint("kinesis")),
		)
	})
	description := "streamlake ingest API: put records to one stream"
	if len(datasets) > 1 {
		description = "streamlake ingest API: put records to the datasets' streams"
	}
	role, err := newServiceRole(b.ctx, b.name+"-role", b.args.Env, serviceRole{
		Service:     "apigateway.amazonaws.com",
		Description: description,
		Policy:      rolePolicy,
	}, b.parent)
	if err != nil {
		return b.fail("role", err)
	}
	b.role = role
	return nil
}

func (b *apiBuilder) newRestAPI() error {
	api, err := apigateway.NewRestApi(b.ctx, b.name+"-api", &apigateway.RestApiArgs{
		Description:           pulumi.Sprintf("streamlake %s ingest: POST events to Kinesis", b.ctx.Stack()),
		EndpointConfiguration: &apigateway.RestApiEndpointConfigurationArgs{Types: pulumi.String("REGIONAL")},
		ApiKeySource:          pulumi.String("HEADER"),
	}, b.parent)
	if err != nil {
		return b.fail("rest api", err)
	}
	b.api, b.apiParent = api, pulumi.Parent(api)
	return nil
}

// newModels declares the request models generated from the event schema.
func (b *apiBuilder) newModels() (map[string]*apigateway.Model, error) {
	models := map[string]*apigateway.Model{}
	for _, mname := range slices.Sorted(maps.Keys(b.def.Models)) {
		m, err := apigateway.NewModel(b.ctx, b.name+"-model-"+mname, &apigateway.ModelArgs{
			RestApi:     b.api.ID(),
			Name:        pulumi.String(mname),
			ContentType: pulumi.String(vtl.ContentType),
			Description: pulumi.Sprintf("%s, generated from the event schema", mname),
			Schema:      pulumi.String(b.def.Models[mname]),
		}, b.apiParent)
		if err != nil {
			return nil, b.fail("model "+mname, err)
		}
		models[mname] = m
		b.deps = append(b.deps, m)
	}
	return models, nil
}

// newGatewayResponses gives the errors API Gateway answers itself a JSON body.
func (b *apiBuilder) newGatewayResponses() error {
	for _, typ := range slices.Sorted(maps.Keys(b.def.Gateway)) {
		gr := b.def.Gateway[typ]
		r, err := apigateway.NewResponse(b.ctx, b.name+"-gateway-"+typ, &apigateway.ResponseArgs{
			RestApiId:          b.api.ID(),
			ResponseType:       pulumi.String(typ),
			StatusCode:         optString(gr.Status),
			ResponseTemplates:  pulumi.StringMap{vtl.ContentType: pulumi.String(gr.Template)},
			ResponseParameters: pulumi.ToStringMap(gr.Parameters),
		}, b.apiParent)
		if err != nil {
			return b.fail("gateway response "+typ, err)
		}
		b.deps = append(b.deps, r)
	}
	return nil
}

// newAuthorizer creates the user pool authorizer of apiAuth jwt: API Gateway checks the
// token's signature, expiry and issuer (one of the pools) before anything else runs.
func (b *apiBuilder) newAuthorizer() error {
	cfg := b.def.Authorizer
	if cfg == nil {
		return nil
	}
	a, err := apigateway.NewAuthorizer(b.ctx, b.name+"-authorizer", &apigateway.AuthorizerArgs{
		RestApi:        b.api.ID(),
		Name:           pulumi.String(cfg.Name),
		Type:           pulumi.String(authCognito),
		ProviderArns:   pulumi.ToStringArray(cfg.ProviderArns),
		IdentitySource: pulumi.String(cfg.IdentitySource),
	}, b.apiParent)
	if err != nil {
		return b.fail("authorizer", err)
	}
	b.authorizer = a
	b.deps = append(b.deps, a)
	return nil
}

// newPaths creates the API's resource tree (apiPaths), keyed by path.
func (b *apiBuilder) newPaths() (map[string]*apigateway.Resource, error) {
	paths := map[string]*apigateway.Resource{}
	for _, p := range apiPaths(b.args.datasets()) {
		parentID := b.api.RootResourceId
		if parent := path.Dir(p.Path); parent != "/" {
			parentID = paths[parent].ID().ToStringOutput()
		}
		r, err := apigateway.NewResource(b.ctx, b.name+"-"+p.ID, &apigateway.ResourceArgs{
			RestApi: b.api.ID(), ParentId: parentID, PathPart: pulumi.String(path.Base(p.Path)),
		}, b.apiParent)
		if err != nil {
			return nil, b.fail("resource "+p.Path, err)
		}
		paths[p.Path] = r
		b.deps = append(b.deps, r)
	}
	return paths, nil
}

// newRoutes creates the request validator, the path tree and every route on it.
func (b *apiBuilder) newRoutes(models map[string]*apigateway.Model) error {
	validator, err := apigateway.NewRequestValidator(b.ctx, b.name+"-validator", &apigateway.RequestValidatorArgs{
		RestApi:                   b.api.ID(),
		Name:                      pulumi.String("body-and-parameters"),
		ValidateRequestBody:       pulumi.Bool(b.def.Method.ValidateBody),
		ValidateRequestParameters: pulumi.Bool(b.def.Method.ValidateParams),
	}, b.apiParent)
	if err != nil {
		return b.fail("validator", err)
	}
	paths, err := b.newPaths()
	if err != nil {
		return err
	}
	for _, rt := range b.def.Routes {
		res, ok := paths[rt.Path]
		if !ok {
			return b.fail(rt.ID, fmt.Errorf("route path %s is not among the API's paths", rt.Path))
		}
		if err := b.newRoute(rt, res, validator, models[rt.Model]); err != nil {
			return err
		}
	}
	return nil
}

// newRoute creates a POST method with its Kinesis integration, responses and preflight.
func (b *apiBuilder) newRoute(rt route, res *apigateway.Resource, validator *apigateway.RequestValidator, model *apigateway.Model) error {
	id := b.name + "-" + rt.ID
	m := b.def.Method
	margs := &apigateway.MethodArgs{
		RestApi:            b.api.ID(),
		ResourceId:         res.ID(),
		HttpMethod:         pulumi.String("POST"),
		Authorization:      pulumi.String(m.Authorization),
		ApiKeyRequired:     pulumi.Bool(m.APIKeyRequired),
		RequestValidatorId: validator.ID(),
		RequestModels:      pulumi.StringMap{vtl.ContentType: model.Name},
		OperationName:      pulumi.String(rt.Action),
	}
	if b.authorizer != nil {
		margs.AuthorizerId = b.authorizer.ID()
		if len(m.AuthorizationScopes) > 0 {
			margs.AuthorizationScopes = pulumi.ToStringArray(m.AuthorizationScopes)
		}
	}
	method, err := apigateway.NewMethod(b.ctx, id, margs, b.apiParent)
	if err != nil {
		return b.fail(id+" method", err)
	}
	integration, err := apigateway.NewIntegration(b.ctx, id+"-integration", &apigateway.IntegrationArgs{
		RestApi:               b.api.ID(),
		ResourceId:            res.ID(),
		HttpMethod:            method.HttpMethod,
		Type:                  pulumi.String("AWS"),
		IntegrationHttpMethod: pulumi.String("POST"),
		Uri:                   pulumi.String(b.kinesisActionURI(rt.Action)),
		Credentials:           b.role.Arn,
		PassthroughBehavior:   pulumi.String(m.Passthrough),
		RequestParameters:     pulumi.ToStringMap(m.RequestParameters),
		RequestTemplates:      pulumi.StringMap{vtl.ContentType: b.args.datasets()[rt.stream].StreamName.ToStringOutput().ApplyT(rt.request).(pulumi.StringOutput)},
		TimeoutMilliseconds:   pulumi.Int(m.TimeoutMs),
	}, b.apiParent, pulumi.DependsOn(b.role.Ready))
	if err != nil {
		return b.fail(id+" integration", err)
	}
	b.deps = append(b.deps, method, integration)
	methodResponses, err := b.newMethodResponses(id, res, method)
	if err != nil {
		return err
	}
	if err := b.newIntegrationResponses(id, rt, res, method, append(methodResponses, integration)); err != nil {
		return err
	}
	if cors := (vtl.CORS{Origins: b.args.CorsOrigins}); cors.Enabled() {
		pre, err := newPreflight(b.ctx, id, b.api, res, cors, m, b.apiParent)
		if err != nil {
			return b.fail(id+" preflight", err)
		}
		b.deps = append(b.deps, pre...)
	}
	return nil
}

// kinesisActionURI is an AWS-service integration's target: the ARN-shaped API Gateway
// service URI arn:<partition>:apigateway:<region>:kinesis:action/<Action>, whose fifth field
// names the service rather than an account.
func (b *apiBuilder) kinesisActionURI(action string) string {
	return b.args.Env.arn("apigateway", "kinesis", "action/"+action)
}

// newMethodResponses declares every status the method may answer.
func (b *apiBuilder) newMethodResponses(id string, res *apigateway.Resource, method *apigateway.Method) ([]pulumi.Resource, error) {
	var out []pulumi.Resource
	for _, status := range b.def.Method.Statuses {
		mr, err := apigateway.NewMethodResponse(b.ctx, fmt.Sprintf("%s-response-%s", id, status), &apigateway.MethodResponseArgs{
			RestApi:            b.api.ID(),
			ResourceId:         res.ID(),
			HttpMethod:         method.HttpMethod,
			StatusCode:         pulumi.String(status),
			ResponseModels:     pulumi.StringMap{vtl.ContentType: pulumi.String("Empty")},
			ResponseParameters: responseHeaders(b.def.Method),
		}, b.apiParent)
		if err != nil {
			return nil, b.fail(id+" method response", err)
		}
		out = append(out, mr)
		b.deps = append(b.deps, mr)
	}
	return out, nil
}

// newIntegrationResponses maps Kinesis's answers (by status pattern) to the route's templates.
func (b *apiBuilder) newIntegrationResponses(id string, rt route, res *apigateway.Resource, method *apigateway.Method, after []pulumi.Resource) error {
	for _, pattern := range []string{patternOK, patternClient, patternServer} {
		status := b.def.Method.IntegrationStatus[pattern]
		ir, err := apigateway.NewIntegrationResponse(b.ctx, fmt.Sprintf("%s-integration-%s", id, status), &apigateway.IntegrationResponseArgs{
			RestApi:           b.api.ID(),
			ResourceId:        res.ID(),
			HttpMethod:        method.HttpMethod,
			StatusCode:        pulumi.String(status),
			SelectionPattern:  optString(pattern),
			ResponseTemplates: pulumi.StringMap{vtl.ContentType: pulumi.String(rt.Responses[pattern])},
		}, b.apiParent, pulumi.DependsOn(after))
		if err != nil {
			return b.fail(id+" integration response", err)
		}
		b.deps = append(b.deps, ir)
	}
	return nil
}

// newDeployment snapshots the API; the definition's hash re-creates it on every change.
func (b *apiBuilder) newDeployment() (*apigateway.Deployment, error) {
	var targets []any
	for _, d := range b.args.datasets() {
		targets = append(targets, d.StreamName)
	}
	b.hash = pulumi.All(append(targets, b.role.Arn)...).ApplyT(func(v []any) (string, error) {
		streams := make([]string, len(v)-1)
		for i := range streams {
			streams[i] = v[i].(string)
		}
		return b.def.withTargets(streams, v[len(v)-1].(string)).hash()
	}).(pulumi.StringOutput)
	deployment, err := apigateway.NewDeployment(b.ctx, b.name+"-deployment", &apigateway.DeploymentArgs{
		RestApi:     b.api.ID(),
		Description: pulumi.Sprintf("definition %s", b.hash),
		Triggers:    pulumi.StringMap{"definition": b.hash},
	}, b.apiParent, pulumi.DependsOn(b.deps))
	if err != nil {
		return nil, b.fail("deployment", err)
	}
	return deployment, nil
}

// newStage creates the stage with its access and execution log groups and method settings.
func (b *apiBuilder) newStage(deployment *apigateway.Deployment) (*apigateway.Stage, error) {
	accessLogs, err := newLogGroup(b.ctx, b.name+"-access-logs", b.args.Env, nil, b.parent)
	if err != nil {
		return nil, b.fail("access logs", err)
	}
	// API Gateway creates this group itself, without retention, unless it exists first.
	execLogs, err := newLogGroup(b.ctx, b.name+"-execution-logs", b.args.Env,
		pulumi.Sprintf("API-Gateway-Execution-Logs_%s/%s", b.api.ID(), b.args.StageName), b.parent)
	if err != nil {
		return nil, b.fail("execution logs", err)
	}
	format, err := vtl.AccessLogFormat()
	if err != nil {
		return nil, b.fail("access log format", err)
	}
	stageDeps := []pulumi.Resource{execLogs}
	if b.args.AccountSettings != nil {
		stageDeps = append(stageDeps, b.args.AccountSettings)
	}
	stage, err := apigateway.NewStage(b.ctx, b.name+"-stage", &apigateway.StageArgs{
		RestApi:     b.api.ID(),
		Deployment:  deployment.ID(),
		StageName:   pulumi.String(b.args.StageName),
		Description: pulumi.Sprintf("streamlake %s", b.ctx.Stack()),
		AccessLogSettings: &apigateway.StageAccessLogSettingsArgs{
			DestinationArn: accessLogs.Arn,
			Format:         pulumi.String(format),
		},
	}, b.apiParent, pulumi.DependsOn(stageDeps))
	if err != nil {
		return nil, b.fail("stage", err)
	}
	if _, err := apigateway.NewMethodSettings(b.ctx, b.name+"-method-settings", &apigateway.MethodSettingsArgs{
		RestApi:    b.api.ID(),
		StageName:  stage.StageName,
		MethodPath: pulumi.String("*/*"),
		Settings: &apigateway.MethodSettingsSettingsArgs{
			MetricsEnabled: pulumi.Bool(true),
			LoggingLevel:   pulumi.String("ERROR"),
			// Request and response bodies carry personal data: never log them.
			DataTraceEnabled:     pulumi.Bool(false),
			ThrottlingRateLimit:  pulumi.Float64(b.args.RateLimit),
			ThrottlingBurstLimit: pulumi.Int(b.args.BurstLimit),
		},
	}, b.apiParent); err != nil {
		return nil, b.fail("method settings", err)
	}
	return stage, nil
}

// newUsagePlan creates the producers' API key and the plan that throttles it.
func (b *apiBuilder) newUsagePlan(stage *apigateway.Stage) (*apigateway.ApiKey, error) {
	key, err := apigateway.NewApiKey(b.ctx, b.name+"-key", &apigateway.ApiKeyArgs{
		Description: pulumi.Sprintf("streamlake %s producers", b.ctx.Stack()),
		Enabled:     pulumi.Bool(true),
	}, b.parent)
	if err != nil {
		return nil, b.fail("api key", err)
	}
	plan := &apigateway.UsagePlanArgs{
		Description: pulumi.Sprintf("streamlake %s producers: throttle and quota", b.ctx.Stack()),
		ApiStages:   apigateway.UsagePlanApiStageArray{&apigateway.UsagePlanApiStageArgs{ApiId: b.api.ID(), Stage: stage.StageName}},
		ThrottleSettings: &apigateway.UsagePlanThrottleSettingsArgs{
			RateLimit:  pulumi.Float64(b.args.RateLimit),
			BurstLimit: pulumi.Int(b.args.BurstLimit),
		},
	}
	if b.args.QuotaPerDay > 0 {
		plan.QuotaSettings = &apigateway.UsagePlanQuotaSettingsArgs{Limit: pulumi.Int(b.args.QuotaPerDay), Period: pulumi.String("DAY")}
	}
	usagePlan, err := apigateway.NewUsagePlan(b.ctx, b.name+"-usage-plan", plan, b.parent)
	if err != nil {
		return nil, b.fail("usage plan", err)
	}
	if _, err := apigateway.NewUsagePlanKey(b.ctx, b.name+"-usage-plan-key", &apigateway.UsagePlanKeyArgs{
		KeyId: key.ID(), KeyType: pulumi.String("API_KEY"), UsagePlanId: usagePlan.ID(),
	}, pulumi.Parent(usagePlan)); err != nil {
		return nil, b.fail("usage plan key", err)
	}
	return key, nil
}

// responseHeaders declares the headers the integration templates may set.
func responseHeaders(method methodConfig) pulumi.BoolMap {
	m := pulumi.BoolMap{}
	for _, h := range method.ResponseHeaders {
		m["method.response.header."+h] = pulumi.Bool(false)
	}
	return m
}

// newPreflight answers OPTIONS on a resource with a MOCK integration.
func newPreflight(ctx *pulumi.Context, id string, api *apigateway.RestApi, res *apigateway.Resource, cors vtl.CORS, method methodConfig, opts ...pulumi.ResourceOption) ([]pulumi.Resource, error) {
	m, err := apigateway.NewMethod(ctx, id+"-options", &apigateway.MethodArgs{
		RestApi: api.ID(), ResourceId: res.ID(), HttpMethod: pulumi.String("OPTIONS"),
		// Browsers send preflights without credentials or API keys.
		Authorization: pulumi.String("NONE"), ApiKeyRequired: pulumi.Bool(false),
	}, opts...)
	if err != nil {
		return nil, err
	}
	integ, err := apigateway.NewIntegration(ctx, id+"-options-integration", &apigateway.IntegrationArgs{
		RestApi: api.ID(), ResourceId: res.ID(), HttpMethod: m.HttpMethod, Type: pulumi.String("MOCK"),
		RequestTemplates: pulumi.StringMap{vtl.ContentType: pulumi.String(vtl.PreflightRequest)},
	}, opts...)
	if err != nil {
		return nil, err
	}
	params := responseHeaders(method)
	values := pulumi.StringMap{}
	for k, v := range method.PreflightHeaders {
		params[k] = pulumi.Bool(false)
		values[k] = pulumi.String(v)
	}
	mr, err := apigateway.NewMethodResponse(ctx, id+"-options-response", &apigateway.MethodResponseArgs{
		RestApi: api.ID(), ResourceId: res.ID(), HttpMethod: m.HttpMethod, StatusCode: pulumi.String("200"),
		ResponseParameters: params,
	}, opts...)
	if err != nil {
		return nil, err
	}
	ir, err := apigateway.NewIntegrationResponse(ctx, id+"-options-integration-response", &apigateway.IntegrationResponseArgs{
		RestApi: api.ID(), ResourceId: res.ID(), HttpMethod: m.HttpMethod, StatusCode: pulumi.String("200"),
		ResponseParameters: values,
		ResponseTemplates:  pulumi.StringMap{vtl.ContentType: pulumi.String(cors.PreflightResponse())},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{mr, integ}))...)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{m, integ, mr, ir}, nil
}

// producerPolicy is the IAM policy a producer needs with apiAuth iam: execute-api:Invoke on
// POST of the datasets' routes of this stage, and nothing else.
func producerPolicy(executionArn, stage pulumi.StringInput, datasets []APIDataset) pulumi.StringOutput {
	return policy(map[string]pulumi.StringInput{"api": executionArn, "stage": stage}, func(v map[string]string) iampolicy.Document {
		var arns []string
		for _, d := range datasets {
			r := apispec.RoutesOf(d.Name)
			for _, p := range []string{r.Events, r.Batch} {
				arns = append(arns, fmt.Sprintf("%s/%s/POST%s", v["api"], v["stage"], p))
			}
		}
		return iampolicy.New(iampolicy.Allow("SendEvents", []string{"execute-api:Invoke"}, arns...))
	})
}

func optString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}
