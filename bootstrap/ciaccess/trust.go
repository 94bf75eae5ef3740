package ciaccess

import (
	"fmt"
	"strings"

	"github.com/streamlake/streamlake/iampolicy"
)

// GitHub's OIDC issuer and the audience aws-actions/configure-aws-credentials requests.
const (
	GitHubOIDCHost     = "token.actions.githubusercontent.com"
	GitHubOIDCAudience = "sts.amazonaws.com"
)

// PreviewSubjects are the token subjects that may assume an app stack's preview role: jobs in
// its preview environment when it has one (required reviewers approve each run), otherwise
// pull request workflows of the repository (forks get no OIDC token). Never both: a pull
// request could drop the environment from the workflow.
func PreviewSubjects(repository string, s AppStack) []string {
	if s.PreviewEnvironment != "" {
		return []string{"repo:" + repository + ":environment:" + s.PreviewEnvironment}
	}
	return []string{"repo:" + repository + ":pull_request"}
}

// DeploySubjects are the token subjects that may assume an app stack's deploy role: the
// configured branch and/or GitHub environment. A job that names an environment gets the
// environment subject only, so the branch subject serves jobs without one.
func DeploySubjects(repository string, s AppStack) []string {
	var out []string
	if s.DeployBranch != "" {
		out = append(out, "repo:"+repository+":ref:refs/heads/"+s.DeployBranch)
	}
	if s.DeployEnvironment != "" {
		out = append(out, "repo:"+repository+":environment:"+s.DeployEnvironment)
	}
	return out
}

// TrustPolicy lets GitHub Actions tokens for exactly these subjects assume a role. It refuses
// an empty list and any subject with an IAM wildcard: StringEquals would not expand one, but
// a later switch to StringLike would silently open the role to other repositories.
func TrustPolicy(providerARN string, subjects []string) (iampolicy.Document, error) {
	if providerARN == "" {
		return iampolicy.Document{}, fmt.Errorf("trust policy: the OIDC provider ARN is empty")
	}
	if len(subjects) == 0 {
		return iampolicy.Document{}, fmt.Errorf("trust policy: no subject: a role without a sub condition could be assumed by any GitHub repository")
	}
	for _, s := range subjects {
		if strings.ContainsAny(s, wildcards) || !strings.HasPrefix(s, "repo:") {
			return iampolicy.Document{}, fmt.Errorf("trust policy: subject %q must be repo:<owner>/<name>:... without wildcards", s)
		}
	}
	st := iampolicy.Statement{
		Sid:       "GitHubActions",
		Effect:    "Allow",
		Principal: map[string]iampolicy.StringList{"Federated": {providerARN}},
		Action:    iampolicy.StringList{"sts:AssumeRoleWithWebIdentity"},
	}.When("StringEquals", GitHubOIDCHost+":aud", GitHubOIDCAudience).
		When("StringEquals", GitHubOIDCHost+":sub", subjects...)
	return iampolicy.New(st), nil
}
