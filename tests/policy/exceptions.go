package policy

// Exceptions is the one reviewed list of accepted violations: rule, resource (type and
// logical name), optionally the property, and why the violation is a deliberate choice.
// TestExceptionsAreUsed fails on an exception that no stack needs any more.
var Exceptions = []Exception{
	{
		Rule:     "sec-iam-no-wildcard-action",
		Resource: "aws:kms/key:Key key-key",
		Property: "policy.Statement[AccountAdministers].Action",
		Reason: "KMS's default key policy: kms:* for the account root delegates the key's use to IAM policies. " +
			"Without it no IAM policy can grant the key and the key can become unmanageable (AWS then needs a support case).",
	},
}
