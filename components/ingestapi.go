package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/apigateway"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/vtl"
)

// IngestAPIArgs configures the HTTPS ingest API.
type IngestAPIArgs struct {
	Env           *Env
	Schema        *schema.Schema
	UnknownFields schema.UnknownFields
	StreamName    pulumi.StringInput
	StreamArn     pulumi.StringInput
	StageName     string
	// RateLimit (requests/s) and BurstLimit throttle the stage and the API key's usage plan.
	RateLimit  float64
	BurstLimit int
	// QuotaPerDay caps requests per API key per day (0: no quota).
	QuotaPerDay int
	CorsOrigins []string
	// AccountSettings, when set, is the account's API Gateway CloudWatch role setting; stage
	// logging fails until it exists.
	AccountSettings pulumi.Resource
}

// Validate checks the args against API Gateway's rules.
func (a *IngestAPIArgs) Validate() error {
	if err := a.Env.validate(); err != nil {
		return fmt.Errorf("ingest api: %w", err)
	}
	if a.Schema == nil || a.StreamName == nil || a.StreamArn == nil {
		return fmt.Errorf("ingest api: Schema, StreamName and StreamArn are required")
	}
	if err := a.Schema.Validate(); err != nil {
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
	_, err := apiDefinition("stream", "role", a)
	return err
}

// IngestAPI is a regional REST API that writes events straight to Kinesis (no Lambda):
// POST /v1/events (PutRecord) and POST /v1/events/batch (PutRecords, up to 500 events).
// Bodies are validated against models from the event schema; an API key is required and
// throttled by a usage plan; the stage writes JSON access logs.
type IngestAPI struct {
	pulumi.ResourceState
	RestAPIID   pulumi.StringOutput `pulumi:"restApiId"`
	RestAPIName pulumi.StringOutput `pulumi:"restApiName"`
	StageName   pulumi.StringOutput `pulumi:"stageName"`
	URL         pulumi.StringOutput `pulumi:"url"`
	EventsURL   pulumi.StringOutput `pulumi:"eventsUrl"`
	BatchURL    pulumi.StringOutput `pulumi:"batchUrl"`
	APIKey      pulumi.StringOutput `pulumi:"apiKey"`
	// DefinitionHash changes whenever anything a deployment captures changes.
	DefinitionHash pulumi.StringOutput `pulumi:"definitionHash"`
}

// route is one POST route and the Kinesis action behind it.
type route struct {
	Path            string            `json:"path"`
	Action          string            `json:"action"`
	Model           string            `json:"model"`
	RequestTemplate string            `json:"requestTemplate"`
	Responses       map[string]string `json:"responses"` // selection pattern -> template
}

// definition is everything an API Gateway deployment captures, as plain values. Its hash
// triggers a new deployment, so a changed template always reaches the stage.
type definition struct {
	Models    map[string]string              `json:"models"`
	Routes    []route                        `json:"routes"`
	Gateway   map[string]vtl.GatewayResponse `json:"gateway"`
	Preflight string                         `json:"preflight"`
	Method    methodConfig                   `json:"method"`
	RoleArn   string                         `json:"roleArn"`
	Region    string                         `json:"region"`
}

// Integration response selection patterns (matched against Kinesis's HTTP status).
const (
	patternOK     = ""
	patternClient = `4\d{2}`
	patternServer = `5\d{2}`
)

// methodConfig is how every POST method and its integration are set up. It is part of the
// definition (and so of the deployment hash) and the resources are created from it, so a
// change to any of these settings reaches the stage.
type methodConfig struct {
	Authorization  string `json:"authorization"`
	APIKeyRequired bool   `json:"apiKeyRequired"`
	ValidateBody   bool   `json:"validateBody"`
	ValidateParams bool   `json:"validateParams"`
	// Passthrough NEVER: bodies that are not application/json get 415, never a raw pass-through.
	Passthrough       string            `json:"passthrough"`
	RequestParameters map[string]string `json:"requestParameters"`
	TimeoutMs         int               `json:"timeoutMs"`
	// Statuses are every status the method can answer (templates override to 429, 500, 503).
	Statuses []string `json:"statuses"`
	// IntegrationStatus maps a selection pattern to the method status before any override.
	IntegrationStatus map[string]string `json:"integrationStatus"`
	// ResponseHeaders are the headers the templates may set.
	ResponseHeaders  []string          `json:"responseHeaders"`
	PreflightHeaders map[string]string `json:"preflightHeaders"`
}

var postMethod = methodConfig{
	Authorization:     "NONE",
	APIKeyRequired:    true,
	ValidateBody:      true,
	ValidateParams:    true,
	Passthrough:       "NEVER",
	RequestParameters: map[string]string{"integration.request.header.Content-Type": "'" + vtl.KinesisContentType + "'"},
	TimeoutMs:         10000,
	Statuses:          []string{"200", "400", "429", "500", "503"},
	IntegrationStatus: map[string]string{patternOK: "200", patternClient: "400", patternServer: "503"},
	ResponseHeaders:   []string{"Access-Control-Allow-Origin", "Vary", "Retry-After"},
	PreflightHeaders:  vtl.PreflightHeaders(),
}

func apiDefinition(stream, roleArn string, a *IngestAPIArgs) (definition, error) {
	event, err := a.Schema.EventModel(a.UnknownFields)
	if err != nil {
		return definition{}, err
	}
	batch, err := a.Schema.BatchModel(a.UnknownFields)
	if err != nil {
		return definition{}, err
	}
	cors := vtl.CORS{Origins: a.CorsOrigins}
	pk := a.Schema.PartitionKey
	return definition{
		Models: map[string]string{"Event": event, "EventBatch": batch},
		Routes: []route{
			{Path: "/v1/events", Action: "PutRecord", Model: "Event", RequestTemplate: vtl.PutRecordRequest(stream, pk), Responses: map[string]string{
				patternOK: cors.SuccessResponse(), patternClient: cors.ClientErrorResponse(vtl.SingleRecordCount), patternServer: cors.ServerErrorResponse(vtl.SingleRecordCount),
			}},
			{Path: "/v1/events/batch", Action: "PutRecords", Model: "EventBatch", RequestTemplate: vtl.PutRecordsRequest(stream, pk), Responses: map[string]string{
				patternOK: cors.BatchResponse(), patternClient: cors.ClientErrorResponse(vtl.BatchRecordCount), patternServer: cors.ServerErrorResponse(vtl.BatchRecordCount),
			}},
		},
		Gateway:   cors.GatewayResponses(),
		Preflight: cors.PreflightResponse(),
		Method:    postMethod,
		RoleArn:   roleArn,
		Region:    a.Region(),
	}, nil
}

// Region is the region the API's integrations call Kinesis in.
func (a *IngestAPIArgs) Region() string { return a.Env.Region }

func (d definition) hash() (string, error) {
	b, err := json.Marshal(d) // map keys are sorted: the hash is stable
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// NewIngestAPI creates the API, its integrations, key, usage plan, stage and logs.
func NewIngestAPI(ctx *pulumi.Context, name string, args *IngestAPIArgs, opts ...pulumi.ResourceOption) (*IngestAPI, error) {
	if args == nil {
		return nil, fmt.Errorf("ingest api %s: args are required", name)
	}
	if err := args.Validate(); err != nil {
		return nil, err
	}
	c := &IngestAPI{}
	if err := ctx.RegisterComponentResource(typePrefix+"IngestAPI", name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	fail := func(what string, err error) (*IngestAPI, error) {
		return nil, fmt.Errorf("ingest api %s %s: %w", name, what, err)
	}
	// The shape of the definition (models, responses) does not depend on outputs.
	shape, err := apiDefinition("", "", args)
	if err != nil {
		return fail("definition", err)
	}

	rolePolicy := policy(map[string]pulumi.StringInput{"stream": args.StreamArn, "key": args.Env.KeyArn}, func(v map[string]string) iampolicy.Document {
		streamArn, keyArn := v["stream"], v["key"]
		return iampolicy.New(
			iampolicy.Allow("PutToThisStream", []string{"kinesis:PutRecord", "kinesis:PutRecords"}, streamArn),
			// Writing to a KMS-encrypted stream needs a data key from the stream's key.
			iampolicy.Allow("EncryptForStream", []string{"kms:GenerateDataKey"}, keyArn).
				When("StringEquals", "kms:ViaService", args.Env.endpoint("kinesis")),
		)
	})
	role, err := newServiceRole(ctx, name+"-role", args.Env, serviceRole{
		Service:     "apigateway.amazonaws.com",
		Description: "streamlake ingest API: put records to one stream",
		Policy:      rolePolicy,
	}, parent)
	if err != nil {
		return fail("role", err)
	}

	api, err := apigateway.NewRestApi(ctx, name+"-api", &apigateway.RestApiArgs{
		Description:           pulumi.Sprintf("streamlake %s ingest: POST events to Kinesis", ctx.Stack()),
		EndpointConfiguration: &apigateway.RestApiEndpointConfigurationArgs{Types: pulumi.String("REGIONAL")},
		ApiKeySource:          pulumi.String("HEADER"),
	}, parent)
	if err != nil {
		return fail("rest api", err)
	}
	apiParent := pulumi.Parent(api)

	validator, err := apigateway.NewRequestValidator(ctx, name+"-validator", &apigateway.RequestValidatorArgs{
		RestApi:                   api.ID(),
		Name:                      pulumi.String("body-and-parameters"),
		ValidateRequestBody:       pulumi.Bool(postMethod.ValidateBody),
		ValidateRequestParameters: pulumi.Bool(postMethod.ValidateParams),
	}, apiParent)
	if err != nil {
		return fail("validator", err)
	}
	var deps []pulumi.Resource // everything the deployment snapshots
	models := map[string]*apigateway.Model{}
	for _, mname := range sortedKeys(shape.Models) {
		m, err := apigateway.NewModel(ctx, name+"-model-"+mname, &apigateway.ModelArgs{
			RestApi:     api.ID(),
			Name:        pulumi.String(mname),
			ContentType: pulumi.String(vtl.ContentType),
			Description: pulumi.Sprintf("%s, generated from the event schema", mname),
			Schema:      pulumi.String(shape.Models[mname]),
		}, apiParent)
		if err != nil {
			return fail("model "+mname, err)
		}
		models[mname] = m
		deps = append(deps, m)
	}

	for _, typ := range sortedKeys(shape.Gateway) {
		gr := shape.Gateway[typ]
		r, err := apigateway.NewResponse(ctx, name+"-gateway-"+typ, &apigateway.ResponseArgs{
			RestApiId:          api.ID(),
			ResponseType:       pulumi.String(typ),
			StatusCode:         optString(gr.Status),
			ResponseTemplates:  pulumi.StringMap{vtl.ContentType: pulumi.String(gr.Template)},
			ResponseParameters: pulumi.ToStringMap(gr.Parameters),
		}, apiParent)
		if err != nil {
			return fail("gateway response "+typ, err)
		}
		deps = append(deps, r)
	}

	v1, err := apigateway.NewResource(ctx, name+"-v1", &apigateway.ResourceArgs{RestApi: api.ID(), ParentId: api.RootResourceId, PathPart: pulumi.String("v1")}, apiParent)
	if err != nil {
		return fail("resource /v1", err)
	}
	events, err := apigateway.NewResource(ctx, name+"-events", &apigateway.ResourceArgs{RestApi: api.ID(), ParentId: v1.ID(), PathPart: pulumi.String("events")}, apiParent)
	if err != nil {
		return fail("resource /v1/events", err)
	}
	batch, err := apigateway.NewResource(ctx, name+"-batch", &apigateway.ResourceArgs{RestApi: api.ID(), ParentId: events.ID(), PathPart: pulumi.String("batch")}, apiParent)
	if err != nil {
		return fail("resource /v1/events/batch", err)
	}
	resources := map[string]*apigateway.Resource{"/v1/events": events, "/v1/events/batch": batch}
	deps = append(deps, v1, events, batch)

	cors := vtl.CORS{Origins: args.CorsOrigins}
	for i, rt := range shape.Routes {
		res := resources[rt.Path]
		id := fmt.Sprintf("%s-%s", name, map[int]string{0: "put-record", 1: "put-records"}[i])
		method, err := apigateway.NewMethod(ctx, id, &apigateway.MethodArgs{
			RestApi:            api.ID(),
			ResourceId:         res.ID(),
			HttpMethod:         pulumi.String("POST"),
			Authorization:      pulumi.String(postMethod.Authorization),
			ApiKeyRequired:     pulumi.Bool(postMethod.APIKeyRequired),
			RequestValidatorId: validator.ID(),
			RequestModels:      pulumi.StringMap{vtl.ContentType: models[rt.Model].Name},
			OperationName:      pulumi.String(rt.Action),
		}, apiParent)
		if err != nil {
			return fail(id+" method", err)
		}
		action := rt.Action
		template := pulumi.All(args.StreamName).ApplyT(func(v []any) (string, error) {
			d, err := apiDefinition(v[0].(string), "", args)
			if err != nil {
				return "", err
			}
			for _, r := range d.Routes {
				if r.Action == action {
					return r.RequestTemplate, nil
				}
			}
			return "", fmt.Errorf("no route for %s", action)
		}).(pulumi.StringOutput)
		integration, err := apigateway.NewIntegration(ctx, id+"-integration", &apigateway.IntegrationArgs{
			RestApi:               api.ID(),
			ResourceId:            res.ID(),
			HttpMethod:            method.HttpMethod,
			Type:                  pulumi.String("AWS"),
			IntegrationHttpMethod: pulumi.String("POST"),
			Uri:                   pulumi.String(fmt.Sprintf("arn:%s:apigateway:%s:kinesis:action/%s", args.Env.Partition, args.Env.Region, rt.Action)),
			Credentials:           role.Arn,
			PassthroughBehavior:   pulumi.String(postMethod.Passthrough),
			RequestParameters:     pulumi.ToStringMap(postMethod.RequestParameters),
			RequestTemplates:      pulumi.StringMap{vtl.ContentType: template},
			TimeoutMilliseconds:   pulumi.Int(postMethod.TimeoutMs),
		}, apiParent, pulumi.DependsOn(role.Ready))
		if err != nil {
			return fail(id+" integration", err)
		}
		deps = append(deps, method, integration)
		var methodResponses []pulumi.Resource
		for _, status := range postMethod.Statuses {
			mr, err := apigateway.NewMethodResponse(ctx, fmt.Sprintf("%s-response-%s", id, status), &apigateway.MethodResponseArgs{
				RestApi:            api.ID(),
				ResourceId:         res.ID(),
				HttpMethod:         method.HttpMethod,
				StatusCode:         pulumi.String(status),
				ResponseModels:     pulumi.StringMap{vtl.ContentType: pulumi.String("Empty")},
				ResponseParameters: responseHeaders(),
			}, apiParent)
			if err != nil {
				return fail(id+" method response", err)
			}
			methodResponses = append(methodResponses, mr)
			deps = append(deps, mr)
		}
		for _, pattern := range []string{patternOK, patternClient, patternServer} {
			ir, err := apigateway.NewIntegrationResponse(ctx, fmt.Sprintf("%s-integration-%s", id, postMethod.IntegrationStatus[pattern]), &apigateway.IntegrationResponseArgs{
				RestApi:           api.ID(),
				ResourceId:        res.ID(),
				HttpMethod:        method.HttpMethod,
				StatusCode:        pulumi.String(postMethod.IntegrationStatus[pattern]),
				SelectionPattern:  optString(pattern),
				ResponseTemplates: pulumi.StringMap{vtl.ContentType: pulumi.String(rt.Responses[pattern])},
			}, apiParent, pulumi.DependsOn(append(methodResponses, integration)))
			if err != nil {
				return fail(id+" integration response", err)
			}
			deps = append(deps, ir)
		}
		if cors.Enabled() {
			pre, err := newPreflight(ctx, id, api, res, cors, apiParent)
			if err != nil {
				return fail(id+" preflight", err)
			}
			deps = append(deps, pre...)
		}
	}

	hash := pulumi.All(args.StreamName, role.Arn).ApplyT(func(v []any) (string, error) {
		d, err := apiDefinition(v[0].(string), v[1].(string), args)
		if err != nil {
			return "", err
		}
		return d.hash()
	}).(pulumi.StringOutput)
	deployment, err := apigateway.NewDeployment(ctx, name+"-deployment", &apigateway.DeploymentArgs{
		RestApi:     api.ID(),
		Description: pulumi.Sprintf("definition %s", hash),
		Triggers:    pulumi.StringMap{"definition": hash},
	}, apiParent, pulumi.DependsOn(deps))
	if err != nil {
		return fail("deployment", err)
	}

	accessLogs, err := newLogGroup(ctx, name+"-access-logs", args.Env, nil, parent)
	if err != nil {
		return fail("access logs", err)
	}
	// API Gateway creates this group itself, without retention, unless it exists first.
	execLogs, err := newLogGroup(ctx, name+"-execution-logs", args.Env,
		pulumi.Sprintf("API-Gateway-Execution-Logs_%s/%s", api.ID(), args.StageName), parent)
	if err != nil {
		return fail("execution logs", err)
	}
	format, err := vtl.AccessLogFormat()
	if err != nil {
		return fail("access log format", err)
	}
	stageDeps := []pulumi.Resource{execLogs}
	if args.AccountSettings != nil {
		stageDeps = append(stageDeps, args.AccountSettings)
	}
	stage, err := apigateway.NewStage(ctx, name+"-stage", &apigateway.StageArgs{
		RestApi:     api.ID(),
		Deployment:  deployment.ID(),
		StageName:   pulumi.String(args.StageName),
		Description: pulumi.Sprintf("streamlake %s", ctx.Stack()),
		AccessLogSettings: &apigateway.StageAccessLogSettingsArgs{
			DestinationArn: accessLogs.Arn,
			Format:         pulumi.String(format),
		},
	}, apiParent, pulumi.DependsOn(stageDeps))
	if err != nil {
		return fail("stage", err)
	}
	if _, err := apigateway.NewMethodSettings(ctx, name+"-method-settings", &apigateway.MethodSettingsArgs{
		RestApi:    api.ID(),
		StageName:  stage.StageName,
		MethodPath: pulumi.String("*/*"),
		Settings: &apigateway.MethodSettingsSettingsArgs{
			MetricsEnabled: pulumi.Bool(true),
			LoggingLevel:   pulumi.String("ERROR"),
			// Request and response bodies carry personal data: never log them.
			DataTraceEnabled:     pulumi.Bool(false),
			ThrottlingRateLimit:  pulumi.Float64(args.RateLimit),
			ThrottlingBurstLimit: pulumi.Int(args.BurstLimit),
		},
	}, apiParent); err != nil {
		return fail("method settings", err)
	}

	key, err := apigateway.NewApiKey(ctx, name+"-key", &apigateway.ApiKeyArgs{
		Description: pulumi.Sprintf("streamlake %s producers", ctx.Stack()),
		Enabled:     pulumi.Bool(true),
	}, parent)
	if err != nil {
		return fail("api key", err)
	}
	plan := &apigateway.UsagePlanArgs{
		Description: pulumi.Sprintf("streamlake %s producers: throttle and quota", ctx.Stack()),
		ApiStages:   apigateway.UsagePlanApiStageArray{&apigateway.UsagePlanApiStageArgs{ApiId: api.ID(), Stage: stage.StageName}},
		ThrottleSettings: &apigateway.UsagePlanThrottleSettingsArgs{
			RateLimit:  pulumi.Float64(args.RateLimit),
			BurstLimit: pulumi.Int(args.BurstLimit),
		},
	}
	if args.QuotaPerDay > 0 {
		plan.QuotaSettings = &apigateway.UsagePlanQuotaSettingsArgs{Limit: pulumi.Int(args.QuotaPerDay), Period: pulumi.String("DAY")}
	}
	usagePlan, err := apigateway.NewUsagePlan(ctx, name+"-usage-plan", plan, parent)
	if err != nil {
		return fail("usage plan", err)
	}
	if _, err := apigateway.NewUsagePlanKey(ctx, name+"-usage-plan-key", &apigateway.UsagePlanKeyArgs{
		KeyId: key.ID(), KeyType: pulumi.String("API_KEY"), UsagePlanId: usagePlan.ID(),
	}, pulumi.Parent(usagePlan)); err != nil {
		return fail("usage plan key", err)
	}

	c.RestAPIID, c.RestAPIName, c.StageName = api.ID().ToStringOutput(), api.Name, stage.StageName
	c.URL = stage.InvokeUrl
	c.EventsURL = pulumi.Sprintf("%s/v1/events", stage.InvokeUrl)
	c.BatchURL = pulumi.Sprintf("%s/v1/events/batch", stage.InvokeUrl)
	c.APIKey = pulumi.ToSecret(key.Value).(pulumi.StringOutput)
	c.DefinitionHash = hash
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"restApiId": c.RestAPIID, "restApiName": c.RestAPIName, "stageName": c.StageName,
		"url": c.URL, "eventsUrl": c.EventsURL, "batchUrl": c.BatchURL, "apiKey": c.APIKey,
		"definitionHash": hash,
	}); err != nil {
		return nil, err
	}
	return c, nil
}

// responseHeaders declares the headers the integration templates may set.
func responseHeaders() pulumi.BoolMap {
	m := pulumi.BoolMap{}
	for _, h := range postMethod.ResponseHeaders {
		m["method.response.header."+h] = pulumi.Bool(false)
	}
	return m
}

// newPreflight answers OPTIONS on a resource with a MOCK integration.
func newPreflight(ctx *pulumi.Context, id string, api *apigateway.RestApi, res *apigateway.Resource, cors vtl.CORS, opts ...pulumi.ResourceOption) ([]pulumi.Resource, error) {
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
	params := responseHeaders()
	values := pulumi.StringMap{}
	for k, v := range postMethod.PreflightHeaders {
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

func optString(s string) pulumi.StringPtrInput {
	if s == "" {
		return nil
	}
	return pulumi.String(s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
