package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/streamlake/streamlake/iampolicy"
	"github.com/streamlake/streamlake/internal/stacktest"
)

// Kinds of policy document.
const (
	identityPolicy = "identity" // a role's permissions
	resourcePolicy = "resource" // a bucket, topic or key policy: who may use the resource
	trustPolicy    = "trust"    // who may assume a role
)

// policyInputs names, per type, the input holding a policy document and its kind.
var policyInputs = map[string]struct {
	Property, Kind string
	Key            bool // a KMS key policy: Resource "*" means this key
}{
	TypeRolePolicy:   {"policy", identityPolicy, false},
	TypePolicy:       {"policy", identityPolicy, false},
	TypeRole:         {"assumeRolePolicy", trustPolicy, false},
	TypeKey:          {"policy", resourcePolicy, true},
	TypeBucketPolicy: {"policy", resourcePolicy, false},
	TypeTopicPolicy:  {"policy", resourcePolicy, false},
	TypeTopic:        {"policy", resourcePolicy, false},
}

// permissionTypes are the types holding identity or resource policies.
var permissionTypes = []string{TypeRolePolicy, TypePolicy, TypeKey, TypeBucketPolicy, TypeTopicPolicy, TypeTopic}

// resourcePolicyTypes are the types holding resource policies.
var resourcePolicyTypes = []string{TypeKey, TypeBucketPolicy, TypeTopicPolicy, TypeTopic}

// statement is one parsed statement with where it came from.
type statement struct {
	iampolicy.Statement
	Raw   map[string]any
	Label string // "Statement[Sid]" or "Statement[i]"
	Key   bool
}

// DocumentInput names the input of a resource type that holds its policy document ("" for a
// type without one).
func DocumentInput(typ string) string { return policyInputs[typ].Property }

func (st statement) prop(r *stacktest.Resource, field string) string {
	return DocumentInput(r.Type) + "." + st.Label + "." + field
}

// statementsOf parses the policy document of r. A document that does not parse is reported:
// a rule cannot vouch for what it cannot read.
// allowStatements returns the Allow statements of a resource's policy document.
func allowStatements(r *stacktest.Resource) ([]statement, *Violation) {
	sts, bad := statementsOf(r)
	var out []statement
	for _, st := range sts {
		if st.Effect == "Allow" {
			out = append(out, st)
		}
	}
	return out, bad
}

func statementsOf(r *stacktest.Resource) ([]statement, *Violation) {
	in, ok := policyInputs[r.Type]
	if !ok {
		return nil, nil
	}
	doc := r.Str(in.Property)
	if doc == "" {
		return nil, nil
	}
	raw, parsed, err := parsePolicy(doc)
	if err != nil {
		v := violation(r, in.Property, "policy document does not parse: "+err.Error(),
			"build the document with iampolicy.New(...).JSON() (json.Marshal of a struct), never by string concatenation")
		return nil, &v
	}
	out := make([]statement, len(parsed.Statement))
	for i, st := range parsed.Statement {
		label := fmt.Sprintf("Statement[%d]", i)
		if st.Sid != "" {
			label = "Statement[" + st.Sid + "]"
		}
		out[i] = statement{Statement: st, Raw: raw[i], Label: label, Key: in.Key}
	}
	return out, nil
}

// parsePolicy reads a document whose Statement may be an object or a list and whose
// Principal may be the string "*" (which iampolicy.Document has no field shape for).
func parsePolicy(s string) ([]map[string]any, iampolicy.Document, error) {
	var top map[string]any
	if err := json.Unmarshal([]byte(s), &top); err != nil {
		return nil, iampolicy.Document{}, err
	}
	var raw []map[string]any
	switch st := top["Statement"].(type) {
	case map[string]any:
		raw = []map[string]any{st}
	case []any:
		for _, e := range st {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, iampolicy.Document{}, fmt.Errorf("statement is not an object: %v", e)
			}
			raw = append(raw, m)
		}
	default:
		return nil, iampolicy.Document{}, fmt.Errorf("no Statement")
	}
	norm := make([]map[string]any, len(raw))
	for i, st := range raw {
		c := map[string]any{}
		for k, v := range st {
			c[k] = v
		}
		if p, ok := c["Principal"].(string); ok {
			c["Principal"] = map[string]any{"AWS": p}
		}
		norm[i] = c
	}
	b, err := json.Marshal(map[string]any{"Version": top["Version"], "Statement": norm})
	if err != nil {
		return nil, iampolicy.Document{}, err
	}
	doc, err := iampolicy.Parse(string(b))
	return raw, doc, err
}

