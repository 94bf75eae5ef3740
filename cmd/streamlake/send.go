package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// targetFlags choose where events go: the API (single or batch route) or a Kinesis stream.
type targetFlags struct {
	via            string
	apiURL, apiKey string
	auth, token    string
	batch          bool
	stream         string
	aws            awsFlags
	stack, outputs string
	dataset        datasetFlag
}

func (t *targetFlags) register(fs *flags, batchDefault bool) {
	fs.StringVar(&t.via, "via", "", "`mode`: api (through the ingest API) or stream (straight to Kinesis) (default: stream if --stream is given, else api)")
	fs.StringVar(&t.apiURL, "api-url", "", "ingest API base (stage) `URL`; default: stack output apiUrl")
	fs.StringVar(&t.apiKey, "api-key", "", "API `key` (--auth apiKey); default: $STREAMLAKE_API_KEY, then stack output apiKey")
	fs.StringVar(&t.auth, "auth", "", "how to authenticate to the API, a `mode`: apiKey, iam (SigV4 with the AWS credentials of the default chain) or jwt (a user pool token); default: stack output apiAuth when the API URL comes from the stack, else apiKey")
	fs.StringVar(&t.token, "token", "", "Cognito user pool `token` for --auth jwt (never printed); default: $STREAMLAKE_TOKEN, which unlike a flag stays out of the process list")
	fs.BoolVar(&t.batch, "batch", batchDefault, "use the batch route POST /v1/events/batch (/v1/<dataset>/events/batch; up to 500 events a request)")
	fs.StringVar(&t.stream, "stream", "", "Kinesis stream `name` to put records into with PutRecords, bypassing the API; default with --via stream: stack output streamName")
	t.aws.register(fs)
	fs.StringVar(&t.stack, "stack", "", "Pulumi `stack` whose outputs supply names not given as flags (default: the selected stack)")
	fs.StringVar(&t.outputs, "outputs", "", "read stack outputs from `file` (saved 'pulumi stack output --json --show-secrets') instead of running pulumi")
	t.dataset.register(fs)
}

func (a *awsFlags) register(fs *flags) {
	fs.StringVar(&a.region, "region", "", "AWS `region`; default: the stack's region when stack outputs are read, else the SDK's (AWS_REGION, profile)")
	fs.StringVar(&a.endpoint, "endpoint-url", "", "send every AWS client to this endpoint `URL` (local stand-ins)")
}

// target is where a run sends events, and the dataset whose events they are.
type target struct {
	putter  producer.Putter
	desc    string
	dataset schema.Dataset
}

func resolveTarget(ctx context.Context, e *env, so *stackOutputs, t targetFlags) (target, error) {
	ds, err := t.dataset.choose(ctx, so)
	if err != nil {
		return target{}, err
	}
	tgt, err := resolvePutter(ctx, e, so, t, ds)
	tgt.dataset = ds
	return tgt, err
}

// resolvePutter picks the putter of a dataset's route or stream.
func resolvePutter(ctx context.Context, e *env, so *stackOutputs, t targetFlags, ds schema.Dataset) (target, error) {
	via := t.via
	switch {
	case via == "" && t.stream != "":
		via = "stream"
	case via == "":
		via = "api"
	case via != "api" && via != "stream":
		return target{}, usagef("--via must be api or stream, got %q", via)
	}
	if via == "stream" && (t.apiURL != "" || t.apiKey != "") {
		return target{}, usagef("--api-url and --api-key are for --via api; --stream sends to Kinesis directly")
	}
	if via == "stream" && (t.auth != "" || t.token != "") {
		return target{}, usagef("--auth and --token are for --via api; --stream sends to Kinesis with the AWS credentials of the default chain")
	}
	if via == "api" && t.stream != "" {
		return target{}, usagef("--stream sends to Kinesis directly: it cannot be combined with --via api")
	}
	if via == "stream" {
		stream, err := so.pick(ctx, e, t.stream, "stream", "", outStream)
		if err != nil {
			return target{}, err
		}
		cfg, err := loadAWS(ctx, so.region(ctx, t.aws.region), t.aws.endpoint)
		if err != nil {
			return target{}, err
		}
		return target{
			putter: &producer.KinesisPutter{Client: kinesisForSend(cfg), Stream: stream},
			desc:   fmt.Sprintf("Kinesis stream %s (%s, PutRecords)", stream, cfg.Region),
		}, nil
	}
	var events, batch string
	if t.apiURL != "" {
		events, batch = apispec.RoutesOf(ds.Name).URLs(t.apiURL)
	} else {
		var err error
		if events, err = so.pick(ctx, e, "", "api-url", "", outEventsURL); err != nil {
			return target{}, err
		}
		if batch, err = so.get(ctx, outBatchURL); err != nil {
			return target{}, err
		}
	}
	auth, how, err := resolveAuth(ctx, e, so, t, events)
	if err != nil {
		return target{}, err
	}
	route := events
	if t.batch {
		route = batch
	}
	return target{
		putter: &producer.APIPutter{EventsURL: events, BatchURL: batch, Auth: auth, Batch: t.batch, UserAgent: "streamlake-cli"},
		desc:   "API POST " + route + " (" + how + ")",
	}, nil
}

