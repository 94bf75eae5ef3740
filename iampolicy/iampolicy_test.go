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
