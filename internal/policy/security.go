package policy

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/stacktest"
)

// bucketName is the physical name of a bucket; other S3 resources refer to it by name.
func bucketName(b *stacktest.Resource) string { return state(b, "bucket") }

// forBucket returns the resources of a type whose "bucket" input is the bucket.
func (s *Stack) forBucket(typ string, b *stacktest.Resource) []*stacktest.Resource {
	name := bucketName(b)
	return s.where(typ, func(r *stacktest.Resource) bool { return name != "" && r.Str("bucket") == name })
}

const lakeFix = "components/lake.go: "

func checkPublicAccessBlock(s *Stack, b *stacktest.Resource) []Violation {
	flags := []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"}
	pabs := s.forBucket(TypePAB, b)
	if len(pabs) == 0 {
		return []Violation{violation(b, "publicAccessBlock", "bucket has no public access block",
			lakeFix+"add s3.NewBucketPublicAccessBlock with all four flags true")}
	}
	var out []Violation
	for _, f := range flags {
		if !pabs[0].Bool(f) {
			out = append(out, violation(b, pabs[0].Name+"."+f, f+" is not true: a policy or ACL could make objects public",
				lakeFix+"set "+f+": pulumi.Bool(true) on the bucket's public access block"))
		}
	}
	return out
}

