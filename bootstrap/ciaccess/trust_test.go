package ciaccess

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/streamlake/streamlake/iampolicy"
)

// checkTrust returns what is wrong with a CI role's trust policy: only GitHub's OIDC provider
// may assume the role, with the sts.amazonaws.com audience, and sub must be restricted (by
// StringEquals or StringLike) to values that name exactly the repository, without a wildcard
// anywhere. want, when set, are the exact subjects expected.
func checkTrust(doc iampolicy.Document, repository string, want []string) error {
	if len(doc.Statement) == 0 {
		return errors.New("no statement")
	}
	var errs []error
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		fed := st.Principal["Federated"]
		if len(fed) != 1 || !strings.HasSuffix(fed[0], ":oidc-provider/"+GitHubOIDCHost) || len(st.Principal) != 1 {
			errs = append(errs, fmt.Errorf("%s: principal %v is not only GitHub's OIDC provider", st.Sid, st.Principal))
		}
		if !slices.Equal(st.Action, iampolicy.StringList{"sts:AssumeRoleWithWebIdentity"}) {
			errs = append(errs, fmt.Errorf("%s: action %v", st.Sid, st.Action))
		}
		if aud := st.Condition["StringEquals"][GitHubOIDCHost+":aud"]; !slices.Equal(aud, iampolicy.StringList{GitHubOIDCAudience}) {
			errs = append(errs, fmt.Errorf("%s: aud must be StringEquals %s, got %v", st.Sid, GitHubOIDCAudience, aud))
		}
		var subs []string
		for op, keys := range st.Condition {
			v, ok := keys[GitHubOIDCHost+":sub"]
			if !ok {
				continue
			}
			if op != "StringEquals" && op != "StringLike" {
				errs = append(errs, fmt.Errorf("%s: sub under %s; only StringEquals or StringLike restrict it", st.Sid, op))
			}
			subs = append(subs, v...)
		}
		if len(subs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no sub condition: any GitHub repository could assume the role", st.Sid))
		}
		for _, s := range subs {
			if strings.ContainsAny(s, wildcards) || !strings.HasPrefix(s, "repo:"+repository+":") {
				errs = append(errs, fmt.Errorf("%s: sub %q does not name exactly repo:%s:... without wildcards", st.Sid, s, repository))
			}
		}
		if want != nil && !sameSet(subs, want) {
			errs = append(errs, fmt.Errorf("%s: sub %v, want exactly %v", st.Sid, subs, want))
		}
	}
	return errors.Join(errs...)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// checkPreviewTrust is checkTrust for a stack's preview role: a stack with a preview
// environment must trust that environment alone, never pull_request, which any pull request
// gets whatever it does to the workflow.
func checkPreviewTrust(doc iampolicy.Document, repository string, s AppStack) error {
	var errs []error
	if s.PreviewEnvironment != "" {
		for _, st := range doc.Statement {
			for _, keys := range st.Condition {
				for _, sub := range keys[GitHubOIDCHost+":sub"] {
					if !strings.Contains(sub, ":environment:") {
						errs = append(errs, fmt.Errorf("%s: sub %q: the stack previews in environment %s, so the role must trust only "+
							"that environment (a pull request can drop it from the workflow)", st.Sid, sub, s.PreviewEnvironment))
					}
				}
			}
		}
	}
	return errors.Join(append(errs, checkTrust(doc, repository, PreviewSubjects(repository, s)))...)
}

