package ciaccess

import (
	"slices"
	"testing"

	"github.com/streamlake/streamlake/iampolicy"
)

func TestStateBucketSettings(t *testing.T) {
	o := runBootstrap(t, nil)
	bucket := o.Find("aws:s3/bucketV2:BucketV2", "state-bucket")
	if bucket == nil {
		t.Fatal("no state bucket")
	}
	if !bucket.Protect || !bucket.RetainOnDelete || bucket.Inputs["forceDestroy"] == true {
		t.Errorf("state bucket must be protected, kept and never force-destroyed: %+v", bucket)
	}
	key := o.Find("aws:kms/key:Key", "state-key")
	if key == nil || key.Inputs["enableKeyRotation"] != true || !key.Protect || !key.RetainOnDelete {
		t.Fatalf("state key must rotate and be protected: %+v", key)
	}
	sse := o.Find("aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "state-encryption")
	rule := sse.Inputs["rules"].([]any)[0].(map[string]any)
	def := rule["applyServerSideEncryptionByDefault"].(map[string]any)
	if def["sseAlgorithm"] != "aws:kms" || def["kmsMasterKeyId"] != key.State["arn"] || rule["bucketKeyEnabled"] != false {
		t.Errorf("encryption = %+v, want SSE-KMS with the state key and no bucket key (per-object context scopes the roles)", rule)
	}
	v := o.Find("aws:s3/bucketVersioningV2:BucketVersioningV2", "state-versioning")
	if v == nil || v.Inputs["versioningConfiguration"].(map[string]any)["status"] != "Enabled" {
		t.Errorf("versioning = %+v", v)
	}
	pab := o.Find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "state-public-access")
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		if pab == nil || pab.Inputs[k] != true {
			t.Errorf("public access block %s = %v", k, pab.Inputs[k])
		}
	}
	own := o.Find("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "state-ownership")
	if own == nil || own.Inputs["rule"].(map[string]any)["objectOwnership"] != "BucketOwnerEnforced" {
		t.Errorf("ownership = %+v", own)
	}
	bp := policyOf(t, o.Find("aws:s3/bucketPolicy:BucketPolicy", "state-policy"), "policy")
	arn := bucket.State["arn"].(string)
	tls := map[string]bool{}
	for _, st := range bp.Statement {
		if st.Effect == "Deny" && slices.Equal(st.Resource, iampolicy.StringList{arn, arn + "/*"}) && slices.Equal(st.Action, iampolicy.StringList{"s3:*"}) {
			if slices.Equal(st.Condition["Bool"]["aws:SecureTransport"], iampolicy.StringList{"false"}) {
				tls["https"] = true
			}
			if slices.Equal(st.Condition["NumericLessThan"]["s3:TlsVersion"], iampolicy.StringList{"1.2"}) {
				tls["tls1.2"] = true
			}
		}
	}
	if !tls["https"] || !tls["tls1.2"] {
		t.Errorf("bucket policy must deny plain HTTP and TLS < 1.2 on bucket and objects: %+v", bp)
	}
	meta := o.Find("aws:s3/bucketObjectv2:BucketObjectv2", "state-layout")
	if meta == nil || meta.Inputs["key"] != ".pulumi/meta.yaml" || meta.Inputs["content"] != "version: 1\n" {
		t.Errorf("meta.yaml = %+v", meta)
	}
	if got := o.Exports["PULUMI_BACKEND_URL_PROD"]; got != "s3://state-bucket-0a1b2c3?region=eu-west-1" {
		t.Errorf("PULUMI_BACKEND_URL_PROD = %v", got)
	}
}

func TestSecretsKeysPerStack(t *testing.T) {
	o := runBootstrap(t, nil)
	for _, stack := range []string{"dev", "prod"} {
		key := o.Find("aws:kms/key:Key", stack+"-secrets-key")
		if key == nil || key.Inputs["enableKeyRotation"] != true || !key.Protect || !key.RetainOnDelete {
			t.Errorf("%s secrets key must exist, rotate and be protected: %+v", stack, key)
		}
		alias := o.Find("aws:kms/alias:Alias", stack+"-secrets-key-alias")
		if alias == nil || alias.Inputs["name"] != "alias/streamlake-"+stack+"-pulumi-secrets" {
			t.Errorf("%s alias = %+v", stack, alias)
		}
		want := "awskms://alias/streamlake-" + stack + "-pulumi-secrets?region=eu-west-1"
		if got := o.Exports[VariableName(VarSecretsProvider, stack)]; got != want {
			t.Errorf("secrets provider of %s = %v, want %s", stack, got, want)
		}
	}
}

func TestOIDCProviderCreatedOrReused(t *testing.T) {
	o := runBootstrap(t, nil)
	ps := o.OfType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
	if len(ps) != 1 || ps[0].Inputs["url"] != "https://token.actions.githubusercontent.com" ||
		!slices.Equal(ps[0].Inputs["clientIdLists"].([]any), []any{"sts.amazonaws.com"}) || !ps[0].Protect {
		t.Fatalf("providers = %+v", ps)
	}
	existing := "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	o = runBootstrap(t, map[string]string{"oidcProviderArn": existing})
	if n := len(o.OfType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")); n != 0 {
		t.Errorf("%d providers created although one is configured", n)
	}
	for _, r := range o.OfType("aws:iam/role:Role") {
		if fed := policyOf(t, r, "assumeRolePolicy").Statement[0].Principal["Federated"]; !slices.Equal(fed, iampolicy.StringList{existing}) {
			t.Errorf("%s trusts %v, want the configured provider", r.Name, fed)
		}
	}
}

// Every output is a variable a workflow reads, per app stack, and nothing else.
func TestOutputsAreTheVariablesOfEachStack(t *testing.T) {
	o := runBootstrap(t, nil)
	var want []string
	for _, s := range []string{"dev", "prod"} {
		want = append(want, VariableNames(s)...)
	}
	var got []string
	for k := range o.Exports {
		got = append(got, k)
	}
	if !sameSet(got, want) {
		t.Errorf("outputs %v, want %v", got, want)
	}
	if o.Exports["AWS_PREVIEW_ROLE_ARN_DEV"] != "arn:aws:iam::123456789012:role/streamlake-dev-ci-preview" {
		t.Errorf("AWS_PREVIEW_ROLE_ARN_DEV = %v", o.Exports["AWS_PREVIEW_ROLE_ARN_DEV"])
	}
}

// Each role gets its policies attached, each within IAM's managed-policy size.
func TestRolePoliciesAttachedAndWithinIAMLimits(t *testing.T) {
	o := runBootstrap(t, nil)
	attached := map[string]int{}
	for _, a := range o.OfType("aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
		attached[a.Inputs["role"].(string)]++
	}
	for _, role := range []string{"streamlake-dev-ci-preview", "streamlake-dev-ci-deploy", "streamlake-prod-ci-preview", "streamlake-prod-ci-deploy"} {
		// 10 managed policies per role is IAM's default quota.
		if n := attached[role]; n < 2 || n > 10 {
			t.Errorf("%s has %d managed policies attached, want 2..10", role, n)
		}
	}
	for _, p := range o.OfType("aws:iam/policy:Policy") {
		if n := len(p.Inputs["policy"].(string)); n > MaxManagedPolicyChars {
			t.Errorf("policy %s is %d characters, IAM allows %d", p.Name, n, MaxManagedPolicyChars)
		}
	}
}
