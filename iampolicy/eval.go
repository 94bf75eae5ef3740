package iampolicy

import (
	"regexp"
	"strings"
)

// Match reports whether an IAM pattern (* any run of characters, ? one character, both
// case-sensitive as in Resource and StringLike) matches s.
func Match(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// Allows reports whether an Allow statement of the document grants action on resource, with
// the request context keys (aws:RequestTag/project, iam:PassedToService, ...) in context.
// It is a static approximation for tests, not IAM's evaluator: Deny statements are not
// applied (a grant must exist on its own), actions are compared exactly (no wildcards), a
// Null test always holds (it is about the resource's state at the time of the call), and a
// condition operator other than StringEquals, StringLike, ArnEquals and ArnLike never holds.
func (d Document) Allows(action, resource string, context map[string]string) bool {
	for _, st := range d.Statement {
		if st.Effect == "Allow" && contains(st.Action, action) && anyMatch(st.Resource, resource) && st.conditionsHold(context) {
			return true
		}
	}
	return false
}

func (s Statement) conditionsHold(context map[string]string) bool {
	for op, keys := range s.Condition {
		if op == "Null" {
			continue
		}
		for key, values := range keys {
			got, ok := context[key]
			if !ok {
				return false
			}
			switch op {
			case "StringEquals", "ArnEquals":
				if !contains(values, got) {
					return false
				}
			case "StringLike", "ArnLike":
				if !anyMatch(values, got) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

func contains(l StringList, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func anyMatch(patterns StringList, s string) bool {
	for _, p := range patterns {
		if Match(p, s) {
			return true
		}
	}
	return false
}
