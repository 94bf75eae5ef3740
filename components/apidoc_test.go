package components

import (
	"cmp"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/vtl"
)

var update = flag.Bool("update", false, "rewrite docs/api.md's generated tables")

const (
	apiDocFile   = "docs/api.md"
	apiDocUpdate = "go test ./components -run TestAPIDocs -update"
)

// apiDocBlocks are docs/api.md's generated blocks (<!-- BEGIN name --> … <!-- END name -->),
// each rendered from the code that deploys what it describes.
var apiDocBlocks = []struct {
	name, from string
	render     func() (string, error)
}{
	{"api-routes", "the API definition's routes and apispec's limits", routesTable},
	{"api-statuses", "postMethod, vtl's gateway responses for every apiAuth and the WAF rules", statusTable},
	{"api-auth", "postMethod and apispec for every apiAuth", authTable},
	{"api-limits", "apispec, awsrules, vtl's gateway responses and the WAF rules", limitsTable},
	{"api-waf", "WAFRules and awsrules' managed rule groups", wafTable},
}

// TestAPIDocsAreGenerated: docs/api.md's routes, status codes, auth modes, request limits and
// firewall rules (their statuses and capacities) are rendered from the code.
func TestAPIDocsAreGenerated(t *testing.T) {
	testenv.Generated(t, apiDocFile, func(doc string) (string, error) {
		for _, b := range apiDocBlocks {
			table, err := b.render()
			if err != nil {
				return "", fmt.Errorf("%s: %w", b.name, err)
			}
			header := fmt.Sprintf("<!-- generated from %s: %s -->\n", b.from, apiDocUpdate)
			if doc, err = stackconfig.ReplaceBlock(doc, "<!-- BEGIN "+b.name+" -->", "<!-- END "+b.name+" -->", header+table); err != nil {
				return "", err
			}
		}
		return doc, nil
	}, *update, apiDocUpdate)
}

// docArgs are an API's args for auth with the default dataset.
func docArgs(auth apispec.Auth) *IngestAPIArgs {
	return &IngestAPIArgs{Env: &Env{Region: "eu-west-1"}, Schema: schema.Default(), UnknownFields: schema.KeepUnknown, Auth: auth}
}

// size writes a byte count in the largest binary unit that divides it.
func size(n int) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// thousands writes n with comma separators, as AWS's pages do.
func thousands(n int) string { return message.NewPrinter(language.English).Sprintf("%d", n) }

func routesTable() (string, error) {
	d, err := apiDefinition(docArgs(apispec.AuthAPIKey))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("| route | body | Kinesis call |\n|---|---|---|\n")
	for _, r := range d.Routes {
		var body, call string
		switch r.Action {
		case "PutRecord":
			body = "one event, ≤ " + size(apispec.MaxEventBytes)
			call = fmt.Sprintf("`PutRecord`, partition key `%s`", schema.Default().PartitionKey)
		case "PutRecords":
			body = fmt.Sprintf("`{\"records\": [event, …]}`, 1..%d events, ≤ %s", apispec.MaxBatchRecords, size(apispec.MaxBatchBytes))
			call = "one `PutRecords`"
		default:
			return "", fmt.Errorf("route %s: action %s has no description here", r.Path, r.Action)
		}
		fmt.Fprintf(&b, "| `POST %s` | %s | %s |\n", r.Path, body, call)
	}
	return b.String(), nil
}

// other is the row of the statuses API Gateway answers with their own status (DEFAULT_4XX,
// DEFAULT_5XX: a gateway response without a status).
const other = "other"

// statusDocs say what each status means and what the client does about it.
var statusDocs = map[string]struct{ meaning, action string }{
	"200": {"all stored: `{\"accepted\": n, \"failed\": 0}`", "nothing"},
	"400": {"invalid body (`\"message\": \"invalid request body: [the field and rule]\"`) or rejected by Kinesis (e.g. a record over " +
		size(awsrules.MaxRecordBytes) + ")",
		"fix the event; do not retry"},
	"401": {"missing, expired or invalid token (`jwt`)", "send a valid token of the API's user pool"},
	"403": {"missing or refused credentials (API key, signature, IAM permission, token scope), or blocked by the firewall",
		"fix the request"},
	"404": {"no such route (with `iam`, an unsigned request to any path is a 403)", "POST to one of the routes above"},
	"413": {"body over the route's limit (characters as Java counts them; the WAF judges the declared Content-Length)",
		"split the batch"},
	"415": {"not `application/json`", "send `Content-Type: application/json`"},
	"429": {"throttled (API Gateway, usage plan and its daily quota, the firewall's per-address rate limit, or Kinesis); for a batch, " +
		"`failed_records: [{index, error_code, error_message}]` lists exactly the events not stored",
		"retry those events after `Retry-After`, with backoff"},
	"500": {"the pipeline cannot write to its stream (IAM, KMS, stream missing): nothing stored; for a batch with per-record KMS errors, " +
		"`failed_records` lists the events not stored", "retry later; on-call is paged by `api-5xx`"},
	"503": {"Kinesis unavailable, or a batch whose failures were internal errors (`failed_records` as for 429)", "retry with backoff"},
	other: {"API Gateway's other errors keep their own status, with a JSON body; e.g. 504 when Kinesis does not answer within " +
		"the integration timeout (%d s)", "retry 5xx with backoff"},
}