func checkBucketEncryption(s *Stack, b *stacktest.Resource) []Violation {
	fix := lakeFix + "add s3.NewBucketServerSideEncryptionConfigurationV2 with SseAlgorithm aws:kms and KmsMasterKeyId the stack key (env.KeyArn)"
	cfgs := s.forBucket(TypeSSE, b)
	if len(cfgs) == 0 {
		return []Violation{violation(b, "serverSideEncryption", "bucket has no default encryption configuration", fix)}
	}
	for _, rule := range cfgs[0].List("rules") {
		alg := str(rule, "applyServerSideEncryptionByDefault.sseAlgorithm")
		key := str(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId")
		if (alg == "aws:kms" || alg == "aws:kms:dsse") && s.IsStackKey(key) {
			return nil
		}
	}
	return []Violation{violation(b, cfgs[0].Name+".rules", "default encryption is not SSE-KMS with this stack's customer managed key", fix)}
}

func checkTLSOnly(s *Stack, b *stacktest.Resource) []Violation {
	arn := arnOf(b)
	policies := s.forBucket(TypeBucketPolicy, b)
	for _, p := range policies {
		sts, bad := statementsOf(p)
		if bad != nil {
			return []Violation{*bad}
		}
		for _, st := range sts {
			anyone := slices.Contains(st.Principal["AWS"], "*")
			allS3 := slices.Contains(st.Action, "s3:*")
			both := slices.Contains(st.Resource, arn) && slices.Contains(st.Resource, arn+"/*")
			insecure := slices.Contains(st.conditionValues("aws:SecureTransport"), "false")
			if st.Effect == "Deny" && anyone && allS3 && both && insecure {
				return nil
			}
		}
	}
	return []Violation{violation(b, "policy",
		"no bucket policy statement denies every s3:* request without TLS (Deny, Principal *, bucket and bucket/*, Bool aws:SecureTransport=false)",
		lakeFix+"keep the DenyInsecureTransport statement in the bucket policy")}
}

func checkACLsDisabled(s *Stack, b *stacktest.Resource) []Violation {
	for _, oc := range s.forBucket(TypeOwnership, b) {
		if oc.Str("rule.objectOwnership") == "BucketOwnerEnforced" {
			return nil
		}
	}
	return []Violation{violation(b, "ownershipControls", "ACLs are not disabled (no BucketOwnerEnforced ownership control): access could be granted outside IAM and the bucket policy",
		lakeFix+"add s3.NewBucketOwnershipControls with ObjectOwnership BucketOwnerEnforced")}
}

func checkStreamEncrypted(s *Stack, r *stacktest.Resource) []Violation {
	if r.Str("encryptionType") == "KMS" && s.IsStackKey(r.Str("kmsKeyId")) {
		return nil
	}
	return []Violation{violation(r, "encryptionType/kmsKeyId",
		fmt.Sprintf("stream is not encrypted with the stack key (encryptionType %q, kmsKeyId %q)", r.Str("encryptionType"), r.Str("kmsKeyId")),
		"components/stream.go: EncryptionType KMS and KmsKeyId env.KeyArn")}
}

func checkFirehoseEncrypted(s *Stack, r *stacktest.Resource) []Violation {
	if r.In("extendedS3Configuration") == nil {
		return []Violation{violation(r, "destination", "destination "+r.Str("destination")+" is not extended_s3; the policy suite only knows extended S3 destinations",
			"use an extended_s3 destination or extend tests/policy to the new destination kind")}
	}
	var out []Violation
	if !s.IsStackKey(r.Str("extendedS3Configuration.kmsKeyArn")) {
		out = append(out, violation(r, "extendedS3Configuration.kmsKeyArn", "objects Firehose writes to the lake are not encrypted with the stack key",
			"components/delivery.go: KmsKeyArn env.KeyArn in the extended S3 configuration"))
	}
	if r.Str("extendedS3Configuration.s3BackupMode") == "Enabled" && !s.IsStackKey(r.Str("extendedS3Configuration.s3BackupConfiguration.kmsKeyArn")) {
		out = append(out, violation(r, "extendedS3Configuration.s3BackupConfiguration.kmsKeyArn", "raw backup objects are not encrypted with the stack key",
			"components/delivery.go: KmsKeyArn env.KeyArn in the S3 backup configuration"))
	}
	return out
}

func checkTopicEncrypted(s *Stack, r *stacktest.Resource) []Violation {
	if s.IsStackKey(r.Str("kmsMasterKeyId")) {
		return nil
	}
	return []Violation{violation(r, "kmsMasterKeyId",
		fmt.Sprintf("topic is not encrypted with the stack's customer managed key (kmsMasterKeyId %q): unencrypted, or with alias/aws/sns, whose key policy CloudWatch alarms cannot use, so notifications are dropped", r.Str("kmsMasterKeyId")),
		"components/monitoring.go: KmsMasterKeyId env.KeyArn")}
}

func checkLogGroupEncrypted(s *Stack, r *stacktest.Resource) []Violation {
	if s.IsStackKey(r.Str("kmsKeyId")) {
		return nil
	}
	return []Violation{violation(r, "kmsKeyId", "log group is not encrypted with the stack key (logs hold request metadata and record errors)",
		"create log groups with newLogGroup (components/common.go), which sets KmsKeyId env.KeyArn")}
}

func checkKeyRotation(_ *Stack, r *stacktest.Resource) []Violation {
	if spec := r.Str("customerMasterKeySpec"); spec != "" && spec != "SYMMETRIC_DEFAULT" {
		return nil // asymmetric and HMAC keys cannot rotate
	}
	if r.Bool("enableKeyRotation") {
		return nil
	}
	return []Violation{violation(r, "enableKeyRotation", "key rotation is off", "components/datakey.go: EnableKeyRotation pulumi.Bool(true)")}
}

// --- API Gateway -----------------------------------------------------------------------

const apiFix = "components/ingestapi.go: "

func checkAPIAuth(_ *Stack, m *stacktest.Resource) []Violation {
	if m.Str("httpMethod") == "OPTIONS" {
		return nil // CORS preflights carry no credentials by design
	}
	auth := m.Str("authorization")
	switch {
	case m.Bool("apiKeyRequired"):
		return nil
	case auth == "AWS_IAM":
		return nil
	case (auth == "CUSTOM" || auth == "COGNITO_USER_POOLS") && m.Str("authorizerId") != "":
		return nil
	}
	return []Violation{violation(m, "apiKeyRequired/authorization",
		fmt.Sprintf("%s method is open to anyone (authorization %q, no API key)", m.Str("httpMethod"), auth),
		apiFix+"ApiKeyRequired pulumi.Bool(true) on every non-OPTIONS method (or an authorizer)")}
}

func checkAPIRequestValidation(s *Stack, m *stacktest.Resource) []Violation {
	if m.Str("httpMethod") == "OPTIONS" {
		return nil
	}
	fix := apiFix + "RequestValidatorId validator.ID() (ValidateRequestBody true) and RequestModels {application/json: the schema model} on every method"
	v := s.ByID(m.Str("requestValidatorId"))
	if v == nil || v.Type != TypeValidator {
		return []Violation{violation(m, "requestValidatorId", "method has no request validator: malformed bodies reach Kinesis", fix)}
	}
	var out []Violation
	if !v.Bool("validateRequestBody") {
		out = append(out, violation(m, "requestValidatorId", "the method's validator "+v.Name+" does not validate the body", fix))
	}
	if hasBody := m.Str("httpMethod") != "GET" && m.Str("httpMethod") != "DELETE" && m.Str("httpMethod") != "HEAD"; hasBody && len(m.StrMap("requestModels")) == 0 {
		out = append(out, violation(m, "requestModels", "method has no request model, so body validation checks nothing", fix))
	}
	return out
}

// methodSettingsFor returns the stage-wide (*/*) method settings of a stage.
func (s *Stack) methodSettingsFor(stage *stacktest.Resource) *stacktest.Resource {
	return s.first(TypeMethodSettings, func(ms *stacktest.Resource) bool {
		return ms.Str("restApi") == stage.Str("restApi") && ms.Str("stageName") == stage.Str("stageName") && ms.Str("methodPath") == "*/*"
	})
}

func checkStageThrottling(s *Stack, st *stacktest.Resource) []Violation {
	fix := apiFix + "apigateway.NewMethodSettings for the stage, MethodPath */*, ThrottlingRateLimit and ThrottlingBurstLimit from apiRateLimit/apiBurstLimit"
	ms := s.methodSettingsFor(st)
	if ms == nil {
		return []Violation{violation(st, "methodSettings", "stage has no */* method settings, so it runs at the account's throttle (10000 rps) shared with every API", fix)}
	}
	rate, _ := num(ms.Inputs, "settings.throttlingRateLimit")
	burst, _ := num(ms.Inputs, "settings.throttlingBurstLimit")
	if rate <= 0 || burst <= 0 || rate > awsrules.MaxAccountRate || burst > awsrules.MaxAccountBurst {
		return []Violation{violation(st, ms.Name+".settings.throttling",
			fmt.Sprintf("stage throttle rate %g burst %g: each must be > 0 and within the account limits (%d, %d)", rate, burst, awsrules.MaxAccountRate, awsrules.MaxAccountBurst), fix)}
	}
	return nil
}

func checkUsagePlan(s *Stack, st *stacktest.Resource) []Violation {
	fix := apiFix + "a usage plan with ApiStages {api, stage}, ThrottleSettings rate and burst, and a UsagePlanKey for the producers' API key"
	if s.first(TypeMethod, func(m *stacktest.Resource) bool {
		return m.Str("restApi") == st.Str("restApi") && m.Bool("apiKeyRequired")
	}) == nil {
		return nil // no method takes a key (apiAuth iam or jwt): there is nothing to meter per key
	}
	for _, plan := range s.OfType(TypeUsagePlan) {
		covers := false
		for _, as := range plan.List("apiStages") {
			covers = covers || (str(as, "apiId") == st.Str("restApi") && str(as, "stage") == st.Str("stageName"))
		}
		if !covers {
			continue
		}
		rate, _ := num(plan.Inputs, "throttleSettings.rateLimit")
		burst, _ := num(plan.Inputs, "throttleSettings.burstLimit")
		if rate <= 0 || burst <= 0 {
			return []Violation{violation(st, plan.Name+".throttleSettings", "the stage's usage plan does not throttle per API key", fix)}
		}
		planID := idOf(plan)
		if s.first(TypeUsagePlanKey, func(k *stacktest.Resource) bool {
			key := s.ByID(k.Str("keyId"))
			return k.Str("usagePlanId") == planID && key != nil && key.Type == TypeAPIKey
		}) == nil {
			return []Violation{violation(st, plan.Name, "the stage's usage plan has no API key attached: every keyed request is refused (403)", fix)}
		}
		return nil
	}
	return []Violation{violation(st, "usagePlan", "no usage plan covers the stage: API keys are not throttled or metered", fix)}
}

func checkAccessLogs(s *Stack, st *stacktest.Resource) []Violation {
	fix := apiFix + "AccessLogSettings {DestinationArn: a log group from newLogGroup, Format: vtl.AccessLogFormat()}"
	dest := st.Str("accessLogSettings.destinationArn")
	if dest == "" {
		return []Violation{violation(st, "accessLogSettings", "stage writes no access logs: no record of who sent what", fix)}
	}
	if s.first(TypeLogGroup, func(g *stacktest.Resource) bool { return arnOf(g) == dest }) == nil {
		return []Violation{violation(st, "accessLogSettings.destinationArn", "access logs go to "+dest+", which is not a log group of this stack (retention and encryption unchecked)", fix)}
	}
	if !strings.Contains(st.Str("accessLogSettings.format"), "$context.requestId") {
		return []Violation{violation(st, "accessLogSettings.format", "access log format has no $context.requestId: entries cannot be matched to execution logs or client reports", fix)}
	}
	return nil
}

func checkNoDataTrace(_ *Stack, ms *stacktest.Resource) []Violation {
	if ms.Bool("settings.dataTraceEnabled") {
		return []Violation{violation(ms, "settings.dataTraceEnabled", "full request/response logging writes event bodies (personal data) to CloudWatch",
			apiFix+"DataTraceEnabled pulumi.Bool(false)")}
	}
	return nil
}

// --- API authorizers and firewall ------------------------------------------------------

const wafFix = "components/waf.go: "

func checkCognitoAuthorizer(s *Stack, m *stacktest.Resource) []Violation {
	if m.Str("authorization") != "COGNITO_USER_POOLS" {
		return nil
	}
	fix := apiFix + "newAuthorizer: a COGNITO_USER_POOLS authorizer of the method's REST API naming the pools of apiJwtUserPoolArns, as the method's AuthorizerId"
	a := s.ByID(m.Str("authorizerId"))
	switch {
	case a == nil || a.Type != TypeAuthorizer || a.Str("restApi") != m.Str("restApi"):
		return []Violation{violation(m, "authorizerId", "the method's authorizer is not an authorizer of its REST API: API Gateway rejects the method, or checks tokens against nothing of ours", fix)}
	case a.Str("type") != "COGNITO_USER_POOLS":
		return []Violation{violation(m, a.Name+".type", fmt.Sprintf("the method asks for user pool tokens but its authorizer is of type %q", a.Str("type")), fix)}
	}
	arns := strList(a.In("providerArns"))
	if len(arns) == 0 {
		return []Violation{violation(m, a.Name+".providerArns", "the authorizer names no user pool: no token can pass", fix)}
	}
	var out []Violation
	for _, arn := range arns {
		if err := awsrules.CheckUserPoolArn(arn); err != nil {
			out = append(out, violation(m, a.Name+".providerArns", err.Error(), fix))
		}
	}
	return out
}

// webACLOf returns the regional web ACL of this stack associated with a stage, or nil.
func (s *Stack) webACLOf(stage *stacktest.Resource) *stacktest.Resource {
	for _, assoc := range s.where(TypeWebACLAssoc, func(a *stacktest.Resource) bool { return a.Str("resourceArn") == arnOf(stage) }) {
		acl := s.first(TypeWebACL, func(w *stacktest.Resource) bool {
			return arnOf(w) == assoc.Str("webAclArn") && w.Str("scope") == "REGIONAL"
		})
		if acl != nil {
			return acl
		}
	}
	return nil
}

func checkProductionFirewall(s *Stack, st *stacktest.Resource) []Violation {
	if s.ProjectKey("protectData") != "true" || s.webACLOf(st) != nil {
		return nil
	}
	return []Violation{violation(st, "webAcl", "a production stage (protectData) has no AWS WAF web ACL: nothing limits a flood from one address, oversized bodies or known exploit traffic before API Gateway",
		wafFix+"set waf: true (stacks.buildWAF associates the web ACL with the stage ARN)")}
}

// wafRules returns a web ACL's rules and their statements as plain values.
func wafRules(acl *stacktest.Resource) []map[string]any {
	var out []map[string]any
	for _, r := range acl.List("rules") {
		if m, ok := r.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func checkWAFRateLimit(_ *Stack, acl *stacktest.Resource) []Violation {
	for _, r := range wafRules(acl) {
		limit, _ := num(r, "statement.rateBasedStatement.limit")
		if str(r, "statement.rateBasedStatement.aggregateKeyType") == "IP" && stacktest.Path(r, "action.block") != nil &&
			awsrules.CheckWAFRateLimit(int(limit)) == nil {
			return nil
		}
	}
	return []Violation{violation(acl, "rules", fmt.Sprintf("no rule blocks a client address over a request rate (a rate-based rule, key IP, limit %d..%d, action Block): one client can use the whole stage throttle",
		awsrules.MinWAFRateLimit, awsrules.MaxWAFRateLimit), wafFix+"WAFRules: the rate-limit-per-ip rule (wafRateLimitPer5Min)")}
}

// contentLengthLimit returns the Content-Length a rule blocks requests over, when it blocks
// requests whose path ends in its suffix and whose declared Content-Length its regex matches
// (and a smaller one it does not): the suffix, the limit, and whether it is such a rule.
func contentLengthLimit(r map[string]any, limits []int) (string, int, bool) {
	if stacktest.Path(r, "action.block") == nil {
		return "", 0, false
	}
	suffix, limit := "", 0
	for _, st := range list(r, "statement.andStatement.statements") {
		if str(st, "byteMatchStatement.positionalConstraint") == "ENDS_WITH" && stacktest.Path(st, "byteMatchStatement.fieldToMatch.uriPath") != nil {
			suffix = str(st, "byteMatchStatement.searchString")
		}
		re, err := regexp.Compile(str(st, "regexMatchStatement.regexString"))
		if err == nil && strings.EqualFold(str(st, "regexMatchStatement.fieldToMatch.singleHeader.name"), "content-length") {
			for _, l := range limits {
				if !re.MatchString(strconv.Itoa(l)) && re.MatchString(strconv.Itoa(l+1)) {
					limit = l
				}
			}
			if limit == 0 {
				limit = -1 // a size rule, but at none of the routes' limits: it blocks some accepted bodies
			}
		}
	}
	return suffix, limit, suffix != "" && limit != 0
}

// postRoutes are the paths of the POST methods of the stack's REST APIs (below the stage),
// from the API's resource tree: every dataset's routes.
func (s *Stack) postRoutes() []string {
	var out []string
	for _, m := range s.OfType(TypeMethod) {
		if m.Str("httpMethod") != "POST" {
			continue
		}
		path := ""
		for r := s.ByID(m.Str("resourceId")); r != nil; r = s.ByID(r.Str("parentId")) {
			path = "/" + r.Str("pathPart") + path
		}
		out = append(out, path)
	}
	slices.Sort(out)
	return out
}

func checkWAFBodyLimits(s *Stack, acl *stacktest.Resource) []Violation {
	fix := wafFix + "WAFRules (event-too-large, batch-too-large) and awsrules.ManagedRuleGroups (CountOnly)"
	var out []Violation
	limits := []int{apispec.MaxEventBytes, apispec.MaxBatchBytes}
	for _, route := range s.postRoutes() {
		want := apispec.MaxEventBytes
		if strings.HasSuffix(route, apispec.BatchSuffix) {
			want = apispec.MaxBatchBytes
		}
		covered := false
		for _, r := range wafRules(acl) {
			suffix, limit, ok := contentLengthLimit(r, limits)
			switch {
			case !ok || !strings.HasSuffix(route, suffix):
			case limit == want:
				covered = true
			default:
				out = append(out, violation(acl, "rules", fmt.Sprintf("a rule blocks POST %s (ending %s) over %d bytes, but the route takes %d", route, suffix, limit, want), fix))
			}
		}
		if !covered {
			out = append(out, violation(acl, "rules", fmt.Sprintf("no rule blocks POST ...%s with a Content-Length over the route's limit %d", route, want), fix))
		}
	}
	for _, r := range wafRules(acl) {
		g, ok := awsrules.ManagedRuleGroupNamed(str(r, "statement.managedRuleGroupStatement.name"))
		if !ok {
			continue
		}
		counted := map[string]bool{}
		for _, o := range list(r, "statement.managedRuleGroupStatement.ruleActionOverrides") {
			counted[str(o, "name")] = stacktest.Path(o, "actionToUse.count") != nil
		}
		for _, rule := range g.CountOnly {
			if !counted[rule] {
				out = append(out, violation(acl, "rules["+g.Name+"]", fmt.Sprintf("%s's rule %s blocks requests the API accepts (%s)", g.Name, rule, g.Why), fix))
			}
		}
	}
	return out
}

// --- Athena ----------------------------------------------------------------------------

const athenaFix = "components/analytics.go: "

func checkAthenaEnforced(_ *Stack, wg *stacktest.Resource) []Violation {
	if boolOr(wg.Inputs, "configuration.enforceWorkgroupConfiguration", true) {
		return nil
	}
	return []Violation{violation(wg, "configuration.enforceWorkgroupConfiguration", "clients can override the result location, encryption and scan cap",
		athenaFix+"EnforceWorkgroupConfiguration pulumi.Bool(true)")}
}

func checkAthenaResults(s *Stack, wg *stacktest.Resource) []Violation {
	fix := athenaFix + "ResultConfiguration {OutputLocation: s3://<lake bucket>/athena-results/, EncryptionConfiguration {SSE_KMS, env.KeyArn}}"
	var out []Violation
	opt := wg.Str("configuration.resultConfiguration.encryptionConfiguration.encryptionOption")
	key := wg.Str("configuration.resultConfiguration.encryptionConfiguration.kmsKeyArn")
	if (opt != "SSE_KMS" && opt != "CSE_KMS") || !s.IsStackKey(key) {
		out = append(out, violation(wg, "configuration.resultConfiguration.encryptionConfiguration",
			fmt.Sprintf("query results (copies of lake data) are not encrypted with the stack key (option %q)", opt), fix))
	}
	loc := wg.Str("configuration.resultConfiguration.outputLocation")
	inLake := s.first(TypeBucket, func(b *stacktest.Resource) bool { return strings.HasPrefix(loc, "s3://"+bucketName(b)+"/") }) != nil
	if !inLake {
		out = append(out, violation(wg, "configuration.resultConfiguration.outputLocation",
			fmt.Sprintf("results go to %q, outside this stack's buckets (no TLS policy, lifecycle or key of ours)", loc), fix))
	}
	return out
}

func checkAthenaScanCap(_ *Stack, wg *stacktest.Resource) []Violation {
	limit, ok := num(wg.Inputs, "configuration.bytesScannedCutoffPerQuery")
	if ok && limit >= awsrules.MinBytesScannedCutoff {
		return nil
	}
	return []Violation{violation(wg, "configuration.bytesScannedCutoffPerQuery",
		fmt.Sprintf("per-query scan cap %v: without one (or below the provider's minimum of %d bytes, 10 MiB) one bad query scans the whole lake", limit, awsrules.MinBytesScannedCutoff),
		athenaFix+"BytesScannedCutoffPerQuery from bytesScannedCutoffMb")}
}

// --- Lambda ----------------------------------------------------------------------------

var (
	secretName  = regexp.MustCompile(`(?i)(secret|passw(or)?d|pwd|token|api[_-]?key|private[_-]?key|credential|access[_-]?key)`)
	secretValue = []*regexp.Regexp{
		regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`),                            // AWS access key id
		regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),                     // PEM key
		regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`),                                    // AWS secret access key shape
		regexp.MustCompile(`(?i)^(ghp|gho|xox[bpas]|sk_live|sk-)[-_A-Za-z0-9]{16,}`), // common API tokens
		regexp.MustCompile(`^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.`),                // JWT
	}
)

func checkNoSecretEnv(_ *Stack, fn *stacktest.Resource) []Violation {
	fix := "components/transformfunction.go: pass secrets by reference (a Secrets Manager or SSM parameter ARN the role may read), never as environment values: they show in the console, in GetFunctionConfiguration and in the Pulumi state"
	var out []Violation
	vars := fn.StrMap("environment.variables")
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if secretName.MatchString(k) {
			out = append(out, violation(fn, "environment.variables."+k, "environment variable name "+k+" suggests a secret", fix))
			continue
		}
		for _, re := range secretValue {
			if re.MatchString(v) {
				out = append(out, violation(fn, "environment.variables."+k, "the value of "+k+" looks like a credential", fix))
				break
			}
		}
	}
	return out
}