// Every role the example account creates trusts exactly the repository: pull requests for
// dev's preview role, the prod-preview environment for prod's, the GitHub environment of
// deploy.yml's job for the deploy roles.
func TestEveryTrustPolicyNamesTheRepositoryExactly(t *testing.T) {
	o := runBootstrap(t, nil)
	want := map[string][]string{
		"streamlake-dev-ci-preview":  {"repo:acme/streamlake:pull_request"},
		"streamlake-prod-ci-preview": {"repo:acme/streamlake:environment:prod-preview"},
		"streamlake-dev-ci-deploy":   {"repo:acme/streamlake:environment:dev"},
		"streamlake-prod-ci-deploy":  {"repo:acme/streamlake:environment:production"},
	}
	roles := o.OfType("aws:iam/role:Role")
	if len(roles) != len(want) {
		t.Fatalf("%d roles, want %d", len(roles), len(want))
	}
	for _, r := range roles {
		name, _ := r.Inputs["name"].(string)
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected role %q", name)
			continue
		}
		if err := checkTrust(policyOf(t, r, "assumeRolePolicy"), testRepository, w); err != nil {
			t.Errorf("role %s trust policy:\n%v", name, err)
		}
	}
	stacks := exampleAppStacks(t)
	for stack, s := range stacks {
		r := o.Find("aws:iam/role:Role", stack+"-preview")
		if r == nil {
			t.Fatalf("no preview role for %s", stack)
		}
		if err := checkPreviewTrust(policyOf(t, r, "assumeRolePolicy"), testRepository, s); err != nil {
			t.Errorf("%s preview role:\n%v", stack, err)
		}
	}
	if stacks["prod"].PreviewEnvironment == "" {
		t.Error("the example stack file lets every pull request preview prod (and decrypt its secrets): set appStacks.prod.previewEnvironment")
	}
}

// A preview role of a stack with a preview environment that trusts pull_request (alone or
// beside the environment) fails the check; trusting the environment passes.
func TestPreviewTrustCheckerRefusesPullRequestForGatedStacks(t *testing.T) {
	provider := "arn:aws:iam::123456789012:oidc-provider/" + GitHubOIDCHost
	prod := AppStack{DeployEnvironment: "production", PreviewEnvironment: "prod-preview"}
	for name, subjects := range map[string][]string{
		"pull_request":             {"repo:acme/streamlake:pull_request"},
		"pull_request and env":     {"repo:acme/streamlake:environment:prod-preview", "repo:acme/streamlake:pull_request"},
		"main branch":              {"repo:acme/streamlake:ref:refs/heads/main"},
		"the deploy environment":   {"repo:acme/streamlake:environment:production"},
		"another repository's env": {"repo:evil/streamlake:environment:prod-preview"},
	} {
		doc, err := TrustPolicy(provider, subjects)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkPreviewTrust(doc, testRepository, prod); err == nil {
			t.Errorf("%s: a prod preview role trusting %v passes the check", name, subjects)
		}
	}
	doc, err := TrustPolicy(provider, PreviewSubjects(testRepository, prod))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPreviewTrust(doc, testRepository, prod); err != nil {
		t.Errorf("the prod preview role's own subjects fail the check: %v", err)
	}
	dev, err := TrustPolicy(provider, []string{"repo:acme/streamlake:pull_request"})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkPreviewTrust(dev, testRepository, AppStack{DeployEnvironment: "dev"}); err != nil {
		t.Errorf("dev's preview role (pull_request) fails the check: %v", err)
	}
}

