package locallake

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/internal/firehoserec"
	"github.com/streamlake/streamlake/internal/firehosesim"
	"github.com/streamlake/streamlake/internal/lakefiles"
	"github.com/streamlake/streamlake/internal/lambdaruntime"
	"github.com/streamlake/streamlake/internal/standin"
	"github.com/streamlake/streamlake/lakelayout"
	"github.com/streamlake/streamlake/lambdapkg"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/transform"
)

// onDemandShards is the stream's shard count for an ON_DEMAND stack (kinesalite has no
// on-demand mode; AWS starts an on-demand stream with 4 shards).
const onDemandShards = 4

// runner holds what one run started, so that stop ends all of it.
type runner struct {
	o       Options
	cfg     *stackconfig.Config
	lakeDir string
	lanes   []*lane // every dataset's, the default first
	input   *lane   // the lane of --input's events (nil: generated events for every lane)

	kinesalite *standin.Process
	kinesis    *kinesis.Client
	account    string
	bootstrap  string // the transform's binary, built once for every dataset
	api        *http.Server
	apiURL     string
	apiAuth    producer.Auth
	stops      []func()
}

// lane is one dataset's part of a run: its stream, function, API routes and delivery.
type lane struct {
	d         *stackconfig.Dataset
	names     stackconfig.Names
	streamArn string
	fn        *function
	sent      *sent
	// put counts the records Options.AfterSend put into the stream and the stream acknowledged.
	put    countingPutter
	counts firehosesim.Counts
}

func (r *runner) progress(format string, a ...any) {
	if r.o.Progress != nil {
		_, _ = fmt.Fprintf(r.o.Progress, format+"\n", a...)
	}
}

// stop ends what the run started, in reverse order: API, functions, kinesalite.
func (r *runner) stop() {
	for i := len(r.stops) - 1; i >= 0; i-- {
		r.stops[i]()
	}
}

func (r *runner) run(ctx context.Context) (*Result, error) {
	start := time.Now()
	for _, step := range []func(context.Context) error{r.startStreams, r.startFunctions, r.startAPI} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deliveries, done, err := r.startDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	sendErr := r.sendAll(ctx)
	if sendErr == nil {
		sendErr = r.afterSend(ctx)
	}
	if sendErr != nil {
		cancel()
	}
	for i, l := range r.lanes {
		if sendErr == nil {
			r.progress("delivering%s: %d events accepted, %d records put into the stream; waiting until the lake has all of them",
				l.note(), l.sent.summary.Delivered, l.put.n.Load())
			deliveries[i].Finish(l.sent.summary.Delivered + int(l.put.n.Load()))
		}
		d := <-done[i]
		if sendErr == nil && d.err != nil {
			return nil, fmt.Errorf("delivery%s: %w", l.note(), d.err)
		}
		l.counts = d.counts
	}
	if sendErr != nil {
		return nil, sendErr
	}
	return r.result(time.Since(start))
}

// afterSend calls Options.AfterSend with a putter into the input lane's stream (the default
// dataset's when events were generated for every lane) that counts what the stream stored.
func (r *runner) afterSend(ctx context.Context) error {
	if r.o.AfterSend == nil {
		return nil
	}
	l := r.input
	if l == nil {
		l = r.lanes[0]
	}
	l.put.Putter = &producer.KinesisPutter{Client: r.kinesis, Stream: l.names.Stream}
	r.progress("putting records into stream %s past the API (AfterSend)", l.names.Stream)
	if err := r.o.AfterSend(ctx, Stream{Name: l.names.Stream, Dataset: l.d.Name, Putter: &l.put}); err != nil {
		return fmt.Errorf("after sending: %w", err)
	}
	return nil
}

// countingPutter counts the records its Putter stored: those of answered requests that the
// answer does not list as failed.
type countingPutter struct {
	producer.Putter
	n atomic.Int64
}

func (c *countingPutter) Put(ctx context.Context, recs []producer.Record) (producer.Result, error) {
	res, err := c.Putter.Put(ctx, recs)
	if err == nil {
		c.n.Add(int64(len(recs) - len(res.Retry) - len(res.Rejected)))
	}
	return res, err
}

// delivered is what a delivery's Run returned.
type delivered struct {
	counts firehosesim.Counts
	err    error
}

