package ciaccess

import (
	"strings"
	"testing"
)

func validConfig() Config {
	return Config{
		Repository: "acme/streamlake", AppProject: "streamlake", Region: "eu-west-1",
		AppStacks: map[string]AppStack{
			"dev":  {Region: "eu-west-1", DeployEnvironment: "dev"},
			"prod": {Region: "eu-west-1", DeployEnvironment: "production"},
		},
	}
}

func TestValidConfigPasses(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.AppStacks["dev"] = AppStack{DeployBranch: "main"}
	c.AppStacks["eu-prod"] = AppStack{DeployBranch: "release/2024", DeployEnvironment: "production.eu", PreviewEnvironment: "production.eu-preview"}
	c.OIDCProviderARN = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

// Each way a trust policy could open up to other repositories, branches or everyone is refused
// with an error naming the key.
func TestConfigRefusesOpenTrust(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"wildcard repository", func(c *Config) { c.Repository = "acme/*" }, `repository "acme/*" contains a wildcard`},
		{"wildcard owner", func(c *Config) { c.Repository = "*/streamlake" }, `repository "*/streamlake" contains a wildcard`},
		{"single-character wildcard", func(c *Config) { c.Repository = "acme/streamlak?" }, "contains a wildcard"},
		{"missing repository", func(c *Config) { c.Repository = "" }, "repository is not set"},
		{"placeholder repository", func(c *Config) { c.Repository = "<owner>/<repo>" }, "still the placeholder"},
		{"repository without owner", func(c *Config) { c.Repository = "streamlake" }, "must be exactly owner/name"},
		{"repository with a ref", func(c *Config) { c.Repository = "acme/streamlake:ref:refs/heads/main" }, "must be exactly owner/name"},
		{"wildcard branch", func(c *Config) { c.AppStacks["dev"] = AppStack{DeployBranch: "release/*"} }, `appStacks.dev: deployBranch "release/*" contains a wildcard`},
		{"branch as a ref", func(c *Config) { c.AppStacks["dev"] = AppStack{DeployBranch: "refs/heads/main"} }, "appStacks.dev: deployBranch"},
		{"wildcard environment", func(c *Config) { c.AppStacks["prod"] = AppStack{DeployEnvironment: "prod*"} }, `appStacks.prod: deployEnvironment "prod*" contains a wildcard`},
		{"wildcard preview environment", func(c *Config) {
			c.AppStacks["prod"] = AppStack{DeployEnvironment: "production", PreviewEnvironment: "prod-*"}
		}, `appStacks.prod: previewEnvironment "prod-*" contains a wildcard`},
		{"preview in the deploy environment", func(c *Config) {
			c.AppStacks["prod"] = AppStack{DeployEnvironment: "production", PreviewEnvironment: "production"}
		}, `appStacks.prod: previewEnvironment "production" is appStacks.prod's deployEnvironment`},
		{"preview in another stack's deploy environment", func(c *Config) {
			c.AppStacks["prod"] = AppStack{DeployEnvironment: "production", PreviewEnvironment: "dev"}
		}, `appStacks.prod: previewEnvironment "dev" is appStacks.dev's deployEnvironment`},
		{"missing sub restriction", func(c *Config) { c.AppStacks["prod"] = AppStack{Region: "eu-west-1"} }, "appStacks.prod: set deployBranch or deployEnvironment"},
		{"no stacks", func(c *Config) { c.AppStacks = nil }, "appStacks is empty"},
		{"bad stack name", func(c *Config) { c.AppStacks["Prod!"] = AppStack{DeployBranch: "main"} }, "appStacks.Prod!: the stack name"},
		{"clashing variable suffix", func(c *Config) {
			c.AppStacks["eu-prod"] = AppStack{DeployBranch: "main"}
			c.AppStacks["eu_prod"] = AppStack{DeployBranch: "main"}
		}, "same repository variable suffix _EU_PROD"},
		{"bad region", func(c *Config) { c.Region = "Ireland" }, `aws:region "Ireland"`},
		{"bad stack region", func(c *Config) { c.AppStacks["dev"] = AppStack{Region: "eu", DeployBranch: "main"} }, `appStacks.dev: region "eu"`},
		{"foreign oidc provider", func(c *Config) { c.OIDCProviderARN = "arn:aws:iam::123456789012:oidc-provider/example.com" }, "oidcProviderArn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// Every problem is reported at once.
func TestConfigReportsEveryProblem(t *testing.T) {
	c := validConfig()
	c.Repository = "acme/*"
	c.AppStacks["prod"] = AppStack{}
	err := c.Validate()
	for _, want := range []string{"repository", "appStacks.prod"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want a problem naming %s", err, want)
		}
	}
}

// The example stack file unedited must not deploy: its repository is a placeholder.
func TestExampleStackFileRefusesThePlaceholder(t *testing.T) {
	_, err := tryBootstrap(t, nil)
	if err == nil || !strings.Contains(err.Error(), "placeholder") {
		t.Fatalf("the unedited example ran: %v", err)
	}
}

// Load applies defaults (app project, each stack's region) and reports config errors from a run.
func TestLoadDefaultsAndErrors(t *testing.T) {
	o := runBootstrap(t, map[string]string{"appStacks": `{"dev":{"deployBranch":"main"}}`})
	if got := o.Exports["AWS_REGION_DEV"]; got != "eu-west-1" {
		t.Errorf("AWS_REGION_DEV = %v, want the bootstrap's region", got)
	}
	if got := o.Exports["AWS_DEPLOY_ROLE_ARN_DEV"]; got != "arn:aws:iam::123456789012:role/streamlake-dev-ci-deploy" {
		t.Errorf("AWS_DEPLOY_ROLE_ARN_DEV = %v", got)
	}
	_, err := tryBootstrap(t, map[string]string{"repository": testRepository, "appStacks": `{"dev":{"deployBranch":"*"}}`})
	if err == nil || !strings.Contains(err.Error(), "deployBranch") {
		t.Errorf("a wildcard branch ran: %v", err)
	}
	_, err = tryBootstrap(t, map[string]string{"repository": testRepository, "appStacks": `["dev"]`})
	if err == nil || !strings.Contains(err.Error(), "appStacks") {
		t.Errorf("a list of stacks ran: %v", err)
	}
}
