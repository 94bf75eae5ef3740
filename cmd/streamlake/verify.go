package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// hintTimeout bounds the errors/ listing a failed run does after its deadline.
const hintTimeout = 5 * time.Second

// verifyTag prefixes a run's event_type, so the query finds only the run's events.
const verifyTag = "streamlake-verify-"

// runAttribute names the run in every event's attributes.
const runAttribute = "streamlake_verify_run"

type athenaAPI interface {
	StartQueryExecution(ctx context.Context, in *athena.StartQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(ctx context.Context, in *athena.GetQueryExecutionInput, optFns ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	GetQueryResults(ctx context.Context, in *athena.GetQueryResultsInput, optFns ...func(*athena.Options)) (*athena.GetQueryResultsOutput, error)
}

const verifyDescription = `
Post-deploy smoke test of the whole pipeline. Sends a tagged batch of events (event_type
streamlake-verify-<run id>, attribute streamlake_verify_run=<run id>, event_ids <run id>-000001...)
through the API (or straight to the stream with --via stream), then queries the Athena workgroup
until every event_id is found or --timeout passes. How the hours the events fall in become
queryable follows the stack's partitionDiscovery (stack output, or --partition-discovery): with
projection (projection, projection+crawler) Athena finds them as soon as Firehose writes, and
verify adds no partitions; with crawler, verify adds them to the Glue table itself (ALTER TABLE
... ADD IF NOT EXISTS PARTITION, since the crawler only runs on its schedule) unless
--add-partitions=false, which waits for the crawler and so proves it. Reports the end-to-end latency (send to queryable) and
the stream arrival lag of each event (ingested_at - occurred_at).

A stack with several datasets is verified one dataset at a time (--dataset NAME) or whole
(--dataset all: every dataset in the stack output datasets, with one run id; every dataset's
events are sent first, then each poll queries every dataset still missing events, all within
one --timeout; --count is per dataset). A stack whose API takes user pool tokens (apiAuth
jwt) is verified without one with --via stream: the events skip the API and its authorizer.

Exit status 0 when every event was found; 1 with the missing event_ids and hints when not
(Firehose buffering, records under errors/ in the lake); 2 on a usage error.

Examples:
  streamlake verify --stack dev
  streamlake verify --stack prod --count 20 --timeout 15m --json
  streamlake verify --stack prod --dataset all --via stream --timeout 20m`

type verifyFlags struct {
	target                             targetFlags
	count                              int
	timeout, poll                      time.Duration
	bucket, database, table, workgroup string
	runID                              string
	json                               bool
	addPartitions, addPartitionsGiven  bool
	discovery                          string
}

// verifier holds what verify needs; tests build one around stand-ins.
type verifier struct {
	athena                             athenaAPI
	s3                                 s3.ListObjectsV2APIClient // nil: no errors/ hint
	schema                             *schema.Schema
	bucket, database, table, workgroup string
	// dataPrefix is the dataset's Parquet folder (lakelayout.RootsOf; "": the default's data/).
	dataPrefix      string
	poll, queryPoll time.Duration
	// discovery is the stack's partitionDiscovery.
	discovery lakelayout.Discovery
	// addPartitions registers the events' hours itself (crawler-only stacks); off, verify waits
	// for the crawler, or for partition projection, which needs nothing registered.
	addPartitions bool
	// clock stamps events and decides which hourly partitions exist; tests fix it.
	clock func() time.Time
	log   io.Writer
	// label names the dataset in the log when verify checks every dataset ("": one).
	label string
	// crawlerOutput is the stack output naming the dataset's crawler, for the hint.
	crawlerOutput string
	// errors is the dataset's error folder, where the hint counts (zero: all of errors/).
	errors errorFolder
}

// verifyReport is the outcome of a verify run.
type verifyReport struct {
	OK          bool     `json:"ok"`
	RunID       string   `json:"run_id"`
	Target      string   `json:"target"`
	Table       string   `json:"table"`
	Discovery   string   `json:"partition_discovery"`
	Events      int      `json:"events"`
	Found       int      `json:"found"`
	Missing     []string `json:"missing_event_ids"`
	Partitions  []string `json:"partitions"`
	Queries     int      `json:"queries"`
	LastQueryID string   `json:"last_query_id,omitempty"`
	// EndToEndSec is from the end of sending to the poll that found the last event.
	EndToEndSec float64 `json:"end_to_end_sec,omitempty"`
	// Arrival lag: ingested_at - occurred_at of the found events.
	ArrivalP50Ms float64  `json:"arrival_lag_p50_ms,omitempty"`
	ArrivalMaxMs float64  `json:"arrival_lag_max_ms,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	Hints        []string `json:"hints"`
}

var (
	glueName = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	runIDRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
	wgName   = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,128}$`)
)

func newRunID() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return "v" + time.Now().UTC().Format("20060102t150405") + "-" + hex.EncodeToString(b[:])
}