// resolveAuth picks the auth mode (--auth, else the stack's apiAuth when the URL came from
// the stack, else apiKey) and its credentials. desc names the mode, never a secret.
func resolveAuth(ctx context.Context, e *env, so *stackOutputs, t targetFlags, eventsURL string) (producer.Auth, string, error) {
	mode := t.auth
	if mode == "" {
		mode = string(apispec.AuthAPIKey)
		if t.apiURL == "" {
			var err error
			if mode, err = so.get(ctx, outAPIAuth); err != nil {
				return nil, "", fmt.Errorf("--auth not given, and %w", err)
			}
		}
	}
	auth, err := apispec.ParseAuth(mode)
	if err != nil {
		return nil, "", usagef("--auth: %v", err)
	}
	switch {
	case t.apiKey != "" && auth != apispec.AuthAPIKey:
		return nil, "", usagef("--api-key is for --auth apiKey, not %s", auth)
	case t.token != "" && auth != apispec.AuthJWT:
		return nil, "", usagef("--token is for --auth jwt, not %s", auth)
	}
	switch auth {
	case apispec.AuthIAM:
		region := producer.RegionOfURL(eventsURL)
		if region == "" {
			region = so.region(ctx, t.aws.region)
		}
		cfg, err := loadAWS(ctx, region, "")
		if err != nil {
			return nil, "", err
		}
		return producer.SigV4Auth{Credentials: cfg.Credentials, Region: cfg.Region}, "SigV4, " + cfg.Region, nil
	case apispec.AuthJWT:
		token := t.token
		if token == "" {
			token = e.getenv("STREAMLAKE_TOKEN")
		}
		if token == "" {
			return nil, "", usagef("--auth jwt needs a user pool token: set $STREAMLAKE_TOKEN (or --token), or send to the stream, past the API, with --via stream")
		}
		return producer.BearerAuth{Token: token}, "user pool token", nil
	}
	key, err := so.pick(ctx, e, t.apiKey, "api-key", "STREAMLAKE_API_KEY", outAPIKey)
	if err != nil {
		return nil, "", err
	}
	return producer.APIKeyAuth{Key: key}, "API key", nil
}

type sendFlags struct {
	target      targetFlags
	count       int
	rate        float64
	duration    time.Duration
	concurrency int
	retry       producer.RetryPolicy
	users       int
	eventType   string
	json        bool
	noProgress  bool
}

const sendDescription = `
Sends generated events (every field from the event schema; a unique event_id each) to the
ingest API, or straight to the Kinesis stream with PutRecords batches (at most 500 records and
5 MiB a request, 1 MiB a record). Records a request did not store are re-sent, and only those,
with exponential backoff and full jitter, up to --max-attempts sends each; so throttling slows
a run down but loses nothing. A retry after a lost response may store an event twice: both
copies have the same event_id, and the lake's queries count it once.

Prints events sent and failed, retries, throughput and request and delivery latency
percentiles. Exit status 1 if any event was not delivered.

Examples:
  streamlake send --count 1000 --batch                       # API of the selected stack
  streamlake send --stack dev --rate 200 --duration 1m       # steady load for a minute
  streamlake send --stream my-stream --region eu-west-1 --count 100000 --concurrency 8`

// Ranges of send's numeric flags.
const (
	maxSendCount       = 100_000_000
	maxSendRate        = 1_000_000
	maxSendConcurrency = 256
	maxSendUsers       = 10_000_000
)

// maxAttempts bounds --max-attempts of every command that sends (send, redrive, replay).
const maxAttempts = 100

// registerRetry registers the retry flags every sending command shares.
func registerRetry(fs *flags, r *producer.RetryPolicy) {
	def := producer.DefaultRetryPolicy()
	fs.intVar(&r.MaxAttempts, "max-attempts", def.MaxAttempts, 1, maxAttempts, "`n` sends of one record before it counts as failed")
	fs.durationVar(&r.BaseDelay, "backoff-base", def.BaseDelay, 0, time.Minute, "first retry waits up to this `duration` (doubling each retry, full jitter)")
	fs.durationVar(&r.MaxDelay, "backoff-max", def.MaxDelay, 0, 10*time.Minute, "longest wait between retries, a `duration` (at least --backoff-base)")
}