// statusSources lists, by status, what answers it: the routes' response templates, gateway
// responses (with the apiAuth modes that have them, when not every mode does) and WAF rules.
func statusSources() map[string][]string {
	out := map[string][]string{}
	for _, s := range postMethod(apispec.AuthAPIKey, nil).Statuses {
		out[s] = append(out[s], "the route's response template")
	}
	modes := map[[2]string][]string{} // (status, gateway response type) -> modes
	for _, a := range apispec.AuthModes {
		for typ, gr := range (vtl.CORS{}).GatewayResponsesFor(a) {
			k := [2]string{cmp.Or(gr.Status, other), typ}
			modes[k] = append(modes[k], string(a))
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(modes), func(a, b [2]string) int { return cmp.Compare(a[1], b[1]) }) {
		src := "`" + k[1] + "`"
		if len(modes[k]) < len(apispec.AuthModes) {
			src += " (" + strings.Join(modes[k], ", ") + ")"
		}
		out[k[0]] = append(out[k[0]], src)
	}
	waf := map[string][]string{}
	for _, r := range WAFRules(awsrules.MinWAFRateLimit, awsrules.ManagedRuleGroupNames(), nil) {
		s, name := strconv.Itoa(r.Status()), "`"+r.Name+"`"
		if r.Managed != nil {
			name = "managed rule groups"
		}
		if !slices.Contains(waf[s], name) {
			waf[s] = append(waf[s], name)
		}
	}
	for s, names := range waf {
		out[s] = append(out[s], "WAF "+strings.Join(names, ", "))
	}
	return out
}

func statusTable() (string, error) {
	sources := statusSources()
	var errs []string
	for s := range statusDocs {
		if _, ok := sources[s]; !ok {
			errs = append(errs, "status "+s+" is described but nothing answers it")
		}
	}
	statuses := slices.SortedFunc(maps.Keys(sources), func(a, b string) int {
		last := func(s string) int {
			if s == other {
				return 1
			}
			return 0
		}
		return cmp.Or(cmp.Compare(last(a), last(b)), cmp.Compare(a, b))
	})
	var b strings.Builder
	b.WriteString("| status | meaning | what the client does | answered by |\n|---|---|---|---|\n")
	for _, s := range statuses {
		d, ok := statusDocs[s]
		if !ok {
			errs = append(errs, "status "+s+" ("+strings.Join(sources[s], ", ")+") has no description in statusDocs")
			continue
		}
		meaning, name := d.meaning, s
		if s == other {
			meaning, name = fmt.Sprintf(meaning, postMethod(apispec.AuthAPIKey, nil).TimeoutMs/1000), "other 4xx, 5xx"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, meaning, d.action, strings.Join(sources[s], "; "))
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return "", fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return b.String(), nil
}

// authDocs say, per mode, what the producer sends and why the mode has an API key or not.
var authDocs = map[apispec.Auth]struct{ sends, key string }{
	apispec.AuthAPIKey: {fmt.Sprintf("`%s: <key>` (stack output `apiKey`)", apispec.APIKeyHeader),
		"the plan throttles and meters (`apiQuotaPerDay`) per key"},
	apispec.AuthIAM: {fmt.Sprintf("a SigV4 signature, service `%s`, the stack's region, the payload hashed", apispec.ExecuteAPIService),
		"IAM identifies and revokes the caller"},
	apispec.AuthJWT: {fmt.Sprintf("`%s: <ID or access token>` (the token itself, no scheme)", apispec.AuthorizationHeader),
		"a key every browser holds meters nothing"},
}

func authTable() (string, error) {
	var b strings.Builder
	b.WriteString("| mode | method | the producer sends | API key and usage plan |\n|---|---|---|---|\n")
	for _, a := range apispec.AuthModes {
		d, ok := authDocs[a]
		if !ok {
			return "", fmt.Errorf("apiAuth %s has no description in authDocs", a)
		}
		mode := "`" + string(a) + "`"
		if a == stackconfig.Defaults().APIAuth {
			mode += " (default)"
		}
		m := postMethod(a, nil)
		method := "`" + m.Authorization + "`"
		if m.APIKeyRequired {
			method += ", `apiKeyRequired`"
		}
		if a == apispec.AuthJWT {
			method += ", authorizer over `apiJwtUserPoolArns`, scopes `apiJwtScopes`"
		}
		key := "no: " + d.key
		if a.UsesAPIKey() {
			key = "yes: " + d.key
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mode, method, d.sends, key)
	}
	return b.String(), nil
}

func limitsTable() (string, error) {
	gateway := (vtl.CORS{}).GatewayResponsesFor(apispec.AuthAPIKey)
	method := postMethod(apispec.AuthAPIKey, nil)
	if !slices.Contains(method.Statuses, "413") {
		return "", fmt.Errorf("the routes no longer answer 413 for a body over their limit: %v", method.Statuses)
	}
	var wafLimits, wafNames []string
	wafStatus := 0
	for _, r := range WAFRules(awsrules.MinWAFRateLimit, nil, nil) {
		if r.MaxBytes > 0 {
			wafLimits = append(wafLimits, fmt.Sprintf("≤ %s (`%s`)", size(r.MaxBytes), r.PathSuffix))
			wafNames, wafStatus = append(wafNames, "`"+r.Name+"`"), r.Status()
		}
	}
	rows := [][3]string{
		{"body ≤ " + size(apispec.GatewayMaxBodyBytes), "API Gateway's own payload limit",
			gateway["REQUEST_TOO_LARGE"].Status + " `request too large` (gateway response)"},
		{"declared `Content-Length` " + strings.Join(wafLimits, ", "), "WAF rules " + strings.Join(wafNames, ", ") + " (when `waf` is on)",
			strconv.Itoa(wafStatus) + " (WAF custom response)"},
		{fmt.Sprintf("1..%d events per batch; each field's type, length, minimum", apispec.MaxBatchRecords), "the request model (request validator)",
			gateway["BAD_REQUEST_BODY"].Status + " naming the field and rule"},
		{fmt.Sprintf("body ≤ %s / %s, in characters (`$input.body.length()`)", size(apispec.MaxEventBytes), size(apispec.MaxBatchBytes)),
			"the route's request template", "413, nothing reaches the stream"},
		{fmt.Sprintf("a record's data ≤ %s and a request ≤ %s, in bytes; ≤ %d records a request", size(awsrules.MaxRecordBytes),
			size(awsrules.MaxPutRecordsBytes), awsrules.MaxPutRecordsCount), "Kinesis itself", method.IntegrationStatus[patternClient] + " `rejected by the stream`, nothing stored"},
	}
	var b strings.Builder
	b.WriteString("| limit | where it is enforced | answer |\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", r[0], r[1], r[2])
	}
	return b.String(), nil
}

func wafTable() (string, error) {
	var b strings.Builder
	b.WriteString("| rule | what | WCU |\n|---|---|---|\n")
	var bodyRules []string
	bodyWCU, bodyStatus := 0, 0
	for _, r := range WAFRules(awsrules.MinWAFRateLimit, awsrules.ManagedRuleGroupNames(), nil) {
		switch {
		case r.RateLimit > 0:
			fmt.Fprintf(&b, "| `%s` | more than `wafRateLimitPer5Min` requests from one address in %d minutes (AWS's range %s..%s) → %d | %d |\n",
				r.Name, awsrules.WAFRateWindowSeconds/60, thousands(awsrules.MinWAFRateLimit), thousands(awsrules.MaxWAFRateLimit), r.Status(), r.WCU())
		case r.Managed != nil:
			kind := "option"
			if slices.Contains(awsrules.DefaultManagedRuleGroups, r.Name) {
				kind = "default"
			}
			fmt.Fprintf(&b, "| `%s` (%s) | %s | %d |\n", r.Name, kind, r.Managed.Why, r.WCU())
		default:
			if len(bodyRules) > 0 && r.WCU() != bodyWCU {
				return "", fmt.Errorf("the body-limit rules differ in WCU (%d, %d): give each its row", bodyWCU, r.WCU())
			}
			bodyRules, bodyWCU, bodyStatus = append(bodyRules, "`"+r.Name+"`"), r.WCU(), r.Status()
			if len(bodyRules) == 2 {
				fmt.Fprintf(&b, "| %s | `Content-Length` over the route's limit → %d | %d each |\n", strings.Join(bodyRules, ", "), bodyStatus, bodyWCU)
			}
		}
	}
	if len(bodyRules) != 2 {
		return "", fmt.Errorf("expected the two body-limit rules, found %v", bodyRules)
	}
	def := WAFCapacity(WAFRules(awsrules.MinWAFRateLimit, awsrules.DefaultManagedRuleGroups, nil))
	fmt.Fprintf(&b, "\nDefault total: %d WCU, of the %s the basic request price covers.\n", def, thousands(awsrules.WAFBasicCapacity))
	return b.String(), nil
}