func verifyFlagSet(e *env) (*flags, *verifyFlags) {
	var f verifyFlags
	fs := newFlags("verify", "[flags]", verifyDescription)
	f.target.dataset.all = true
	f.target.register(fs, true)
	fs.intVar(&f.count, "count", 10, 1, schema.MaxBatchRecords, "`n` events to send (one batch)")
	fs.durationVar(&f.timeout, "timeout", 10*time.Minute, 100*time.Millisecond, 24*time.Hour, "give up after this `duration`, sending included (Firehose buffers up to 15 minutes)")
	fs.durationVar(&f.poll, "poll", 15*time.Second, 10*time.Millisecond, time.Hour, "`duration` between Athena queries")
	fs.StringVar(&f.bucket, "bucket", "", "lake `bucket`; default: stack output bucketName")
	fs.StringVar(&f.database, "database", "", "Glue `database`; default: stack output glueDatabase")
	fs.StringVar(&f.table, "table", "", "Glue `table`; default: stack output glueTable")
	fs.StringVar(&f.workgroup, "workgroup", "", "Athena `workgroup`; default: stack output athenaWorkgroup")
	fs.StringVar(&f.runID, "run-id", "", "run `id` tagging the events (lowercase letters, digits, '-'); default: v<UTC time>-<random>")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.BoolVar(&f.addPartitions, "add-partitions", true, "crawler-only stacks: register the events' hourly partitions with ALTER TABLE; false: wait for the crawler to do it (start it first, e.g. aws glue start-crawler). With partition projection verify adds none")
	fs.StringVar(&f.discovery, "partition-discovery", "", "the stack's partitionDiscovery `mode` (projection+crawler, projection or crawler); default: stack output partitionDiscovery (a stack without it: crawler)")
	return fs, &f
}

// check validates the flags and picks a run id when none was given.
func (f *verifyFlags) check() error {
	if f.runID != "" && !runIDRE.MatchString(f.runID) {
		return usagef("--run-id %q: use 1..40 lowercase letters, digits and '-'", f.runID)
	}
	if f.runID == "" {
		f.runID = newRunID()
	}
	return nil
}

func runVerify(ctx context.Context, e *env, args []string) int {
	fs, f := verifyFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	f.addPartitionsGiven = fs.set("add-partitions")
	if err := f.check(); err != nil {
		return fail(e, "verify", err)
	}
	so := newStackOutputs(e, f.target.stack, f.target.outputs)
	if f.target.dataset.every() {
		return runVerifyAll(ctx, e, so, *f)
	}
	tgt, err := resolveTarget(ctx, e, so, f.target)
	if err != nil {
		return fail(e, "verify", err)
	}
	v, err := newVerifier(ctx, e, so, *f, tgt.dataset)
	if err != nil {
		return fail(e, "verify", err)
	}
	rep := v.run(ctx, tgt, f.runID, f.count, f.timeout)
	if err := writeResult(e.stdout, f.json, rep, rep.String); err != nil {
		return printed(e, "verify", err)
	}
	if !rep.OK {
		return fail(e, "verify", errors.New(rep.Reason))
	}
	return exitOK
}