// hasConditionKey reports whether a statement has a condition on key (any operator).
func (st statement) conditionValues(key string) []string {
	var out []string
	for _, keys := range st.Condition {
		for k, v := range keys {
			if strings.EqualFold(k, key) {
				out = append(out, v...)
			}
		}
	}
	return out
}

func (st statement) hasConditionKeyPrefix(prefix string) bool {
	for _, keys := range st.Condition {
		for k := range keys {
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(prefix)) {
				return true
			}
		}
	}
	return false
}

// isWildcardResource reports whether a resource covers every resource of a service or
// account: "*", or an ARN with a wildcard partition, service, region or account, or a
// resource part that starts with "*".
func isWildcardResource(res string) bool {
	if res == "*" {
		return true
	}
	if !strings.HasPrefix(res, "arn:") {
		return false
	}
	parts := strings.SplitN(res, ":", 6)
	if len(parts) < 6 {
		return true
	}
	for _, p := range parts[1:5] {
		if strings.Contains(p, "*") {
			return true
		}
	}
	return strings.HasPrefix(parts[5], "*")
}

// isServiceWildcard reports whether an action grants a whole service or everything.
func isServiceWildcard(action string) bool {
	return action == "*" || strings.HasSuffix(action, ":*")
}

// --- rules -----------------------------------------------------------------------------

func checkNoWildcardAction(_ *Stack, r *stacktest.Resource) []Violation {
	sts, bad := allowStatements(r)
	if bad != nil {
		return []Violation{*bad}
	}
	var out []Violation
	for _, st := range sts {
		for _, a := range st.Action {
			if isServiceWildcard(a) {
				out = append(out, violation(r, st.prop(r, "Action"),
					fmt.Sprintf("Allow statement grants %q: every current and future action of the service", a),
					"list the actions the caller needs (e.g. kinesis:PutRecord, kinesis:PutRecords) in the component's policy(...) builder"))
			}
		}
	}
	return out
}

func checkNoNotElements(_ *Stack, r *stacktest.Resource) []Violation {
	sts, bad := allowStatements(r)
	if bad != nil {
		return []Violation{*bad}
	}
	var out []Violation
	for _, st := range sts {
		for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
			if _, ok := st.Raw[k]; ok {
				out = append(out, violation(r, st.prop(r, k),
					k+" in an Allow statement grants everything not listed, including what AWS adds later",
					"replace "+k+" with an explicit "+strings.TrimPrefix(k, "Not")+" list"))
			}
		}
	}
	return out
}

func checkWildcardResource(_ *Stack, r *stacktest.Resource) []Violation {
	sts, bad := allowStatements(r)
	if bad != nil {
		return []Violation{*bad}
	}
	var out []Violation
	for _, st := range sts {
		if st.Key {
			continue // in a key policy, Resource "*" is the key itself
		}
		for _, res := range st.Resource {
			if !isWildcardResource(res) {
				continue
			}
			var unscoped []string
			for _, a := range st.Action {
				if _, ok := WildcardResourceActions[a]; !ok {
					unscoped = append(unscoped, a)
				}
			}
			if len(unscoped) > 0 {
				out = append(out, violation(r, st.prop(r, "Resource"),
					fmt.Sprintf("Resource %q for %v, which AWS can scope to named resources", res, unscoped),
					"name the stream/bucket/key/log group ARNs (from the component's outputs) instead of a wildcard; if AWS truly offers no resource scope, add the action to WildcardResourceActions in internal/policy/tables.go with the reason"))
			}
		}
	}
	return out
}

func checkManagedPolicies(_ *Stack, r *stacktest.Resource) []Violation {
	var arns []string
	prop := "policyArn"
	if r.Type == TypeRole {
		prop = "managedPolicyArns"
		arns = strList(r.In(prop))
	} else if a := r.Str(prop); a != "" {
		arns = []string{a}
	}
	var out []Violation
	for _, arn := range arns {
		_, rest, ok := strings.Cut(arn, ":iam::aws:")
		if !ok {
			continue // a customer managed policy: its document is checked as aws:iam/policy:Policy
		}
		if _, reviewed := ReviewedManagedPolicies[rest]; !reviewed {
			out = append(out, violation(r, prop,
				fmt.Sprintf("AWS managed policy %s is not reviewed: its permissions change without our review", arn),
				"replace it with an inline policy built with iampolicy in the component, or review it and add it to ReviewedManagedPolicies in internal/policy/tables.go with the reason"))
		}
	}
	return out
}