// The checker above is what keeps trust policies honest, so it must catch each way one goes wrong.
func TestTrustCheckerCatchesOpenPolicies(t *testing.T) {
	good, err := TrustPolicy("arn:aws:iam::123456789012:oidc-provider/"+GitHubOIDCHost, []string{"repo:acme/streamlake:ref:refs/heads/main"})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkTrust(good, testRepository, []string{"repo:acme/streamlake:ref:refs/heads/main"}); err != nil {
		t.Fatalf("a correct policy fails the check: %v", err)
	}
	sub := GitHubOIDCHost + ":sub"
	mutate := func(f func(st *iampolicy.Statement)) iampolicy.Document {
		d, _ := TrustPolicy("arn:aws:iam::123456789012:oidc-provider/"+GitHubOIDCHost, []string{"repo:acme/streamlake:ref:refs/heads/main"})
		f(&d.Statement[0])
		return d
	}
	for name, doc := range map[string]iampolicy.Document{
		"no sub":        mutate(func(st *iampolicy.Statement) { delete(st.Condition["StringEquals"], sub) }),
		"no aud":        mutate(func(st *iampolicy.Statement) { delete(st.Condition["StringEquals"], GitHubOIDCHost+":aud") }),
		"wildcard repo": mutate(func(st *iampolicy.Statement) { *st = st.When("StringLike", sub, "repo:acme/*:pull_request") }),
		"wildcard owner": mutate(func(st *iampolicy.Statement) {
			st.Condition["StringEquals"][sub] = iampolicy.StringList{"repo:*/streamlake:pull_request"}
		}),
		"wildcard branch": mutate(func(st *iampolicy.Statement) {
			st.Condition["StringEquals"][sub] = iampolicy.StringList{"repo:acme/streamlake:ref:refs/heads/*"}
		}),
		"other repository": mutate(func(st *iampolicy.Statement) {
			st.Condition["StringEquals"][sub] = iampolicy.StringList{"repo:evil/streamlake:pull_request"}
		}),
		"repository prefix": mutate(func(st *iampolicy.Statement) {
			st.Condition["StringEquals"][sub] = iampolicy.StringList{"repo:acme/streamlake-fork:pull_request"}
		}),
		"negated sub": mutate(func(st *iampolicy.Statement) {
			*st = st.When("StringNotEquals", sub, "repo:acme/streamlake:pull_request")
		}),
		"user principal": mutate(func(st *iampolicy.Statement) { st.Principal = map[string]iampolicy.StringList{"AWS": {"*"}} }),
		"other subject": mutate(func(st *iampolicy.Statement) {
			st.Condition["StringEquals"][sub] = iampolicy.StringList{"repo:acme/streamlake:pull_request"}
		}),
	} {
		if err := checkTrust(doc, testRepository, []string{"repo:acme/streamlake:ref:refs/heads/main"}); err == nil {
			t.Errorf("%s: the check passed %+v", name, doc.Statement[0])
		}
	}
}

// TrustPolicy itself refuses a role without a subject or with a wildcard one.
func TestTrustPolicyRefusesOpenSubjects(t *testing.T) {
	provider := "arn:aws:iam::123456789012:oidc-provider/" + GitHubOIDCHost
	for name, subjects := range map[string][]string{
		"none":            nil,
		"wildcard repo":   {"repo:acme/*:pull_request"},
		"wildcard branch": {"repo:acme/streamlake:ref:refs/heads/release-?"},
		"not a repo":      {"acme/streamlake"},
	} {
		if _, err := TrustPolicy(provider, subjects); err == nil {
			t.Errorf("%s: TrustPolicy accepted %v", name, subjects)
		}
	}
	if _, err := TrustPolicy("", []string{"repo:acme/streamlake:pull_request"}); err == nil {
		t.Error("TrustPolicy accepted an empty provider ARN")
	}
}

func TestDeploySubjects(t *testing.T) {
	got := DeploySubjects("acme/streamlake", AppStack{DeployBranch: "main", DeployEnvironment: "production"})
	want := []string{"repo:acme/streamlake:ref:refs/heads/main", "repo:acme/streamlake:environment:production"}
	if !slices.Equal(got, want) {
		t.Errorf("DeploySubjects = %v, want %v", got, want)
	}
	if got := PreviewSubjects("acme/streamlake", AppStack{DeployEnvironment: "dev"}); !slices.Equal(got, []string{"repo:acme/streamlake:pull_request"}) {
		t.Errorf("PreviewSubjects without previewEnvironment = %v", got)
	}
	if got := PreviewSubjects("acme/streamlake", AppStack{PreviewEnvironment: "prod-preview"}); !slices.Equal(got, []string{"repo:acme/streamlake:environment:prod-preview"}) {
		t.Errorf("PreviewSubjects with previewEnvironment = %v, want the environment only", got)
	}
}