// newVerifier resolves the lake's names (flags, then stack outputs) and its AWS clients.
func newVerifier(ctx context.Context, e *env, so *stackOutputs, f verifyFlags, ds schema.Dataset) (*verifier, error) {
	v := &verifier{schema: ds.Schema, dataPrefix: lakelayout.RootsOf(ds.Name).Data, crawlerOutput: crawlerOutputOf(ds.Name), errors: errorFolderOf(ds), poll: f.poll, queryPoll: min(500*time.Millisecond, f.poll), clock: e.now, log: e.stderr, addPartitions: f.addPartitions}
	if v.clock == nil {
		v.clock = time.Now
	}
	for _, p := range []struct {
		dst            *string
		val, name, key string
		re             *regexp.Regexp
	}{
		{&v.bucket, f.bucket, "bucket", outBucket, bucketRE},
		{&v.database, f.database, "database", outDatabase, glueName},
		{&v.table, f.table, "table", outTable, glueName},
		{&v.workgroup, f.workgroup, "workgroup", outWorkgroup, wgName},
	} {
		val, err := so.pick(ctx, e, p.val, p.name, "", p.key)
		if err != nil {
			return nil, err
		}
		if !p.re.MatchString(val) {
			return nil, usagef("%s %q is not a valid name (%s)", p.name, val, p.re)
		}
		*p.dst = val
	}
	var err error
	if v.discovery, err = stackDiscovery(ctx, e, so, f.discovery); err != nil {
		return nil, err
	}
	if v.addPartitions, err = addsPartitions(v.discovery, f.addPartitions, f.addPartitionsGiven); err != nil {
		return nil, err
	}
	cfg, err := loadAWS(ctx, so.region(ctx, f.target.aws.region), f.target.aws.endpoint)
	if err != nil {
		return nil, err
	}
	v.athena, v.s3 = athenaClient(cfg), s3Client(cfg)
	return v, nil
}

func (r verifyReport) String() string {
	var b strings.Builder
	status := "OK"
	if !r.OK {
		status = "FAILED"
	}
	fmt.Fprintf(&b, "verify %s: run %s, %d/%d events found in %s\n", status, r.RunID, r.Found, r.Events, r.Table)
	fmt.Fprintf(&b, "  sent to      %s\n", r.Target)
	switch {
	case r.Discovery != string(lakelayout.CrawlerOnly):
		fmt.Fprintf(&b, "  partitions   projected by Athena (partitionDiscovery %s)\n", r.Discovery)
	case len(r.Partitions) > 0:
		fmt.Fprintf(&b, "  partitions   %s\n", strings.Join(r.Partitions, ", "))
	}
	if r.Queries > 0 {
		fmt.Fprintf(&b, "  queries      %d (last %s)\n", r.Queries, r.LastQueryID)
	} else {
		fmt.Fprintf(&b, "  queries      none ran\n")
	}
	if r.OK {
		fmt.Fprintf(&b, "  end to end   %.1fs from sent to queryable in Athena (found on a poll: up to one poll interval late)\n", r.EndToEndSec)
	}
	if r.Found > 0 {
		fmt.Fprintf(&b, "  arrival lag  p50 %.0f ms, max %.0f ms (ingested_at - occurred_at)\n", r.ArrivalP50Ms, r.ArrivalMaxMs)
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "  missing      %s\n", strings.Join(r.Missing, ", "))
	}
	if r.Reason != "" && !r.OK {
		fmt.Fprintf(&b, "  reason       %s\n", r.Reason)
	}
	for _, h := range r.Hints {
		fmt.Fprintf(&b, "  hint         %s\n", h)
	}
	return b.String()
}

// logf writes progress to the log (stderr), after "verify:" or, verifying every dataset,
// "verify <dataset>:"; a failed write is not worth stopping for.
func (v *verifier) logf(format string, a ...any) {
	prefix := "verify: "
	if v.label != "" {
		prefix = "verify " + v.label + ": "
	}
	_, _ = fmt.Fprintf(v.log, prefix+format, a...)
}

// verifyRun is one verify run's progress: what it waits for and what it found.
type verifyRun struct {
	v       *verifier
	rep     verifyReport
	runID   string
	start   time.Time // the clock when the events were made (their event time)
	sentAt  time.Time
	want    map[string]bool         // event_ids sent
	found   map[string][2]time.Time // event_id -> occurred_at, ingested_at
	added   map[string]bool         // partition paths registered (or left to the crawler)
	hours   []time.Time             // hours the query looks in
	timeout time.Duration
}

