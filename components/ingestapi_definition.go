package components

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"slices"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/schema"
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
	// stream is the index of the route's dataset, whose stream it puts to.
	stream int
}

// apiPath is one resource of the API and the ID that names it: <api>-<ID>.
type apiPath struct{ ID, Path string }

// apiPaths are the API's resources, parents first (each path's parent is path.Dir of it; "/"
// is the API's root resource): the default dataset's /v1/events and /v1/events/batch, then
// every other dataset's /v1/<name>, /v1/<name>/events and /v1/<name>/events/batch, named
// <name>-root, <name>-events and <name>-batch (a dataset's name is never v1, events or batch
// followed by nothing, so no ID repeats).
func apiPaths(datasets []APIDataset) []apiPath {
	out := []apiPath{{ID: "v1", Path: "/v1"}}
	for _, d := range datasets {
		r := apispec.RoutesOf(d.Name)
		if d.Name == schema.DefaultDataset {
			out = append(out, apiPath{ID: "events", Path: r.Events}, apiPath{ID: "batch", Path: r.Batch})
			continue
		}
		out = append(out, apiPath{ID: d.Name + "-root", Path: path.Dir(r.Events)},
			apiPath{ID: d.Name + "-events", Path: r.Events}, apiPath{ID: d.Name + "-batch", Path: r.Batch})
	}
	return out
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
		PreflightHeaders:  vtl.PreflightHeaders(auth),
	}
	switch auth {
	case apispec.AuthIAM:
		m.Authorization = authIAM
	case apispec.AuthJWT:
		m.Authorization, m.AuthorizationScopes = authCognito, slices.Clone(scopes)
	}
	return m
}

// apiDefinition derives the API from the datasets' schemas and the args: models, routes,
// gateway responses, method settings. Templates that name a stream are left to withTargets.
func apiDefinition(a *IngestAPIArgs) (definition, error) {
	cors := vtl.CORS{Origins: a.CorsOrigins}
	var authorizer *authorizerConfig
	if a.Auth == apispec.AuthJWT {
		authorizer = &authorizerConfig{Name: "cognito-user-pools", ProviderArns: slices.Clone(a.UserPoolArns),
			IdentitySource: "method.request.header." + apispec.AuthorizationHeader}
	}
	d := definition{
		Models:     map[string]string{},
		Gateway:    cors.GatewayResponsesFor(a.Auth),
		Preflight:  cors.PreflightResponse(),
		Method:     postMethod(a.Auth, a.JWTScopes),
		Authorizer: authorizer,
		Region:     a.Env.Region,
	}
	for i, ds := range a.datasets() {
		if err := d.addDataset(i, ds, cors); err != nil {
			return definition{}, fmt.Errorf("dataset %s: %w", ds.Name, err)
		}
	}
	return d, nil
}

// addDataset adds a dataset's request models and its two routes, which put to stream i.
func (d *definition) addDataset(i int, ds APIDataset, cors vtl.CORS) error {
	event, err := ds.Schema.EventModel(ds.UnknownFields)
	if err != nil {
		return err
	}
	batch, err := ds.Schema.BatchModel(ds.UnknownFields)
	if err != nil {
		return err
	}
	eventModel, batchModel := apispec.ModelNames(ds.Name)
	d.Models[eventModel], d.Models[batchModel] = event, batch
	prefix := ""
	if ds.Name != schema.DefaultDataset {
		prefix = ds.Name + "-"
	}
	paths, pk := apispec.RoutesOf(ds.Name), ds.Schema.PartitionKey
	d.Routes = append(d.Routes,
		route{ID: prefix + "put-record", Path: paths.Events, Action: "PutRecord", Model: eventModel, stream: i,
			request: func(stream string) string { return vtl.PutRecordRequest(stream, pk) },
			Responses: map[string]string{
				patternOK:     cors.SuccessResponse(),
				patternClient: cors.ClientErrorResponse(vtl.SingleRecordCount, vtl.TooLargeMessage(false)),
				patternServer: cors.ServerErrorResponse(vtl.SingleRecordCount),
			}},
		route{ID: prefix + "put-records", Path: paths.Batch, Action: "PutRecords", Model: batchModel, stream: i,
			request: func(stream string) string { return vtl.PutRecordsRequest(stream, pk) },
			Responses: map[string]string{
				patternOK:     cors.BatchResponse(),
				patternClient: cors.ClientErrorResponse(vtl.BatchRecordCount, vtl.TooLargeMessage(true)),
				patternServer: cors.ServerErrorResponse(vtl.BatchRecordCount),
			}})
	return nil
}

// withTargets returns the definition for the datasets' streams (in order) and an integration
// role: the request templates rendered, the role ARN set.
func (d definition) withTargets(streams []string, roleArn string) definition {
	d.Routes = slices.Clone(d.Routes)
	for i := range d.Routes {
		d.Routes[i].RequestTemplate = d.Routes[i].request(streams[d.Routes[i].stream])
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
