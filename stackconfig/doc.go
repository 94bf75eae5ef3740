// Package stackconfig is a stack's configuration without Pulumi: the table of keys (keys.go,
// the one place a key is declared), the typed Config, its defaults and validation, and two
// ways to read it: Load over any lookup of the values (the Pulumi program's context, through
// stacks.Load) and FromFiles over the project's files (stackfile.Config: Pulumi.yaml defaults and
// Pulumi.<stack>.yaml, as the CLI passes them), which the local lake and tests use. It also
// names a stack's physical resources (NamesFor), which appear in SQL and in IAM policies.
package stackconfig
