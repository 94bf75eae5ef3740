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
	{
		Rule:     "sec-resource-policy-service-scoped",
		Resource: "aws:kms/key:Key key-key",
		Property: "policy.Statement[AlarmsPublishToEncryptedTopic].Condition",
		Reason: "CloudWatch alarms call KMS without the caller context an aws:SourceAccount or kms:CallerAccount condition tests " +
			"(AWS's own example has none; with one, notifications to the encrypted topic are dropped silently). Who may publish " +
			"is decided by the topic policy, which is scoped to this account's alarms and this stack's EventBridge rule.",
	},
}
