// Package awsrules encodes limits and rules that AWS only checks at deploy time, so a stack
// that breaks one fails at preview or in a unit test with a message naming the rule, instead
// of half-way through `pulumi up`. Every function is pure and table-tested.
package awsrules
