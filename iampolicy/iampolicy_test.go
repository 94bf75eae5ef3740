package iampolicy

import (
	"slices"
	"strings"
	"testing"
)

func TestParseAcceptsStringOrList(t *testing.T) {
	d, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["a","b"],"Principal":{"Service":"glue.amazonaws.com"},"Condition":{"StringEquals":{"aws:SourceAccount":"1"}}}]}`)
	if err != nil {
		t.Fatal(err)
	}
	st := d.Statement[0]
	if !slices.Equal(st.Action, StringList{"s3:GetObject"}) || len(st.Resource) != 2 || st.Principal["Service"][0] != "glue.amazonaws.com" || st.Condition["StringEquals"]["aws:SourceAccount"][0] != "1" {
		t.Errorf("parsed %+v", st)
	}
	if _, err := Parse(`{"Statement":[{"Action":5}]}`); err == nil {
		t.Error("a number is not an action")
	}
}

func TestAssumeRoleAndWhen(t *testing.T) {
	doc := AssumeRole("firehose.amazonaws.com", "123456789012", "arn:aws:firehose:eu-west-1:123456789012:deliverystream/x")
	js, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"sts:AssumeRole"`, `"aws:SourceAccount":["123456789012"]`, `"ArnLike":{"aws:SourceArn"`} {
		if !strings.Contains(js, want) {
			t.Errorf("%s lacks %s", js, want)
		}
	}
	// When copies the condition map: a derived statement never changes the original.
	base := Allow("x", []string{"s3:GetObject"}, "arn")
	a := base.When("StringEquals", "k", "v")
	if base.Condition != nil || a.Condition["StringEquals"]["k"][0] != "v" {
		t.Errorf("When mutated its receiver: %+v %+v", base, a)
	}
	b := a.When("StringEquals", "k2", "w")
	if len(a.Condition["StringEquals"]) != 1 || len(b.Condition["StringEquals"]) != 2 {
		t.Errorf("When shared the operator's map: %+v %+v", a.Condition, b.Condition)
	}
}

func TestAllows(t *testing.T) {
	doc := New(
		Allow("Logs", []string{"logs:CreateLogGroup"}, "arn:aws:logs:eu-west-1:1:log-group:app-?-*").
			When("StringEquals", "aws:RequestTag/stack", "dev").When("Null", "aws:ResourceTag/stack", "true"),
		Allow("Pass", []string{"iam:PassRole"}, "arn:aws:iam::1:role/fn-*").When("StringLike", "iam:PassedToService", "lambda.*"),
		Statement{Effect: "Deny", Action: StringList{"s3:GetObject"}, Resource: StringList{"*"}},
		Allow("Odd", []string{"s3:GetObject"}, "*").When("NumericLessThan", "s3:TlsVersion", "1.2"),
	)
	dev := map[string]string{"aws:RequestTag/stack": "dev"}
	for _, tc := range []struct {
		action, resource string
		context          map[string]string
		want             bool
	}{
		{"logs:CreateLogGroup", "arn:aws:logs:eu-west-1:1:log-group:app-a-1", dev, true},
		{"logs:CreateLogGroup", "arn:aws:logs:eu-west-1:1:log-group:app-ab-1", dev, false},
		{"logs:CreateLogGroup", "arn:aws:logs:eu-west-1:1:log-group:app-a-1", map[string]string{"aws:RequestTag/stack": "prod"}, false},
		{"logs:CreateLogGroup", "arn:aws:logs:eu-west-1:1:log-group:app-a-1", nil, false},
		{"logs:DeleteLogGroup", "arn:aws:logs:eu-west-1:1:log-group:app-a-1", dev, false},
		{"iam:PassRole", "arn:aws:iam::1:role/fn-x", map[string]string{"iam:PassedToService": "lambda.amazonaws.com"}, true},
		{"iam:PassRole", "arn:aws:iam::1:role/fn-x", map[string]string{"iam:PassedToService": "glue.amazonaws.com"}, false},
		{"s3:GetObject", "arn:aws:s3:::b/k", map[string]string{"s3:TlsVersion": "1.0"}, false},
	} {
		if got := doc.Allows(tc.action, tc.resource, tc.context); got != tc.want {
			t.Errorf("Allows(%s, %s, %v) = %v, want %v", tc.action, tc.resource, tc.context, got, tc.want)
		}
	}
}

func TestDenies(t *testing.T) {
	doc := New(
		Allow("Streams", []string{"kinesis:DeleteStream"}, "arn:aws:kinesis:eu-west-1:1:stream/app-dev-*"),
		Statement{Effect: "Deny", Action: StringList{"kinesis:DeleteStream"}, Resource: StringList{"arn:aws:kinesis:eu-west-1:1:stream/app-dev-*-*"}},
		Statement{Effect: "Deny", Action: StringList{"s3:GetObject"}, Resource: StringList{"*"}}.When("StringEquals", "aws:ResourceTag/stack", "prod"),
		Statement{Effect: "Deny", Action: StringList{"s3:PutObject"}, Resource: StringList{"*"}}.When("NumericLessThan", "s3:TlsVersion", "1.2"),
	)
	for _, tc := range []struct {
		action, resource string
		context          map[string]string
		want             bool
	}{
		{"kinesis:DeleteStream", "arn:aws:kinesis:eu-west-1:1:stream/app-dev-events", nil, false},
		{"kinesis:DeleteStream", "arn:aws:kinesis:eu-west-1:1:stream/app-dev-eu-events", nil, true},
		{"kinesis:DescribeStream", "arn:aws:kinesis:eu-west-1:1:stream/app-dev-eu-events", nil, false},
		{"s3:GetObject", "arn:aws:s3:::b/k", map[string]string{"aws:ResourceTag/stack": "prod"}, true},
		{"s3:GetObject", "arn:aws:s3:::b/k", map[string]string{"aws:ResourceTag/stack": "dev"}, false},
		{"s3:PutObject", "arn:aws:s3:::b/k", map[string]string{"s3:TlsVersion": "1.0"}, false},
	} {
		if got := doc.Denies(tc.action, tc.resource, tc.context); got != tc.want {
			t.Errorf("Denies(%s, %s, %v) = %v, want %v", tc.action, tc.resource, tc.context, got, tc.want)
		}
	}
	if !doc.Allows("kinesis:DeleteStream", "arn:aws:kinesis:eu-west-1:1:stream/app-dev-eu-events", nil) {
		t.Error("Allows must not apply Deny statements")
	}
	// A Deny in one policy refuses what another allows.
	allow := New(Allow("Streams", []string{"kinesis:DeleteStream"}, "arn:aws:kinesis:eu-west-1:1:stream/*"))
	deny := New(Statement{Effect: "Deny", Action: StringList{"kinesis:DeleteStream"}, Resource: StringList{"arn:aws:kinesis:eu-west-1:1:stream/app-dev-*-*"}})
	for _, tc := range []struct {
		stream string
		want   bool
	}{{"app-dev-events", true}, {"app-dev-eu-events", false}} {
		if got := Permits([]Document{allow, deny}, "kinesis:DeleteStream", "arn:aws:kinesis:eu-west-1:1:stream/"+tc.stream, nil); got != tc.want {
			t.Errorf("Permits(DeleteStream %s) = %v, want %v", tc.stream, got, tc.want)
		}
	}
	if Permits([]Document{deny}, "kinesis:DeleteStream", "arn:aws:kinesis:eu-west-1:1:stream/app-dev-events", nil) {
		t.Error("Permits without an Allow")
	}
}
