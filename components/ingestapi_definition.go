package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/vtl"
)

// route is one POST route and the Kinesis action behind it.
type route struct {
	// ID names the route's resources: <api>-<ID>, <api>-<ID>-integration, ...
	ID              string            `json:"-"`
	Path            string            `json:"path"`
	Action          string            `json:"action"`
	Model           string            `json:"model"`
	RequestTemplate string            `json:"requestTemplate"`
	Responses       map[string]string `json:"responses"` // selection pattern -> template
	// request renders RequestTemplate for a stream name, which is only known as an output.
	request func(stream string) string
}

// apiPaths are the API's resources, parents first (each path's parent is path.Dir of it; "/"
// is the API's root resource), with the ID that names each: <api>-<ID>.
var apiPaths = []struct{ ID, Path string }{
	{ID: "v1", Path: "/v1"},
	{ID: "events", Path: "/v1/events"},
	{ID: "batch", Path: "/v1/events/batch"},
}

// definition is everything an API Gateway deployment captures, as plain values. Its hash
// triggers a new deployment, so a changed template always reaches the stage. apiDefinition
// builds it without the stream name and role ARN (outputs); withTargets fills them in.
type definition struct {
	Models    map[string]string              `json:"models"`
	Routes    []route                        `json:"routes"`
	Gateway   map[string]vtl.GatewayResponse `json:"gateway"`
	Preflight string                         `json:"preflight"`
	Method    methodConfig                   `json:"method"`
	// Authorizer is the user pool authorizer (apiAuth jwt), nil otherwise.
	Authorizer *authorizerConfig `json:"authorizer,omitempty"`
	RoleArn    string            `json:"roleArn"`
	Region     string            `json:"region"`
}

// Integration response selection patterns (matched against Kinesis's HTTP status).
const (
	patternOK     = ""
	patternClient = `4\d{2}`
	patternServer = `5\d{2}`
)

// methodConfig is how every POST method and its integration are set up. It is part of the
// definition (and so of the deployment hash) and the resources are created from it, so a
// change to any of these settings (the auth mode among them) reaches the stage.
type methodConfig struct {
	// Authorization is NONE (API key), AWS_IAM or COGNITO_USER_POOLS; AuthorizationScopes are
	// the OAuth scopes a user pool token must carry (COGNITO_USER_POOLS only).
	Authorization       string   `json:"authorization"`
	AuthorizationScopes []string `json:"authorizationScopes,omitempty"`
	APIKeyRequired      bool     `json:"apiKeyRequired"`
	ValidateBody        bool     `json:"validateBody"`
	ValidateParams      bool     `json:"validateParams"`
	// Passthrough NEVER: bodies that are not application/json get 415, never a raw pass-through.
	Passthrough       string            `json:"passthrough"`
	RequestParameters map[string]string `json:"requestParameters"`
	TimeoutMs         int               `json:"timeoutMs"`
	// Statuses are every status the method can answer (templates override to 413, 429, 500, 503).
	Statuses []string `json:"statuses"`
	// IntegrationStatus maps a selection pattern to the method status before any override.
	IntegrationStatus map[string]string `json:"integrationStatus"`
	// ResponseHeaders are the headers the templates may set.
	ResponseHeaders  []string          `json:"responseHeaders"`
	PreflightHeaders map[string]string `json:"preflightHeaders"`
}

// authorizerConfig is the COGNITO_USER_POOLS authorizer of apiAuth jwt.
type authorizerConfig struct {
	Name           string   `json:"name"`
	ProviderArns   []string `json:"providerArns"`
	IdentitySource string   `json:"identitySource"`
}

// Method authorization types of API Gateway (a method's authorizationType).
const (
	authNone    = "NONE"
	authIAM     = "AWS_IAM"
	authCognito = "COGNITO_USER_POOLS"
)

// postMethod is the POST methods' setup for an auth mode.
func postMethod(auth apispec.Auth, scopes []string) methodConfig {
	m := methodConfig{
		Authorization:     authNone,
		APIKeyRequired:    auth.UsesAPIKey(),
		ValidateBody:      true,
		ValidateParams:    true,
		Passthrough:       "NEVER",
		RequestParameters: map[string]string{"integration.request.header.Content-Type": "'" + vtl.KinesisContentType + "'"},
		TimeoutMs:         10000,
		Statuses:          []string{"200", "400", "413", "429", "500", "503"},
		IntegrationStatus: map[string]string{patternOK: "200", patternClient: "400", patternServer: "503"},
		ResponseHeaders:   []string{"Access-Control-Allow-Origin", "Vary", "Retry-After"},
		PreflightHeaders:  vtl.PreflightHeadersFor(auth),
	}
	switch auth {
	case apispec.AuthIAM:
		m.Authorization = authIAM
	case apispec.AuthJWT:
		m.Authorization, m.AuthorizationScopes = authCognito, slices.Clone(scopes)
	}
	return m
}

// apiDefinition derives the API from the schema and the args: models, routes, gateway
// responses, method settings. Templates that name the stream are left to withTargets.
func apiDefinition(a *IngestAPIArgs) (definition, error) {
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
	var authorizer *authorizerConfig
	if a.Auth == apispec.AuthJWT {
		authorizer = &authorizerConfig{Name: "cognito-user-pools", ProviderArns: slices.Clone(a.UserPoolArns),
			IdentitySource: "method.request.header." + apispec.AuthorizationHeader}
	}
	return definition{
		Models: map[string]string{"Event": event, "EventBatch": batch},
		Routes: []route{
			{ID: "put-record", Path: "/v1/events", Action: "PutRecord", Model: "Event",
				request: func(stream string) string { return vtl.PutRecordRequest(stream, pk) },
				Responses: map[string]string{
					patternOK:     cors.SuccessResponse(),
					patternClient: cors.ClientErrorResponse(vtl.SingleRecordCount, vtl.TooLargeMessage(false)),
					patternServer: cors.ServerErrorResponse(vtl.SingleRecordCount),
				}},
			{ID: "put-records", Path: "/v1/events/batch", Action: "PutRecords", Model: "EventBatch",
				request: func(stream string) string { return vtl.PutRecordsRequest(stream, pk) },
				Responses: map[string]string{
					patternOK:     cors.BatchResponse(),
					patternClient: cors.ClientErrorResponse(vtl.BatchRecordCount, vtl.TooLargeMessage(true)),
					patternServer: cors.ServerErrorResponse(vtl.BatchRecordCount),
				}},
		},
		Gateway:    cors.GatewayResponsesFor(a.Auth),
		Preflight:  cors.PreflightResponse(),
		Method:     postMethod(a.Auth, a.JWTScopes),
		Authorizer: authorizer,
		Region:     a.Env.Region,
	}, nil
}

// withTargets returns the definition for a stream and an integration role: the request
// templates rendered, the role ARN set.
func (d definition) withTargets(stream, roleArn string) definition {
	d.Routes = slices.Clone(d.Routes)
	for i := range d.Routes {
		d.Routes[i].RequestTemplate = d.Routes[i].request(stream)
	}
	d.RoleArn = roleArn
	return d
}

func (d definition) hash() (string, error) {
	b, err := json.Marshal(d) // map keys are sorted: the hash is stable
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