func checkTrustPolicy(s *Stack, r *stacktest.Resource) []Violation {
	sts, bad := statementsOf(r)
	if bad != nil {
		return []Violation{*bad}
	}
	fix := "build the role with newServiceRole (components/common.go): one service, sts:AssumeRole, and the condition TrustConditions (internal/policy/tables.go) lists for that service"
	if len(sts) == 0 {
		return []Violation{violation(r, "assumeRolePolicy", "role has no trust policy", fix)}
	}
	var out []Violation
	for _, st := range sts {
		if st.Effect != "Allow" {
			continue
		}
		if len(st.Action) != 1 || st.Action[0] != "sts:AssumeRole" {
			out = append(out, violation(r, st.prop(r, "Action"), fmt.Sprintf("trust grants %v; a service role needs sts:AssumeRole only", st.Action), fix))
		}
		services := st.Principal["Service"]
		for kind := range st.Principal {
			if kind != "Service" {
				out = append(out, violation(r, st.prop(r, "Principal"),
					fmt.Sprintf("trust policy names a %s principal %v; service roles trust their one service only", kind, st.Principal[kind]), fix))
			}
		}
		if len(services) != 1 {
			out = append(out, violation(r, st.prop(r, "Principal"),
				fmt.Sprintf("trust policy names services %v; one role per service keeps each service's permissions separate", services), fix))
			continue
		}
		svc := services[0]
		tc, known := TrustConditions[svc]
		if !known {
			out = append(out, violation(r, st.prop(r, "Principal"),
				fmt.Sprintf("service %s is not in the trust-condition table", svc),
				"look up which confused-deputy condition "+svc+" passes (aws:SourceAccount, aws:SourceArn or sts:ExternalId) and add it to TrustConditions in internal/policy/tables.go with the reason"))
			continue
		}
		if len(tc.Keys) == 0 {
			continue
		}
		ok := false
		for _, key := range tc.Keys {
			for _, v := range st.conditionValues(key) {
				// SourceAccount/ExternalId carry the account; SourceArn an ARN in it.
				ok = ok || v == s.Account || strings.Contains(v, ":"+s.Account+":")
			}
		}
		if !ok {
			out = append(out, violation(r, st.prop(r, "Condition"),
				fmt.Sprintf("%s can be made to assume this role for another account: no %s condition with this account (%s)", svc, strings.Join(tc.Keys, " or "), tc.Reason),
				fmt.Sprintf("give the role's serviceRole a Trust mode that adds %s = the account id (components/common.go)", tc.Keys[0])))
		}
	}
	return out
}

func checkResourcePolicyNotPublic(s *Stack, r *stacktest.Resource) []Violation {
	sts, bad := allowStatements(r)
	if bad != nil {
		return []Violation{*bad}
	}
	var out []Violation
	for _, st := range sts {
		for _, p := range st.Principal["AWS"] {
			if p == "*" || !strings.Contains(p, ":"+s.Account+":") && p != s.Account {
				out = append(out, violation(r, st.prop(r, "Principal"),
					fmt.Sprintf("Allow to AWS principal %q, outside this account", p),
					"grant access to this account's roles through their IAM policies; resource policies here only deny or admit AWS services"))
			}
		}
	}
	return out
}

func checkResourcePolicyServiceScoped(_ *Stack, r *stacktest.Resource) []Violation {
	sts, bad := allowStatements(r)
	if bad != nil {
		return []Violation{*bad}
	}
	var out []Violation
	for _, st := range sts {
		if len(st.Principal["Service"]) == 0 {
			continue
		}
		scoped := st.hasConditionKeyPrefix("aws:SourceAccount") || st.hasConditionKeyPrefix("aws:SourceArn") ||
			st.hasConditionKeyPrefix("aws:SourceOwner") || st.hasConditionKeyPrefix("kms:EncryptionContext:") || st.hasConditionKeyPrefix("kms:ViaService")
		if !scoped {
			out = append(out, violation(r, st.prop(r, "Condition"),
				fmt.Sprintf("Allow to %v without aws:SourceAccount/aws:SourceArn: any account's use of the service can act on this resource", st.Principal["Service"]),
				"add .When(\"StringEquals\", \"aws:SourceAccount\", account) or an aws:SourceArn condition naming this stack's resource"))
		}
	}
	return out
}