// run sends the tagged events and waits for them in Athena.
func (v *verifier) run(ctx context.Context, tgt target, runID string, count int, timeout time.Duration) verifyReport {
	// Every call, sending included, stops at the deadline.
	deadline := time.Now().Add(timeout)
	r := v.newRun(tgt, runID, timeout)
	if !r.sendBy(ctx, deadline, tgt, count) {
		return r.rep
	}
	awaitAll(ctx, []*verifyRun{r}, deadline, v.poll)
	return r.rep
}

// newRun is a run of the verifier that has sent nothing yet.
func (v *verifier) newRun(tgt target, runID string, timeout time.Duration) *verifyRun {
	return &verifyRun{v: v, runID: runID, timeout: timeout, found: map[string][2]time.Time{}, added: map[string]bool{},
		rep: verifyReport{RunID: runID, Target: tgt.desc, Table: fmt.Sprintf("%q.%q (workgroup %s)", v.database, v.table, v.workgroup), Discovery: string(v.discovery)}}
}

// sendBy sends the run's events before the deadline; false when they could not be sent, and
// the report (final then) says what happened to them.
func (r *verifyRun) sendBy(ctx context.Context, deadline time.Time, tgt target, count int) bool {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	r.rep.Events = count
	r.start = r.v.clock()
	if err := r.send(ctx, tgt, count); err != nil {
		// Nothing to look for: the report says what happened to the events instead.
		r.rep.Reason = err.Error()
		r.rep.Missing, r.rep.Partitions, r.rep.Hints = []string{}, []string{}, []string{}
		return false
	}
	r.sentAt = time.Now()
	r.v.logf("sent %d events of run %s to %s; waiting for them in Athena (timeout %s)\n", count, r.runID, tgt.desc, r.timeout)
	return true
}

// awaitAll queries Athena for the runs' events until every run's are found or the deadline
// passes, and completes their reports. Each round polls every unfinished run once, so a run
// that never finds its events does not use up the others' time (verify --dataset all).
func awaitAll(parent context.Context, runs []*verifyRun, deadline time.Time, poll time.Duration) {
	ctx, cancel := context.WithDeadline(parent, deadline)
	defer cancel()
	pending := runs
	for len(pending) > 0 {
		t0 := time.Now()
		var next []*verifyRun
		for _, r := range pending {
			if !r.poll(ctx) {
				next = append(next, r)
			}
		}
		pending = next
		if len(pending) > 0 && !waitRound(ctx, deadline, poll, time.Since(t0)) {
			for _, r := range pending {
				r.rep.Reason = r.timeUp(ctx)
			}
			break
		}
	}
	for _, r := range runs {
		r.rep = r.v.finish(parent, r.rep, r.want, r.found, r.start)
	}
}

// poll looks for the run's events once and says whether the run is over: every event found
// (its end-to-end time is taken then), or it could not look (the report says why).
func (r *verifyRun) poll(ctx context.Context) bool {
	if ctx.Err() != nil { // the time ran out in another run's query
		r.rep.Reason = r.timeUp(ctx)
		return true
	}
	if err := r.addHours(ctx); err != nil {
		r.rep.Reason = r.stopped(ctx, "could not add the lake partitions to the table: "+err.Error())
		return true
	}
	if err := r.look(ctx); err != nil {
		r.rep.Reason = r.stopped(ctx, "query failed: "+err.Error())
		return true
	}
	if len(r.found) == len(r.want) {
		r.rep.OK = true
		r.rep.EndToEndSec = time.Since(r.sentAt).Seconds()
		return true
	}
	r.v.logf("%d/%d events queryable after %s\n", len(r.found), len(r.want), time.Since(r.sentAt).Round(time.Second))
	return false
}

// notFound is the reason of a run that ran out of time.
func (r *verifyRun) notFound() string {
	return fmt.Sprintf("%d of %d events of run %s not found in %s after %s", len(r.want)-len(r.found), len(r.want), r.runID, r.rep.Table, r.timeout)
}

