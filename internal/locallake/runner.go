package locallake

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

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
	s       *schema.Schema
	names   stackconfig.Names
	lakeDir string

	kinesalite *standin.Process
	kinesis    *kinesis.Client
	streamArn  string
	account    string
	fn         *function
	api        *http.Server
	apiURL     string
	apiAuth    producer.Auth
	stops      []func()
}

func (r *runner) progress(format string, a ...any) {
	if r.o.Progress != nil {
		_, _ = fmt.Fprintf(r.o.Progress, format+"\n", a...)
	}
}

// stop ends what the run started, in reverse order: API, function, kinesalite.
func (r *runner) stop() {
	for i := len(r.stops) - 1; i >= 0; i-- {
		r.stops[i]()
	}
}

func (r *runner) run(ctx context.Context) (*Result, error) {
	start := time.Now()
	for _, step := range []func(context.Context) error{r.startStream, r.startFunction, r.startAPI} {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	delivery, err := r.delivery()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type delivered struct {
		counts firehosesim.Counts
		err    error
	}
	done := make(chan delivered, 1)
	go func() {
		c, err := delivery.Run(ctx)
		done <- delivered{c, err}
	}()
	sent, err := r.send(ctx)
	if err != nil {
		cancel()
		<-done
		return nil, err
	}
	r.progress("delivering: %d events accepted; waiting until the lake has all of them", sent.summary.Delivered)
	delivery.Finish(sent.summary.Delivered)
	d := <-done
	if d.err != nil {
		return nil, fmt.Errorf("delivery: %w", d.err)
	}
	sum := newSummary(r, sent, d.counts, time.Since(start))
	if err := sum.Check(); err != nil {
		return nil, err
	}
	return &Result{Summary: sum, Rejected: sent.rejected, Config: r.cfg, Lake: r.lakeDir, DataDir: r.lake().DataDir()}, nil
}

// startFunction builds the transform bootstrap for this machine (reproducibly, as for
// deploys) and starts it behind a local Lambda runtime API with the stack's environment.
func (r *runner) startFunction(ctx context.Context) error {
	dir, err := filepath.Abs(filepath.Join(r.o.Dir, "function"))
	if err != nil {
		return err
	}
	r.progress("building the transform Lambda (lambdapkg, linux/%s)", runtime.GOARCH)
	zip, err := lambdapkg.Build(ctx, lambdapkg.Options{ModuleRoot: r.o.Root, OutDir: dir, GOARCH: runtime.GOARCH})
	if err != nil {
		return fmt.Errorf("build the transform Lambda: %w", err)
	}
	bootstrap, err := lambdaruntime.ExtractBootstrap(zip.Path, dir)
	if err != nil {
		return err
	}
	logs, err := os.Create(filepath.Join(dir, "function.log"))
	if err != nil {
		return err
	}
	r.stops = append(r.stops, func() { _ = logs.Close() })
	r.fn = &function{c: lambdaruntime.Config{
		Bootstrap: bootstrap, Env: r.functionEnv(), Timeout: time.Duration(r.cfg.LambdaTimeoutSeconds) * time.Second,
		FunctionArn: r.functionArn(), Stdout: logs, Stderr: logs,
	}}
	if err := r.fn.start(ctx); err != nil {
		return err
	}
	r.stops = append(r.stops, r.fn.stop)
	return nil
}

// functionEnv is the environment Lambda gives the function: the stack's variables
// (transform.Environment, as the component deploys them) and Lambda's own.
func (r *runner) functionEnv() []string {
	env := []string{
		"AWS_REGION=" + r.cfg.Region, "AWS_DEFAULT_REGION=" + r.cfg.Region, "TZ=:UTC",
		"AWS_LAMBDA_FUNCTION_NAME=" + r.functionName(),
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", r.cfg.LambdaMemoryMiB),
		"AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=" + r.cfg.LambdaLogLevel,
	}
	for k, v := range transform.Environment(schema.DefaultDataset, r.cfg.UnknownFields, r.cfg.LambdaLogLevel) {
		env = append(env, k+"="+v)
	}
	return env
}

func (r *runner) functionName() string {
	return awsrules.PhysicalName("-", r.cfg.Project, r.cfg.Stack, "transform")
}

func (r *runner) functionArn() string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", r.cfg.Region, r.accountOr(), r.functionName())
}

// accountOr is kinesalite's account once the stream exists (its ARNs carry it).
func (r *runner) accountOr() string {
	if r.account == "" {
		return "000000000000"
	}
	return r.account
}

