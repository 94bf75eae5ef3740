// Package policy is streamlake's policy suite: written rules (security, deploy-time
// correctness, operations) that every resource the program declares must satisfy. It runs
// the real program for every stack file under Pulumi mocks (internal/stacktest) and checks
// each declared resource against every rule, reporting all violations at once. Deliberate
// deviations live in one reviewed exception list (exceptions.go), never in a weakened rule.
//
// The suite's tests live in tests/policy: `make policy` prints the rule table; `go test
// ./tests/policy` fails on any violation.
package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/internal/stacktest"
)

// Rule categories.
const (
	Security   = "security"
	Deploy     = "deploy"
	Operations = "operations"
)

// Rule is one written rule.
type Rule struct {
	ID       string
	Category string
	// Description says what the rule requires; Reason (one line) says why.
	Description string
	Reason      string
	// Types are the resource type tokens the rule applies to; Check runs once per resource
	// of these types. Empty: a whole-stack rule, Check runs once with r == nil.
	Types []string
	Check func(s *Stack, r *stacktest.Resource) []Violation
}

// Violation is one broken rule on one resource.
type Violation struct {
	Rule string
	// Resource is "<type token> <logical name>" (stacktest.Resource.String()).
	Resource string
	// Property is the input path at fault, e.g. "extendedS3Configuration.bufferingSize".
	Property string
	Message  string
	// Fix says what to change, and where.
	Fix string
}

func (v Violation) String() string {
	return fmt.Sprintf("[%s] %s: %s: %s\n    fix: %s", v.Rule, v.Resource, v.Property, v.Message, v.Fix)
}

// Exception accepts violations of one rule on one resource, for a reviewed reason. Property,
// when set, narrows it to that property, so a second problem on the same resource still fails.
type Exception struct {
	Rule     string
	Resource string
	Property string
	Reason   string
}

// Matches reports whether the exception covers v.
func (e Exception) Matches(v Violation) bool {
	return e.Rule == v.Rule && e.Resource == v.Resource && (e.Property == "" || e.Property == v.Property)
}

// Report is the outcome of evaluating one stack.
type Report struct {
	Stack string
	// Violations are the violations no exception covers; the stack passes when empty.
	Violations []Violation
	// Excepted are the violations an exception covers.
	Excepted []Violation
	// Checked counts, per rule, the resources it examined (1 for a whole-stack rule), so a rule
	// that examined nothing shows as n/a rather than as a silent pass.
	Checked map[string]int
	// Err is set when the stack's configuration could not be read.
	Err error
}

// Failures returns the unexcepted violations of one rule.
func (r Report) Failures(rule string) []Violation {
	var out []Violation
	for _, v := range r.Violations {
		if v.Rule == rule {
			out = append(out, v)
		}
	}
	return out
}

// Evaluate checks every resource of a run against every rule, with the configuration of the
// run's stack file (Pulumi.yaml defaults plus Pulumi.<stack>.yaml).
func Evaluate(res *stacktest.Result) Report {
	cfg, err := stacktest.StackConfig(res.Stack)
	if err != nil {
		return Report{Stack: res.Stack, Err: err}
	}
	return EvaluateWith(res, cfg, Rules, Exceptions)
}

// EvaluateWith checks a run against rules, with a configuration (fully qualified keys, as
// stacktest.StackConfig returns it) and an exception list.
func EvaluateWith(res *stacktest.Result, cfg map[string]string, rules []Rule, exceptions []Exception) Report {
	s := NewStack(res, cfg)
	rep := Report{Stack: res.Stack, Checked: map[string]int{}}
	for _, rule := range rules {
		var found []Violation
		if len(rule.Types) == 0 {
			rep.Checked[rule.ID]++
			found = rule.Check(s, nil)
		} else {
			for _, r := range res.Resources {
				if slices.Contains(rule.Types, r.Type) {
					rep.Checked[rule.ID]++
					found = append(found, rule.Check(s, r)...)
				}
			}
		}
		for _, v := range found {
			v.Rule = rule.ID
			excepted := false
			for _, e := range exceptions {
				excepted = excepted || e.Matches(v)
			}
			if excepted {
				rep.Excepted = append(rep.Excepted, v)
			} else {
				rep.Violations = append(rep.Violations, v)
			}
		}
	}
	return rep
}

// Stack is a run with its configuration and lookups the rules share.
type Stack struct {
	*stacktest.Result
	Config  map[string]string
	Project string
	Region  string
	Account string
	ids     map[string]*stacktest.Resource
}

// NewStack indexes a run.
func NewStack(res *stacktest.Result, cfg map[string]string) *Stack {
	project, _ := stacktest.Project()
	s := &Stack{Result: res, Config: cfg, Project: project, Region: cfg["aws:region"], Account: stacktest.Account,
		ids: map[string]*stacktest.Resource{}}
	for _, r := range res.Resources {
		s.ids[idOf(r)] = r
	}
	return s
}

