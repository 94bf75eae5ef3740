package ciaccess

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Config is the typed, validated configuration of one bootstrap stack (one AWS account). Keys
// live in the project namespace ("streamlake-bootstrap:repository") and are declared in
// bootstrap/Pulumi.yaml.
type Config struct {
	// Repository is the GitHub repository, exactly "owner/name" as GitHub spells it: the
	// roles' trust policies name it, so any other repository is refused.
	Repository string
	// AppProject is the app's Pulumi project name (Pulumi.yaml `name`), used for its state
	// paths, its physical names and its tags.
	AppProject string
	// AppStacks are the app stacks this account hosts, by stack name.
	AppStacks map[string]AppStack
	// OIDCProviderARN, when set, is an existing GitHub OIDC provider of the account to reuse
	// (an account has at most one per URL).
	OIDCProviderARN string
	// Region holds the state bucket and the KMS keys (aws:region).
	Region string
}

// AppStack is one app stack CI previews and deploys, and who may deploy it.
type AppStack struct {
	// Region is where the stack deploys (its Pulumi.<stack>.yaml aws:region); default the
	// bootstrap's region.
	Region string `json:"region,omitempty"`
	// DeployBranch lets jobs without a GitHub environment deploy from this branch
	// (subject repo:OWNER/NAME:ref:refs/heads/<branch>).
	DeployBranch string `json:"deployBranch,omitempty"`
	// DeployEnvironment lets jobs that run in this GitHub environment deploy (subject
	// repo:OWNER/NAME:environment:<name>). A job with `environment:` gets this subject, never
	// the branch one: restrict the environment's deployment branches in GitHub.
	DeployEnvironment string `json:"deployEnvironment,omitempty"`
	// PreviewEnvironment, when set, is the only GitHub environment whose jobs may assume the
	// preview role (subject repo:OWNER/NAME:environment:<name>) instead of any pull request
	// (repo:OWNER/NAME:pull_request). A preview decrypts the stack's secrets and a pull
	// request can change the workflow, so a stack whose secrets matter (prod) previews in an
	// environment with required reviewers: a pull request that drops the environment gets
	// no credentials.
	PreviewEnvironment string `json:"previewEnvironment,omitempty"`
}

// The placeholder of the example stack file: it fails validation so that an unedited copy
// can never create roles that trust someone else's repository.
const repositoryPlaceholder = "<owner>/<repo>"