// stopped is the reason a run ended with err: its deadline (then the events were not found in
// time), an interrupt, or err itself.
func (r *verifyRun) stopped(ctx context.Context, err string) string {
	cause := context.Cause(ctx)
	switch {
	case cause == nil:
		return err
	case errors.Is(cause, context.DeadlineExceeded):
		return r.notFound() + " (the last query was still running at the deadline)"
	}
	return r.timeUp(ctx)
}

// send generates the run's tagged events and sends them in one batch.
func (r *verifyRun) send(ctx context.Context, tgt target, count int) error {
	o := producer.GeneratorOptions{IDPrefix: r.runID, Attributes: map[string]string{runAttribute: r.runID}, Now: r.v.clock}
	if r.v.taggedByType() {
		o.EventType = verifyTag + r.runID
	}
	gen, err := producer.NewGenerator(r.v.schema, o)
	if err != nil {
		return err
	}
	recs := make([]producer.Record, count)
	r.want = map[string]bool{}
	for i := range recs {
		if recs[i], err = gen.Next(); err != nil {
			return err
		}
		r.want[recs[i].ID] = true
	}
	sum, err := producer.Run(ctx, producer.SliceSource(recs), tgt.putter, producer.RunOptions{Concurrency: 1})
	if err == nil && sum.Failed == 0 {
		return nil
	}
	msg := fmt.Sprintf("could not send the verify events to %s: %d of %d not delivered", tgt.desc, sum.Failed, count)
	var why []string
	for _, reason := range sum.ReasonList() {
		if reason.Outcome == "failed" {
			why = append(why, fmt.Sprintf("%d %s", reason.Records, reason.Reason))
		}
	}
	if len(why) > 0 {
		msg += " (" + strings.Join(why, "; ") + ")"
	}
	if err != nil {
		msg += "; " + err.Error()
	}
	return errors.New(msg)
}