// startDeliveries starts every lane's delivery stream.
func (r *runner) startDeliveries(ctx context.Context) ([]*firehosesim.Delivery, []chan delivered, error) {
	var deliveries []*firehosesim.Delivery
	var done []chan delivered
	for _, l := range r.lanes {
		d, err := r.delivery(l)
		if err != nil {
			return nil, nil, err
		}
		ch := make(chan delivered, 1)
		go func() {
			c, err := d.Run(ctx)
			ch <- delivered{c, err}
		}()
		deliveries, done = append(deliveries, d), append(done, ch)
	}
	return deliveries, done, nil
}

// sendAll sends the input to its lane, or generated events to every lane.
func (r *runner) sendAll(ctx context.Context) error {
	for _, l := range r.lanes {
		l.sent = &sent{}
		if r.input != nil && l != r.input {
			continue
		}
		var err error
		if l.sent, err = r.send(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

// result is the run's summary (checked) and where each dataset's rows are.
func (r *runner) result(elapsed time.Duration) (*Result, error) {
	var per []Summary
	res := &Result{Config: r.cfg, Lake: r.lakeDir}
	for _, l := range r.lanes {
		sum := newSummary(r, l, elapsed)
		if err := sum.Check(); err != nil {
			return nil, fmt.Errorf("dataset %s: %w", l.d.Name, err)
		}
		per = append(per, sum)
		res.Rejected = append(res.Rejected, l.sent.rejected...)
	}
	res.Datasets = Lakes(r.cfg, r.lakeDir)
	res.Summary, res.DataDir = total(per), res.Datasets[0].DataDir
	return res, res.Summary.Check()
}

// note names a lane's dataset in progress lines, when it is not the default.
func (l *lane) note() string {
	if l.d.IsDefault() {
		return ""
	}
	return " (" + l.d.Name + ")"
}

// startFunctions builds the transform bootstrap for this machine (reproducibly, as for
// deploys, with every dataset's file) and starts one function per dataset behind a local
// Lambda runtime API, each with its dataset's environment.
func (r *runner) startFunctions(ctx context.Context) error {
	dir, err := filepath.Abs(filepath.Join(r.o.Dir, "function"))
	if err != nil {
		return err
	}
	r.progress("building the transform Lambda (lambdapkg, linux/%s)", runtime.GOARCH)
	o := lambdapkg.Options{ModuleRoot: r.o.Root, OutDir: dir, GOARCH: runtime.GOARCH}
	if o.Replace, err = datasetFiles(r.cfg, filepath.Join(dir, "datasets")); err != nil {
		return err
	}
	if r.bootstrap, err = lambdaruntime.BuildBootstrap(ctx, o); err != nil {
		return err
	}
	for _, l := range r.lanes {
		if err := r.startFunction(ctx, l, dir); err != nil {
			return err
		}
	}
	return nil
}

// datasetFiles are the dataset files the build compiles in beside the built-in ones (the
// example's, in tests), written under dir.
func datasetFiles(cfg *stackconfig.Config, dir string) (map[string]string, error) {
	builtin, err := schema.Datasets()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, d := range cfg.Datasets {
		if b, ok := schema.FindDataset(builtin, d.Name); ok && bytes.Equal(b.Source, d.Source) {
			continue
		}
		file := filepath.Join(dir, filepath.Base(d.File))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(file, d.Source, 0o644); err != nil {
			return nil, err
		}
		out[filepath.FromSlash(d.File)] = file
	}
	return out, nil
}

// startFunction starts a lane's function, logging to function[-<dataset>].log.
func (r *runner) startFunction(ctx context.Context, l *lane, dir string) error {
	name := "function.log"
	if !l.d.IsDefault() {
		name = "function-" + l.d.Name + ".log"
	}
	logs, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	r.stops = append(r.stops, func() { _ = logs.Close() })
	l.fn = &function{c: lambdaruntime.Config{
		Bootstrap: r.bootstrap, Env: r.functionEnv(l), Timeout: time.Duration(l.d.LambdaTimeoutSeconds) * time.Second,
		FunctionArn: r.functionArn(l), Stdout: logs, Stderr: logs,
	}}
	if err := l.fn.start(ctx); err != nil {
		return err
	}
	r.stops = append(r.stops, l.fn.stop)
	return nil
}

// functionEnv is the environment Lambda gives a dataset's function: its variables
// (transform.Environment, as the component deploys them) and Lambda's own.
func (r *runner) functionEnv(l *lane) []string {
	env := []string{
		"AWS_REGION=" + r.cfg.Region, "AWS_DEFAULT_REGION=" + r.cfg.Region, "TZ=:UTC",
		"AWS_LAMBDA_FUNCTION_NAME=" + r.functionName(l),
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", l.d.LambdaMemoryMiB),
		"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=" + l.d.LambdaLogLevel,
	}
	for k, v := range transform.Environment(l.d.Name, l.d.UnknownFields, l.d.LambdaLogLevel) {
		env = append(env, k+"="+v)
	}
	return env
}

// localName is a name of the run for a lane: <project>-<stack>-<what>, with the dataset
// before what for another dataset.
func (r *runner) localName(l *lane, what string) string {
	if l.d.IsDefault() {
		return awsrules.PhysicalName("-", r.cfg.Project, r.cfg.Stack, what)
	}
	return awsrules.PhysicalName("-", r.cfg.Project, r.cfg.Stack) + "-" + l.d.Name + "-" + what
}

func (r *runner) functionName(l *lane) string { return r.localName(l, "transform") }

func (r *runner) functionArn(l *lane) string {
	return r.arn("lambda", "function:"+r.functionName(l))
}

// arn is an ARN of the local run's region and account (kinesalite's partition is aws).
func (r *runner) arn(service, resource string) string {
	return arn.ARN{Partition: "aws", Service: service, Region: r.cfg.Region, AccountID: r.accountOr(), Resource: resource}.String()
}

// accountOr is kinesalite's account once the stream exists (its ARNs carry it).
func (r *runner) accountOr() string {
	if r.account == "" {
		return "000000000000"
	}
	return r.account
}

// startStreams starts kinesalite and creates every dataset's stream with its shard count.
func (r *runner) startStreams(ctx context.Context) error {
	p, err := standin.Kinesalite(r.o.Root)
	if err != nil {
		return fmt.Errorf("start kinesalite (the local Kinesis): %w", err)
	}
	r.kinesalite = p
	r.stops = append(r.stops, p.Stop)
	r.kinesis = kinesis.NewFromConfig(standin.AWSConfig(p.Endpoint, r.cfg.Region))
	for _, l := range r.lanes {
		if err := r.createStream(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

// withKinesaliteOutput adds what kinesalite wrote to an error of its first request: it writes
// nothing while it works, so its output is the reason it does not (a crash, a Node warning).
func (r *runner) withKinesaliteOutput(err error) error {
	if out := strings.TrimSpace(r.kinesalite.Output()); out != "" {
		return fmt.Errorf("%w (kinesalite's output: %s)", err, out)
	}
	return err
}

// createStream creates a lane's stream on kinesalite.
func (r *runner) createStream(ctx context.Context, l *lane) error {
	shards := l.d.ShardCount
	if shards == 0 {
		shards = onDemandShards
	}
	r.progress("kinesalite on %s (pid %d): stream %s with %d shard(s)", r.kinesalite.Endpoint, r.kinesalite.Pid(), l.names.Stream, shards)
	if err := standin.CreateStream(ctx, r.kinesis, l.names.Stream, shards); err != nil {
		return r.withKinesaliteOutput(err)
	}
	out, err := r.kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(l.names.Stream)})
	if err != nil {
		return fmt.Errorf("describe stream %s: %w", l.names.Stream, err)
	}
	l.streamArn = aws.ToString(out.StreamDescriptionSummary.StreamARN)
	if a, err := arn.Parse(l.streamArn); err == nil {
		r.account = a.AccountID
	}
	return nil
}

// startAPI serves the ingest API's contract on 127.0.0.1 in front of the streams: every
// dataset's routes, with the stack's auth mode and credentials for the local run.
func (r *runner) startAPI(_ context.Context) error {
	var auth apisim.Options
	client, err := localAuth(&auth, r.cfg.APIAuth, r.cfg.Region, r.cfg.APIJWTUserPoolArns, r.cfg.APIJWTScopes)
	if err != nil {
		return err
	}
	mux := &routeMux{byPath: map[string]http.Handler{}}
	prefix := "/" + strings.Trim(r.cfg.APIStageName, "/")
	for _, l := range r.lanes {
		o := auth
		o.Schema, o.UnknownFields, o.Stage, o.Routes = l.d.Schema, l.d.UnknownFields, r.cfg.APIStageName, apispec.RoutesOf(l.d.Name)
		o.Sink = &apisim.KinesisSink{Client: r.kinesis, Stream: l.names.Stream}
		h, err := apisim.New(o)
		if err != nil {
			return err
		}
		mux.byPath[prefix+o.Routes.Events], mux.byPath[prefix+o.Routes.Batch] = h, h
		if mux.fallback == nil {
			mux.fallback = h // answers paths that are no route, as the deployed API does
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("serve the ingest API: %w", err)
	}
	r.api = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.api.Serve(ln) }()
	r.stops = append(r.stops, func() { _ = r.api.Close() })
	r.apiURL = "http://" + ln.Addr().String() + prefix
	r.apiAuth = client
	r.progress("ingest API on %s (apiAuth %s; datasets %s)", r.apiURL, r.cfg.APIAuth, strings.Join(r.cfg.DatasetNames(), ", "))
	return nil
}

// routeMux sends a request to the handler of its dataset's route.
type routeMux struct {
	byPath   map[string]http.Handler
	fallback http.Handler
}

func (m *routeMux) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if h, ok := m.byPath[req.URL.Path]; ok {
		h.ServeHTTP(w, req)
		return
	}
	m.fallback.ServeHTTP(w, req)
}

// lake is where a lane's delivery writes: DIR/lake under the dataset's prefixes.
func (r *runner) lake(l *lane) *lakefiles.Lake {
	p := lakelayout.DatasetPrefixes(l.d.Name, l.d.Schema, l.d.Partitioning)
	return &lakefiles.Lake{Root: r.lakeDir, Prefixes: lakefiles.Prefixes{Data: p.Data, Errors: p.Errors, Raw: p.Raw},
		Stream: r.deliveryName(l), Version: 1, Columns: l.d.Schema.GlueColumns()}
}

func (r *runner) deliveryName(l *lane) string { return r.localName(l, "delivery") }

// delivery is a lane's local delivery stream with its dataset's processor and Firehose
// settings.
func (r *runner) delivery(l *lane) (*firehosesim.Delivery, error) {
	cfg := l.d.Config
	processorInterval := interval(r.o.ProcessorInterval, DefaultProcessorInterval, cfg.ProcessorBufferSeconds)
	bufferInterval := interval(r.o.BufferInterval, DefaultBufferInterval, cfg.FirehoseBufferSeconds)
	r.progress("delivery%s: Lambda batches of %g MiB or %s, %d retries; Parquet files of %d MiB or %s; partitioning %s",
		l.note(), cfg.ProcessorBufferMiB, processorInterval, cfg.ProcessorRetries, cfg.FirehoseBufferMiB, bufferInterval, cfg.Partitioning)
	return firehosesim.New(firehosesim.Config{
		Source: r.kinesis, StreamName: l.names.Stream, StreamArn: l.streamArn,
		DeliveryStreamArn: r.arn("firehose", "deliverystream/"+r.deliveryName(l)),
		Region:            r.cfg.Region, Processor: l.fn, FunctionArn: r.functionArn(l),
		ProcessorBufferBytes: int(cfg.ProcessorBufferMiB * (1 << 20)), ProcessorInterval: processorInterval,
		ProcessorRetries: cfg.ProcessorRetries,
		BufferBytes:      cfg.FirehoseBufferMiB << 20, BufferInterval: bufferInterval,
		EventTime: eventTime(cfg), RawBackup: cfg.RawBackup, Lake: r.lake(l),
		Catalog: firehoserec.DataCatalogTable{
			CatalogID: r.accountOr(), DatabaseName: l.names.Database, TableName: l.names.Table, Region: r.cfg.Region,
			VersionID: "0", CatalogArn: r.arn("glue", "catalog"),
		},
	})
}

// interval is the option's value, its default when 0, or the stack's seconds when negative.
func interval(opt, def time.Duration, stackSeconds int) time.Duration {
	switch {
	case opt < 0:
		return time.Duration(stackSeconds) * time.Second
	case opt == 0:
		return def
	}
	return opt
}

// function is the transform behind the runtime API. Lambda replaces an execution environment
// whose function exited (a timeout ends it): so does Invoke.
type function struct {
	c  lambdaruntime.Config
	fn *lambdaruntime.Function
}

func (f *function) start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	fn, err := lambdaruntime.Start(ctx, f.c)
	if err != nil {
		return fmt.Errorf("start the transform Lambda: %w", err)
	}
	f.fn = fn
	return nil
}

// Invoke implements firehosesim.Processor.
func (f *function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	select {
	case <-f.fn.Done():
		_ = f.fn.Stop()
		if err := f.start(ctx); err != nil {
			return nil, err
		}
	default:
	}
	return f.fn.Invoke(ctx, payload)
}

func (f *function) stop() {
	if f.fn != nil {
		_ = f.fn.Stop()
	}
}
