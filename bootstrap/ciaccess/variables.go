package ciaccess

import (
	"regexp"
	"strings"
)

// Repository variables the workflows read; the bootstrap exports each as a stack output of the
// same name, suffixed with the app stack (AWS_DEPLOY_ROLE_ARN_PROD). Every value is per app
// stack because dev and prod may live in different accounts, each with its own bootstrap.
const (
	// VarRegion is the region the stack deploys to (credentials and the smoke test use it).
	VarRegion = "AWS_REGION"
	// VarPreviewRole is the role pull-request previews assume.
	VarPreviewRole = "AWS_PREVIEW_ROLE_ARN"
	// VarDeployRole is the role deploys assume.
	VarDeployRole = "AWS_DEPLOY_ROLE_ARN"
	// VarBackendURL is the Pulumi state backend, s3://<bucket>?region=<region>.
	VarBackendURL = "PULUMI_BACKEND_URL"
	// VarSecretsProvider is the stack's Pulumi secrets provider, awskms://alias/...?region=...
	VarSecretsProvider = "PULUMI_SECRETS_PROVIDER"
)

var notVariableChar = regexp.MustCompile(`[^A-Z0-9]+`)

// VariableSuffix is the suffix of an app stack's variables: the stack name upper-cased, any
// other character an underscore (dev -> DEV, eu-prod -> EU_PROD).
func VariableSuffix(stack string) string {
	return notVariableChar.ReplaceAllString(strings.ToUpper(stack), "_")
}

// VariableName is the repository variable (and stack output) for one value of an app stack.
func VariableName(variable, stack string) string { return variable + "_" + VariableSuffix(stack) }

// VariableNames are every variable the bootstrap exports for an app stack.
func VariableNames(stack string) []string {
	out := []string{}
	for _, v := range []string{VarRegion, VarPreviewRole, VarDeployRole, VarBackendURL, VarSecretsProvider} {
		out = append(out, VariableName(v, stack))
	}
	return out
}