// addHours adds to the query the partitions of every hour from the first event to now:
// event-time partitioning puts the events in the first, arrival-time partitioning in whichever
// Firehose wrote in. With addPartitions it registers them with ALTER TABLE first.
func (r *verifyRun) addHours(ctx context.Context) error {
	var fresh []time.Time
	for h := r.start.UTC().Truncate(time.Hour); !h.After(r.v.clock().UTC()); h = h.Add(time.Hour) {
		if !r.added[r.v.partitionPath(h)] {
			fresh = append(fresh, h)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if r.v.addPartitions {
		_, qid, err := r.v.query(ctx, r.v.addPartitionsSQL(fresh))
		r.rep.Queries++
		r.rep.LastQueryID = qid
		if err != nil {
			return err
		}
	}
	for _, h := range fresh {
		r.added[r.v.partitionPath(h)] = true
		if r.v.addPartitions {
			r.rep.Partitions = append(r.rep.Partitions, r.v.partitionPath(h))
		}
	}
	r.hours = append(r.hours, fresh...)
	return nil
}

// look queries the run's events and records those found.
func (r *verifyRun) look(ctx context.Context) error {
	rows, qid, err := r.v.query(ctx, r.v.selectSQL(r.runID, r.hours))
	r.rep.Queries++
	r.rep.LastQueryID = qid
	if err != nil {
		return err
	}
	for _, row := range rows {
		if len(row) < 3 || !r.want[row[0]] {
			continue
		}
		r.found[row[0]] = [2]time.Time{parseAthenaTime(row[1]), parseAthenaTime(row[2])}
	}
	return nil
}

// waitRound sleeps until the next round: one poll interval, or less so that the last round
// (as long as the one before) ends by the deadline. It returns false when the time is up
// instead. (Waiting a whole interval or not at all gave up one interval early: --timeout 20s
// with the default 15 s poll stopped after 15 s.)
func waitRound(ctx context.Context, deadline time.Time, poll, lastRound time.Duration) bool {
	room := time.Until(deadline) - lastRound
	if room <= 0 {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(min(poll, room)):
		return true
	}
}

// timeUp is the reason of a run that is not over when the time is up: its events were not
// found in time, or the run was interrupted.
func (r *verifyRun) timeUp(ctx context.Context) string {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
		return "interrupted (" + cause.Error() + ")"
	}
	return r.notFound()
}

// finish fills in what was found, what is missing, and hints for a failure.
func (v *verifier) finish(ctx context.Context, rep verifyReport, want map[string]bool, found map[string][2]time.Time, start time.Time) verifyReport {
	rep.Found = len(found)
	var lags []float64
	for id := range want {
		t, ok := found[id]
		if !ok {
			rep.Missing = append(rep.Missing, id)
			continue
		}
		if !t[0].IsZero() && !t[1].IsZero() {
			lags = append(lags, float64(t[1].Sub(t[0]).Milliseconds()))
		}
	}
	sort.Strings(rep.Missing)
	rep.Missing, rep.Partitions, rep.Hints = nonNil(rep.Missing), nonNil(rep.Partitions), nonNil(rep.Hints)
	if len(lags) > 0 {
		slices.Sort(lags)
		rep.ArrivalP50Ms, rep.ArrivalMaxMs = lags[(len(lags)-1)/2], lags[len(lags)-1]
	}
	if rep.OK {
		return rep
	}
	if rep.Found == 0 && strings.Contains(rep.Reason, "not found") {
		rep.Hints = append(rep.Hints, "no event reached the table: Firehose writes after its buffer interval (up to 900 s) and only then do rows appear; raise --timeout, or check the delivery stream and the transform Lambda's logs")
		if v.discovery == lakelayout.CrawlerOnly && !v.addPartitions {
			rep.Hints = append(rep.Hints, "with --add-partitions=false rows appear only after the crawler has registered the hour: start it (aws glue start-crawler, stack output "+v.crawlerOutput+") or wait for its schedule")
		}
	}
	if v.s3 != nil && strings.Contains(rep.Reason, "not found") {
		// The run's time is up: the hint may take a few seconds more, not another timeout.
		ctx, cancel := context.WithTimeout(ctx, hintTimeout)
		defer cancel()
		if n, err := v.countErrorObjects(ctx, start); err != nil {
			rep.Hints = append(rep.Hints, "could not "+err.Error())
		} else if n > 0 {
			rep.Hints = append(rep.Hints, fmt.Sprintf("%d object(s) written under s3://%s/%s since the run started: the transform or the Parquet conversion rejected records; look there", n, v.bucket, v.errors.path()))
		}
	}
	return rep
}

// countErrorObjects counts the dataset's own error objects written since the run started (a
// minute earlier, for clock skew), in the first 10 pages of the listing.
func (v *verifier) countErrorObjects(ctx context.Context, since time.Time) (int, error) {
	n := 0
	err := v.errors.list(ctx, v.s3, v.bucket, 10, func(o s3types.Object) {
		if o.LastModified != nil && !o.LastModified.Before(since.Add(-time.Minute)) {
			n++
		}
	})
	return n, err
}

// partitionValues returns the partition keys and values of hour h (schema layouts).
func (v *verifier) partitionValues(h time.Time) (names, values []string) {
	for _, p := range v.schema.Partitions {
		names = append(names, p.Name)
		values = append(values, h.UTC().Format(p.Layout))
	}
	return names, values
}

func (v *verifier) partitionPath(h time.Time) string {
	names, values := v.partitionValues(h)
	parts := make([]string, len(names))
	for i := range names {
		parts[i] = names[i] + "=" + values[i]
	}
	return strings.Join(parts, "/")
}

func (v *verifier) addPartitionsSQL(hours []time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ALTER TABLE `%s`.`%s` ADD IF NOT EXISTS", v.database, v.table)
	for _, h := range hours {
		names, values := v.partitionValues(h)
		kv := make([]string, len(names))
		for i := range names {
			kv[i] = fmt.Sprintf("%s = '%s'", names[i], values[i])
		}
		fmt.Fprintf(&b, "\n  PARTITION (%s) LOCATION 's3://%s/%s%s/'", strings.Join(kv, ", "), v.bucket, cmp.Or(v.dataPrefix, lakelayout.DataPrefix), v.partitionPath(h))
	}
	return b.String()
}

func (v *verifier) selectSQL(runID string, hours []time.Time) string {
	s := v.schema
	var where []string
	for _, h := range hours {
		names, values := v.partitionValues(h)
		kv := make([]string, len(names))
		for i := range names {
			kv[i] = fmt.Sprintf("%s = '%s'", names[i], values[i])
		}
		where = append(where, "("+strings.Join(kv, " AND ")+")")
	}
	tag := fmt.Sprintf("%s = '%s'", producer.TypeField, verifyTag+runID)
	if !v.taggedByType() {
		tag = fmt.Sprintf("%s LIKE '%s-%%'", producer.IDField, runID) // run ids have no LIKE wildcards
	}
	return fmt.Sprintf(`SELECT %s, CAST(%s AS varchar) AS %s, CAST(%s AS varchar) AS %s
FROM "%s"."%s"
WHERE %s
  AND (%s)`, producer.IDField, s.EventTime, s.EventTime, s.ArrivalTime, s.ArrivalTime, v.database, v.table, tag, strings.Join(where, "\n    OR "))
}

// taggedByType says whether a run's events carry its tag in event_type (the default dataset's
// way); a dataset without a string event_type is found by its event ids, run-000001, ...
func (v *verifier) taggedByType() bool {
	f, ok := v.schema.Field(producer.TypeField)
	return ok && f.Type == schema.String && f.Source == schema.Client
}

// query runs sql in the workgroup and returns its rows (without the header row).
func (v *verifier) query(ctx context.Context, sql string) ([][]string, string, error) {
	start, err := v.athena.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{
		QueryString:           aws.String(sql),
		WorkGroup:             aws.String(v.workgroup),
		QueryExecutionContext: &athenatypes.QueryExecutionContext{Database: aws.String(v.database)},
	})
	if err != nil {
		return nil, "", fmt.Errorf("start query in workgroup %s: %w", v.workgroup, err)
	}
	id := aws.ToString(start.QueryExecutionId)
	for {
		out, err := v.athena.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
		if err != nil {
			return nil, id, fmt.Errorf("query %s: %w", id, err)
		}
		st := out.QueryExecution.Status
		if st == nil {
			return nil, id, fmt.Errorf("query %s: no status", id)
		}
		switch st.State {
		case athenatypes.QueryExecutionStateSucceeded:
			rows, err := v.results(ctx, id)
			return rows, id, err
		case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
			reason := aws.ToString(st.StateChangeReason)
			if st.AthenaError != nil && st.AthenaError.ErrorMessage != nil && !strings.Contains(reason, *st.AthenaError.ErrorMessage) {
				reason += " " + *st.AthenaError.ErrorMessage
			}
			return nil, id, fmt.Errorf("query %s %s: %s\n%s", id, st.State, strings.TrimSpace(reason), sql)
		}
		select {
		case <-ctx.Done():
			return nil, id, ctx.Err()
		case <-time.After(v.queryPoll):
		}
	}
}

