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
// applied (a grant must exist on its own; Denies and Permits apply them), actions are compared
// exactly (no wildcards), a Null test always holds (it is about the resource's state at the
// time of the call), and a condition operator other than StringEquals, StringLike, ArnEquals
// and ArnLike never holds.
func (d Document) Allows(action, resource string, context map[string]string) bool {
	for _, st := range d.Statement {
		if st.Effect == "Allow" && contains(st.Action, action) && anyMatch(st.Resource, resource) && st.conditionsHold(context) {
			return true
		}
	}
	return false
}

// Denies reports whether a Deny statement of the document refuses action on resource: one
// whose action and resource match and whose conditions hold by the same rules as Allows (so a
// Deny with a condition operator Allows does not know is never applied). A role's call goes
// through when one of its policies allows it and none denies it.
func (d Document) Denies(action, resource string, context map[string]string) bool {
	for _, st := range d.Statement {
		if st.Effect == "Deny" && contains(st.Action, action) && anyMatch(st.Resource, resource) && st.conditionsHold(context) {
			return true
		}
	}
	return false
}

// Permits reports whether a principal with these policies may make the call: one of them
// allows it and none denies it (with the approximations of Allows and Denies).
func Permits(docs []Document, action, resource string, context map[string]string) bool {
	allowed := false
	for _, d := range docs {
		if d.Denies(action, resource, context) {
			return false
		}
		allowed = allowed || d.Allows(action, resource, context)
	}
	return allowed
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
