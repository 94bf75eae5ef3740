// Package iampolicy holds IAM policy documents as Go values, so policies are built with
// json.Marshal (never string concatenation) and read back by tests and the policy suite.
package iampolicy

import (
	"encoding/json"
	"fmt"
	"maps"
)

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement. Action, Resource and Principal values are normalised to
// lists when parsed.
type Statement struct {
	Sid       string                           `json:"Sid,omitempty"`
	Effect    string                           `json:"Effect"`
	Principal map[string]StringList            `json:"Principal,omitempty"`
	Action    StringList                       `json:"Action,omitempty"`
	Resource  StringList                       `json:"Resource,omitempty"`
	Condition map[string]map[string]StringList `json:"Condition,omitempty"`
}

// StringList is a JSON string or list of strings; it always marshals as a list.
type StringList []string

// UnmarshalJSON accepts "a" or ["a", "b"].
func (l *StringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = StringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("expected a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

// New returns a document with the current policy language version.
func New(statements ...Statement) Document {
	return Document{Version: "2012-10-17", Statement: statements}
}

// Allow is a statement allowing actions on resources.
func Allow(sid string, actions []string, resources ...string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

// When adds a condition to the statement.
func (s Statement) When(op, key string, values ...string) Statement {
	c := map[string]map[string]StringList{}
	maps.Copy(c, s.Condition)
	inner := map[string]StringList{}
	maps.Copy(inner, c[op])
	inner[key] = values
	c[op] = inner
	s.Condition = c
	return s
}

// AssumeRole is a trust policy letting one service assume a role, limited to calls made on
// behalf of this account (and, when sourceArn is set, of that one resource) so that the
// service cannot be used as a confused deputy.
func AssumeRole(service, account, sourceArn string) Document {
	st := Statement{
		Effect:    "Allow",
		Principal: map[string]StringList{"Service": {service}},
		Action:    StringList{"sts:AssumeRole"},
	}
	if account != "" {
		st = st.When("StringEquals", "aws:SourceAccount", account)
	}
	if sourceArn != "" {
		st = st.When("ArnLike", "aws:SourceArn", sourceArn)
	}
	return New(st)
}

// JSON marshals the document.
func (d Document) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("marshal policy: %w", err)
	}
	return string(b), nil
}

// Parse reads a policy document.
func Parse(s string) (Document, error) {
	var d Document
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return d, fmt.Errorf("parse policy: %w", err)
	}
	return d, nil
}