func (v *verifier) results(ctx context.Context, id string) ([][]string, error) {
	p := athena.NewGetQueryResultsPaginator(v.athena, &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id)})
	var rows [][]string
	first := true
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("results of query %s: %w", id, err)
		}
		if page.ResultSet == nil {
			continue
		}
		var header []string
		if page.ResultSet.ResultSetMetadata != nil {
			for _, c := range page.ResultSet.ResultSetMetadata.ColumnInfo {
				header = append(header, aws.ToString(c.Name))
			}
		}
		for _, r := range page.ResultSet.Rows {
			row := make([]string, len(r.Data))
			for i, d := range r.Data {
				row[i] = aws.ToString(d.VarCharValue)
			}
			// A SELECT's first row is its header.
			if first && len(header) > 0 && slices.Equal(row, header) {
				first = false
				continue
			}
			first = false
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// parseAthenaTime reads a timestamp as Athena prints it ("2026-03-04 05:06:07.890"); zero if
// it cannot.
func parseAthenaTime(s string) time.Time {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", time.RFC3339Nano, schema.TimestampLayout} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t
		}
	}
	return time.Time{}
}

// crawlerOutputOf is the stack output that names a dataset's crawler: the default's is
// top-level, another dataset's is in the datasets output.
func crawlerOutputOf(dataset string) string {
	if dataset == "" || dataset == schema.DefaultDataset {
		return outCrawler
	}
	return datasetOutputName(dataset, outCrawler)
}
