package vtl

import "slices"

// ThrottledErrorTypes are the Kinesis error types (substrings of __type or ErrorCode) the
// response templates answer with 429 and Retry-After; internal/apisim answers the same way.
func ThrottledErrorTypes() []string { return slices.Clone(throttledTypes) }

// ServerErrorTypes are the Kinesis error types the response templates answer with 500: the
// pipeline's fault (permissions, missing stream, KMS), not the caller's.
func ServerErrorTypes() []string { return slices.Clone(serverTypes) }