// startStream starts kinesalite and creates the stack's stream with its shard count.
func (r *runner) startStream(ctx context.Context) error {
	p, err := standin.Kinesalite(r.o.Root)
	if err != nil {
		return fmt.Errorf("start kinesalite (the local Kinesis): %w", err)
	}
	r.kinesalite = p
	r.stops = append(r.stops, p.Stop)
	r.kinesis = kinesis.NewFromConfig(standin.AWSConfig(p.Endpoint, r.cfg.Region))
	shards := r.cfg.ShardCount
	if shards == 0 {
		shards = onDemandShards
	}
	r.progress("kinesalite on %s (pid %d): stream %s with %d shard(s)", p.Endpoint, p.Pid(), r.names.Stream, shards)
	if err := standin.CreateStream(ctx, r.kinesis, r.names.Stream, shards); err != nil {
		return err
	}
	out, err := r.kinesis.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String(r.names.Stream)})
	if err != nil {
		return fmt.Errorf("describe stream %s: %w", r.names.Stream, err)
	}
	r.streamArn = aws.ToString(out.StreamDescriptionSummary.StreamARN)
	if parts := strings.Split(r.streamArn, ":"); len(parts) > 4 {
		r.account = parts[4]
	}
	return nil
}

// startAPI serves the ingest API's contract on 127.0.0.1 in front of the stream, with the
// stack's auth mode and credentials for the local run.
func (r *runner) startAPI(_ context.Context) error {
	o := apisim.Options{Schema: r.s, UnknownFields: r.cfg.UnknownFields, Stage: r.cfg.APIStageName,
		Sink: &apisim.KinesisSink{Client: r.kinesis, Stream: r.names.Stream}}
	auth, err := localAuth(&o, r.cfg.APIAuth, r.cfg.Region, r.cfg.APIJWTUserPoolArns, r.cfg.APIJWTScopes)
	if err != nil {
		return err
	}
	h, err := apisim.New(o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("serve the ingest API: %w", err)
	}
	r.api = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.api.Serve(ln) }()
	r.stops = append(r.stops, func() { _ = r.api.Close() })
	r.apiURL = "http://" + ln.Addr().String() + "/" + r.cfg.APIStageName
	r.apiAuth = auth
	r.progress("ingest API on %s (apiAuth %s, unknownFields %s)", r.apiURL, r.cfg.APIAuth, r.cfg.UnknownFields)
	return nil
}

// lake is where the delivery writes: DIR/lake under the stack's prefixes.
func (r *runner) lake() *lakefiles.Lake {
	p := lakelayout.DeliveryPrefixes(r.s, r.cfg.Partitioning)
	return &lakefiles.Lake{Root: r.lakeDir, Prefixes: lakefiles.Prefixes{Data: p.Data, Errors: p.Errors, Raw: p.Raw},
		Stream: r.deliveryName(), Version: 1, Columns: r.s.GlueColumns()}
}

func (r *runner) deliveryName() string {
	return awsrules.PhysicalName("-", r.cfg.Project, r.cfg.Stack, "delivery")
}

// delivery is the local delivery stream with the stack's processor and Firehose settings.
func (r *runner) delivery() (*firehosesim.Delivery, error) {
	processorInterval := interval(r.o.ProcessorInterval, DefaultProcessorInterval, r.cfg.ProcessorBufferSeconds)
	bufferInterval := interval(r.o.BufferInterval, DefaultBufferInterval, r.cfg.FirehoseBufferSeconds)
	r.progress("delivery: Lambda batches of %g MiB or %s, %d retries; Parquet files of %d MiB or %s; partitioning %s",
		r.cfg.ProcessorBufferMiB, processorInterval, r.cfg.ProcessorRetries, r.cfg.FirehoseBufferMiB, bufferInterval, r.cfg.Partitioning)
	return firehosesim.New(firehosesim.Config{
		Source: r.kinesis, StreamName: r.names.Stream, StreamArn: r.streamArn,
		DeliveryStreamArn: fmt.Sprintf("arn:aws:firehose:%s:%s:deliverystream/%s", r.cfg.Region, r.accountOr(), r.deliveryName()),
		Region:            r.cfg.Region, Processor: r.fn, FunctionArn: r.functionArn(),
		ProcessorBufferBytes: int(r.cfg.ProcessorBufferMiB * (1 << 20)), ProcessorInterval: processorInterval,
		ProcessorRetries: r.cfg.ProcessorRetries,
		BufferBytes:      r.cfg.FirehoseBufferMiB << 20, BufferInterval: bufferInterval,
		EventTime: eventTime(r.cfg), RawBackup: r.cfg.RawBackup, Lake: r.lake(),
		Catalog: firehoserec.DataCatalogTable{
			CatalogID: r.accountOr(), DatabaseName: r.names.Database, TableName: r.names.Table, Region: r.cfg.Region,
			VersionID: "0", CatalogArn: fmt.Sprintf("arn:aws:glue:%s:%s:catalog", r.cfg.Region, r.accountOr()),
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
