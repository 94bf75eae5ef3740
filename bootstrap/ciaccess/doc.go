// Package ciaccess is the bootstrap program: what an AWS account needs before GitHub Actions
// can preview and deploy the streamlake app there, without long-lived keys or a shared
// passphrase.
//
// Per bootstrap stack (one per AWS account) Run creates, or reuses, the GitHub OIDC identity
// provider; a versioned, KMS-encrypted, TLS-only S3 bucket for Pulumi state (with its own
// key); and, per app stack the account hosts, a KMS key for the stack's Pulumi secrets, a
// read-only preview role that pull requests assume and a deploy role that only the
// configured branch or GitHub environment may assume.
//
// Its stack outputs are named after the repository variables the workflows read
// (AWS_DEPLOY_ROLE_ARN_DEV, PULUMI_BACKEND_URL_DEV, ...; see VariableNames), so copying them
// is a loop over `pulumi stack output --json`. docs/ci.md is the operator's guide.
//
// Policies are plain functions of plain values (PreviewPolicies, DeployPolicies,
// TrustPolicy), so tests read them without Pulumi.
package ciaccess