var (
	// GitHub: owner 1..39 letters, digits or single hyphens; repository 1..100 of [A-Za-z0-9._-].
	repositoryRE  = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}/[A-Za-z0-9._-]{1,100}$`)
	projectRE     = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
	stackRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	branchRE      = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,200}$`)
	environmentRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)
	regionRE      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	oidcARNRE     = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:oidc-provider/` + regexp.QuoteMeta(GitHubOIDCHost) + `$`)
)

// wildcards are the characters IAM's StringLike (and GitHub's branch filters) treat as
// patterns: none may reach a trust policy.
const wildcards = "*?[]"

// Load reads and validates the stack's configuration once, reporting every problem at once.
func Load(ctx *pulumi.Context) (*Config, error) {
	cfg := config.New(ctx, "")
	c := &Config{AppStacks: map[string]AppStack{}}
	var errs []error
	c.Repository, _ = cfg.Try("repository")
	c.AppProject = cfg.Get("appProject")
	if c.AppProject == "" {
		c.AppProject = "streamlake"
	}
	c.OIDCProviderARN = cfg.Get("oidcProviderArn")
	if err := cfg.TryObject("appStacks", &c.AppStacks); err != nil && !errors.Is(err, config.ErrMissingVar) {
		errs = append(errs, fmt.Errorf("appStacks: %w (expected a map of stack name to {region, deployBranch, deployEnvironment, previewEnvironment})", err))
	}
	region, err := config.New(ctx, "aws").Try("region")
	if err != nil {
		errs = append(errs, errors.New("aws:region is not set: run `pulumi config set aws:region <region>` (the state bucket and keys live there)"))
	}
	c.Region = region
	for name, s := range c.AppStacks {
		if s.Region == "" {
			s.Region = c.Region
			c.AppStacks[name] = s
		}
	}
	if err := c.Validate(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("streamlake-bootstrap configuration:\n%w", errors.Join(errs...))
	}
	return c, nil
}

// Validate checks every key and returns all problems at once, each naming the key and the rule.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch r := c.Repository; {
	case r == "":
		add("repository is not set: run `pulumi config set repository <owner>/<name>` (the GitHub repository whose workflows may assume the roles)")
	case r == repositoryPlaceholder:
		add("repository is still the placeholder %q: set your GitHub repository, e.g. `pulumi config set repository my-org/streamlake`", r)
	case strings.ContainsAny(r, wildcards):
		add("repository %q contains a wildcard: the trust policies must name exactly one repository, or other repositories could assume the roles", r)
	case !repositoryRE.MatchString(r):
		add("repository %q must be exactly owner/name as GitHub spells it (owner: letters, digits, single hyphens; name: letters, digits, '.', '_', '-')", r)
	}
	if !projectRE.MatchString(c.AppProject) {
		add("appProject %q must be the app's Pulumi project name (letters, digits, '_', '.', '-')", c.AppProject)
	}
	if c.OIDCProviderARN != "" && !oidcARNRE.MatchString(c.OIDCProviderARN) {
		add("oidcProviderArn %q must be arn:<partition>:iam::<account>:oidc-provider/%s, or unset to create the provider", c.OIDCProviderARN, GitHubOIDCHost)
	}
	if c.Region != "" && !regionRE.MatchString(c.Region) {
		add("aws:region %q is not an AWS region name (e.g. eu-west-1)", c.Region)
	}
	if len(c.AppStacks) == 0 {
		add("appStacks is empty: name at least one app stack this account hosts, e.g. {dev: {deployEnvironment: dev}}")
	}
	suffixes := map[string]string{}
	for _, name := range c.StackNames() {
		errs = append(errs, c.AppStacks[name].validate(name)...)
		sfx := VariableSuffix(name)
		if other, ok := suffixes[sfx]; ok {
			add("appStacks %q and %q give the same repository variable suffix _%s: rename one", other, name, sfx)
		}
		suffixes[sfx] = name
	}
	errs = append(errs, c.checkPreviewEnvironments()...)
	return errors.Join(errs...)
}

// checkPreviewEnvironments refuses a preview environment that is also a deploy environment:
// a preview job there (any pull request's, once approved for a preview) would get the
// subject the deploy role trusts.
func (c *Config) checkPreviewEnvironments() []error {
	deployers := map[string]string{}
	for _, name := range c.StackNames() {
		if e := c.AppStacks[name].DeployEnvironment; e != "" {
			deployers[e] = name
		}
	}
	var errs []error
	for _, name := range c.StackNames() {
		e := c.AppStacks[name].PreviewEnvironment
		if other, ok := deployers[e]; ok && e != "" {
			errs = append(errs, fmt.Errorf("appStacks.%s: previewEnvironment %q is appStacks.%s's deployEnvironment: "+
				"pull-request previews would get the subject its deploy role trusts; use an environment of its own (e.g. %s-preview)", name, e, other, name))
		}
	}
	return errs
}

func (s AppStack) validate(name string) []error {
	var errs []error
	add := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("appStacks.%s: %s", name, fmt.Sprintf(format, a...)))
	}
	if !stackRE.MatchString(name) {
		add("the stack name must be 1..40 lowercase letters, digits, '_' or '-', starting with a letter or digit")
	}
	if s.DeployBranch == "" && s.DeployEnvironment == "" {
		add("set deployBranch or deployEnvironment: without one the deploy role's trust policy would have no subject restriction")
	}
	if b := s.DeployBranch; b != "" {
		switch {
		case strings.ContainsAny(b, wildcards):
			add("deployBranch %q contains a wildcard: name exactly one branch (e.g. main)", b)
		case !branchRE.MatchString(b) || strings.HasPrefix(b, "/") || strings.HasPrefix(b, "-") ||
			strings.HasSuffix(b, "/") || strings.Contains(b, "..") || strings.Contains(b, "//") || strings.HasPrefix(b, "refs/"):
			add("deployBranch %q must be a plain branch name such as main (no refs/heads/ prefix, no '..', no leading '/' or '-')", b)
		}
	}
	for _, kv := range [][2]string{{"deployEnvironment", s.DeployEnvironment}, {"previewEnvironment", s.PreviewEnvironment}} {
		key, e := kv[0], kv[1]
		switch {
		case e == "":
		case strings.ContainsAny(e, wildcards):
			add("%s %q contains a wildcard: name exactly one GitHub environment (e.g. production)", key, e)
		case !environmentRE.MatchString(e):
			add("%s %q must be a GitHub environment name of letters, digits, '.', '_' or '-'", key, e)
		}
	}
	if s.Region != "" && !regionRE.MatchString(s.Region) {
		add("region %q is not an AWS region name (e.g. eu-west-1)", s.Region)
	}
	return errs
}

// StackNames returns the app stack names, sorted, so resources and outputs come in a stable order.
func (c *Config) StackNames() []string {
	return slices.Sorted(maps.Keys(c.AppStacks))
}
