// Package recovery puts records that did not reach the lake back through the pipeline, and
// shows what failed. It is the logic of three ops commands (cmd/streamlake errors, redrive
// and replay) and holds no AWS configuration: callers pass an S3 client (S3API) and a
// producer.Putter, so tests run it against gofakes3 and kinesalite, and a local lake can run
// it against its own stand-ins.
//
// # What it reads
//
//   - Error objects under the delivery stream's error prefix (Prefixes.Errors, with
//     !{firehose:error-output-type}): one firehoserec record per line, the failed record in
//     rawData. processing-failed records carry the record as it came from the stream;
//     format-conversion-failed records carry the transform's output, so pipeline fields
//     (ingested_at), which the transform refuses from producers, are removed before a record
//     is sent again (Fields.Pipeline). A record sent again gets a new ingested_at.
//   - Raw backups under Prefixes.Raw: the source records gzipped and concatenated without a
//     delimiter. They are split with encoding/json's Decoder, which only works because every
//     record is a JSON object (the API accepts nothing else); anything else in a raw object
//     makes it unsplittable and the object is reported.
//
// Objects are gunzipped when they start with gzip's magic bytes, whatever their name. An
// object that does not decode completely (a bad JSON line, bad base64 in rawData, gzip
// garbage, a record that is not an object) is reported and skipped as a whole, before any of
// its records is sent: a half-understood object is for a person to look at.
//
// # Selecting by time
//
// Firehose's prefixes carry the arrival time of the oldest record in the object, to the hour.
// Listing never walks the whole history: for a time range, one ListObjectsV2 (paginated) per
// UTC day is made, on the longest common prefix of the hours of that day inside the range
// (…/day=25/ for a whole day, …/day=25/hour=1 for 10:00 to 19:00), and each key is then read
// back into its time with firehoseprefix.Match and kept only if its hour is in the range.
//
// # Exactly once per object: markers
//
// Each object sent carries a marker: a small JSON object at MarkerRoot + the object's key +
// ".json" (redrive/markers/errors/processing-failed/year=…/<name>.json) in the lake bucket,
// listing the ordinals (1-based line or record numbers) of the object's records the stream
// acknowledged, the object's ETag and whether every record is done. A run lists the markers
// under the same prefixes it lists objects under (one more ListObjectsV2 each), reads the
// marker of each object that has one (a small GET instead of the object), skips complete
// objects and sends only the unacknowledged records of partial ones. So a second run sends
// nothing, and a run stopped half-way resumes where the stream stopped acknowledging, even
// inside an object.
//
// Markers rather than object tags, because: a marker holds per-record progress (a tag value
// holds 256 characters); one listing tells which objects were never sent (tags need a
// GetObjectTagging per object); the error and raw objects are never modified (no
// tag-set overwrites, nothing to conflict with Object Lock, replication or a lifecycle rule
// filtering on tags, and no s3:PutObjectTagging on the data); and a marker is an audit
// record (when, to which stream, how many). Their cost: they are objects of their own, kept
// until the lake's lifecycle rule on redrive/ (lakelayout.RedrivePrefix) expires them after
// errorsExpirationDays, and with versioning on, each rewrite of
// a partial marker leaves a noncurrent version (expired by the bucket's noncurrent rule).
// Markers are keyed by the object, not by the run's prefix, so runs over overlapping prefixes
// (a day, then one of its hours) agree. An object whose ETag differs from its marker's was
// replaced since: its marker is ignored and all its records are sent, with a warning.
//
// When a marker is written: as soon as every record of an object that the run sends is
// acknowledged (so a long run leaves finished objects marked as it goes), and at the end of
// the run for objects with some records acknowledged and others not (failed after their
// retries, filtered out by --error-code, or cut off by an interruption). An interrupted run
// (context cancelled: Ctrl-C) stops reading new records, lets the batches already handed to
// the producer finish within DrainTimeout, then writes the markers. If a marker cannot be
// written, the run stops taking new objects: everything sent is reported.
//
// # What can still be sent twice, and when
//
//   - A PutRecords whose response was lost (a network timeout after Kinesis stored the
//     records) is retried by the producer and stores them twice. Inherent to Kinesis.
//   - A process killed without a chance to write markers (SIGKILL, a crash, a lost machine),
//     or one whose drain exceeded DrainTimeout: the acknowledged records of the objects not
//     yet marked at that moment (at most the objects in flight, about
//     producer.RunOptions.Concurrency+4 batches of records) are sent again by the next run.
//   - Replay (raw/) of records that are already in the lake stores them twice by design.
//
// Every copy keeps its event_id, and the saved queries deduplicate on event_id, so none of
// these changes a query result; only raw row counts and bytes scanned grow.
package recovery