// idOf is the provider id the mocks gave a resource: the computed "id" where the mocks compute
// one (buckets, REST APIs), otherwise "<logical name>-id" (stacktest's mock convention;
// stacktest.Resource does not record ids). Inputs that reference another resource by id
// (restApi, resourceId, requestValidatorId, usagePlanId, keyId) hold this value.
func idOf(r *stacktest.Resource) string {
	if id, ok := r.State["id"].(string); ok && id != "" {
		return id
	}
	return r.Name + "-id"
}

// ByID returns the resource with a provider id, or nil.
func (s *Stack) ByID(id string) *stacktest.Resource { return s.ids[id] }

// ProjectKey returns a project configuration value ("" if unset).
func (s *Stack) ProjectKey(key string) string { return s.Config[s.Project+":"+key] }

// ConfiguredTags are the stack file's tags.
func (s *Stack) ConfiguredTags() map[string]string {
	out := map[string]string{}
	_ = json.Unmarshal([]byte(s.ProjectKey("tags")), &out)
	return out
}

// state returns a computed (or input) string the mocks returned for a resource.
func state(r *stacktest.Resource, key string) string {
	v, _ := r.State[key].(string)
	return v
}

// arnOf is a resource's ARN.
func arnOf(r *stacktest.Resource) string { return state(r, "arn") }

// where returns the resources of a type for which match is true.
func (s *Stack) where(typ string, match func(*stacktest.Resource) bool) []*stacktest.Resource {
	var out []*stacktest.Resource
	for _, r := range s.OfType(typ) {
		if match == nil || match(r) {
			out = append(out, r)
		}
	}
	return out
}

// first returns the first resource of a type for which match is true, or nil.
func (s *Stack) first(typ string, match func(*stacktest.Resource) bool) *stacktest.Resource {
	if rs := s.where(typ, match); len(rs) > 0 {
		return rs[0]
	}
	return nil
}

// IsStackKey reports whether v names a KMS key this stack creates (its ARN, key id, or an
// alias of it): a customer managed key, not an AWS managed one like alias/aws/sns.
func (s *Stack) IsStackKey(v string) bool {
	if v == "" {
		return false
	}
	for _, k := range s.OfType(TypeKey) {
		if v == arnOf(k) || v == state(k, "keyId") {
			return true
		}
	}
	for _, a := range s.OfType(TypeAlias) {
		name := a.Str("name")
		if (v == name || v == arnOf(a) || strings.HasSuffix(v, ":"+name)) && s.IsStackKey(a.Str("targetKeyId")) {
			return true
		}
	}
	return false
}

// LogGroupNamed returns the declared log group with a physical name, or nil.
func (s *Stack) LogGroupNamed(name string) *stacktest.Resource {
	return s.first(TypeLogGroup, func(g *stacktest.Resource) bool { return name != "" && state(g, "name") == name })
}

// TopicArn reports whether arn is an SNS topic this stack creates.
func (s *Stack) TopicArn(arn string) bool {
	return s.first(TypeTopic, func(t *stacktest.Resource) bool { return arn != "" && arnOf(t) == arn }) != nil
}

// violation builds a violation of r (rule id is filled in by Evaluate).
func violation(r *stacktest.Resource, property, message, fix string) Violation {
	return Violation{Resource: r.String(), Property: property, Message: message, Fix: fix}
}

// Lines splits a joined error (errors.Join) into one message per line.
func lines(err error) []string {
	if err == nil {
		return nil
	}
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// str reads a string at a path of a plain value (a map from Inputs).
func str(v any, path string) string {
	s, _ := stacktest.Path(v, path).(string)
	return s
}

func num(v any, path string) (float64, bool) {
	f, ok := stacktest.Path(v, path).(float64)
	return f, ok
}

func list(v any, path string) []any {
	l, _ := stacktest.Path(v, path).([]any)
	return l
}

// boolOr reads a boolean at a path, or def when unset (provider defaults).
func boolOr(v any, path string, def bool) bool {
	if b, ok := stacktest.Path(v, path).(bool); ok {
		return b
	}
	return def
}

// strList reads a string or a list of strings (alarm actions, policy values).
func strList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Clone deep-copies a run, so a test can break the copy without touching the original.
func Clone(res *stacktest.Result) *stacktest.Result {
	c := *res
	c.Resources = make([]*stacktest.Resource, len(res.Resources))
	for i, r := range res.Resources {
		rc := *r
		rc.DependsOn = append([]string(nil), r.DependsOn...)
		rc.Inputs, _ = deepCopy(r.Inputs).(map[string]any)
		rc.State, _ = deepCopy(r.State).(map[string]any)
		c.Resources[i] = &rc
	}
	c.Exports, _ = deepCopy(res.Exports).(map[string]any)
	c.SecretExports = map[string]bool{}
	for k, v := range res.SecretExports {
		c.SecretExports[k] = v
	}
	return &c
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}
