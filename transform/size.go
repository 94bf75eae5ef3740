package transform

// MaxResponseBytes is Lambda's limit for a synchronous response: 6 MB. A response must stay
// at or below it or Firehose sees the whole invocation fail.
const MaxResponseBytes = 6 * 1024 * 1024

// SafeProcessorBufferMiB is the largest Firehose processor buffer (BufferSizeInMBs) for which
// TestSafeProcessorBuffer proves that the worst-case response fits MaxResponseBytes with
// margin, under the model written there (data per invocation at most the buffer plus one
// maximal 1 MiB record of overshoot, Lambda's 6 MB request limit, record ids of any length).
// The worst case is many minimal valid records: each grows by its normalized occurred_at,
// ingested_at, partition keys and base64, about 5.4x of its size. Above this value a batch of
// them could exceed the limit; Transform would then answer the records that do not fit
// ProcessingFailed (RuleResponseSize) rather than fail the batch, but they would not reach
// the lake.
const SafeProcessorBufferMiB float64 = 1