// checkRetry checks what the retry flags' ranges cannot.
func checkRetry(r producer.RetryPolicy) error {
	if r.MaxDelay < r.BaseDelay {
		return usagef("--backoff-max %s is below --backoff-base %s: the longest wait must be at least the first", r.MaxDelay, r.BaseDelay)
	}
	if err := r.Validate(); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// defaultSendCount is what a run without --count or --duration sends.
const defaultSendCount = 100

func sendFlagSet(e *env) (*flags, *sendFlags) {
	var f sendFlags
	fs := newFlags("send", "[flags]", sendDescription)
	f.target.register(fs, false)
	fs.intVar(&f.count, "count", 0, 1, maxSendCount, fmt.Sprintf("`n` events to send (default %d unless --duration is given)", defaultSendCount))
	fs.floatVar(&f.rate, "rate", 0, 0, maxSendRate, false, "target events per second, `n` (0: as fast as the target accepts)")
	fs.durationVar(&f.duration, "duration", 0, time.Second, 24*time.Hour, "stop generating after this `duration` (e.g. 30s, 5m, 1d)")
	fs.intVar(&f.concurrency, "concurrency", 4, 1, maxSendConcurrency, "`n` requests in flight at once")
	registerRetry(fs, &f.retry)
	fs.intVar(&f.users, "users", 1000, 1, maxSendUsers, "spread events over `n` distinct user_id values (partition keys)")
	fs.StringVar(&f.eventType, "event-type", "", "fixed event_type `value` (default: a realistic mix)")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON")
	fs.BoolVar(&f.noProgress, "no-progress", false, "no progress bar (it is shown only on a terminal anyway)")
	return fs, &f
}

// check validates what the ranges cannot and applies the default count.
func (f *sendFlags) check() error {
	if err := checkRetry(f.retry); err != nil {
		return err
	}
	if f.count == 0 && f.duration == 0 {
		f.count = defaultSendCount
	}
	return nil
}

func runSend(ctx context.Context, e *env, args []string) int {
	fs, f := sendFlagSet(e)
	if code, exit := parse(e, fs, args); exit {
		return code
	}
	if err := f.check(); err != nil {
		return fail(e, "send", err)
	}
	so := newStackOutputs(e, f.target.stack, f.target.outputs)
	tgt, err := resolveTarget(ctx, e, so, f.target)
	if err != nil {
		return fail(e, "send", err)
	}
	gen, err := producer.NewGenerator(tgt.dataset.Schema, producer.GeneratorOptions{Users: f.users, EventType: f.eventType})
	if err != nil {
		return fail(e, "send", usagef("%v", err))
	}
	return send(ctx, e, *f, tgt, gen)
}

// send runs the load, prints its summary and returns the exit code.
func send(ctx context.Context, e *env, f sendFlags, tgt target, gen *producer.Generator) int {
	opts := producer.RunOptions{Count: f.count, Rate: f.rate, Duration: f.duration, Concurrency: f.concurrency, Retry: f.retry}
	var bar *progressBar
	if e.isTerminal && !f.noProgress {
		bar = &progressBar{w: e.stderr, total: f.count, duration: f.duration, start: time.Now()}
		opts.Progress = bar.update
	}
	if !f.json {
		if _, err := fmt.Fprintf(e.stdout, "sending to %s\n", tgt.desc); err != nil {
			return printed(e, "send", err)
		}
	}
	sum, runErr := producer.Run(ctx, gen, tgt.putter, opts)
	bar.done()
	if err := writeSendSummary(e.stdout, f.json, tgt, sum, runErr); err != nil {
		return printed(e, "send", err)
	}
	switch {
	case runErr != nil:
		return fail(e, "send", runErr)
	case sum.Failed > 0:
		return fail(e, "send", fmt.Errorf("%d of %d events were not delivered (see the reasons above)", sum.Failed, sum.Events))
	}
	return exitOK
}

// writeSendSummary prints the run's summary, as text or JSON.
func writeSendSummary(w io.Writer, asJSON bool, tgt target, sum producer.Summary, runErr error) error {
	if !asJSON {
		_, err := fmt.Fprint(w, sum.String())
		return err
	}
	out := map[string]any{"target": tgt.desc, "summary": sum, "ok": runErr == nil && sum.Failed == 0}
	if runErr != nil {
		out["error"] = runErr.Error()
	}
	return writeJSON(w, out)
}

// progressBar draws one self-overwriting line on a terminal (stderr: a failed draw is ignored).
type progressBar struct {
	w        io.Writer
	total    int
	duration time.Duration
	start    time.Time
	mu       sync.Mutex
	drawn    bool
}

func (p *progressBar) update(s producer.Summary) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	frac := 0.0
	el := time.Since(p.start)
	if p.total > 0 {
		frac = float64(s.Delivered+s.Failed) / float64(p.total)
	}
	if p.duration > 0 {
		frac = max(frac, min(1, el.Seconds()/p.duration.Seconds()))
	}
	const width = 28
	n := int(min(1, frac) * width)
	rate := 0.0
	if el > 0 {
		rate = float64(s.Delivered) / el.Seconds()
	}
	_, _ = fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d delivered  %.0f/s  retries %d  failed %d\x1b[K",
		strings.Repeat("#", n), strings.Repeat(".", width-n), 100*min(1, frac), s.Delivered, rate, s.Retries, s.Failed)
	p.drawn = true
}

func (p *progressBar) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		_, _ = fmt.Fprint(p.w, "\r\x1b[K")
	}
}
