// Package standintest starts the local AWS stand-ins that streamlake's tests run against
// (kinesalite for Kinesis, moto_server for Kinesis shard updates, Athena, S3 and Glue) on free
// 127.0.0.1 ports, and stops them, by process id, when the test ends. A missing stand-in skips
// the test locally and fails it when CI=true, so CI never passes by skipping.
package standintest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/streamlake/streamlake/lambdapkg"
)

// Region is the region clients of the stand-ins use.
const Region = "us-east-1"

// StartTimeout bounds how long a stand-in may take to accept connections.
const StartTimeout = 20 * time.Second

// Missing skips the test (or fails it when CI=true) because a stand-in is not installed.
func Missing(t testing.TB, what string) {
	t.Helper()
	msg := what + " is not available: run scripts/install-standins.sh"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: stand-ins are required)")
	}
	t.Skip(msg)
}

// RepoRoot returns the module root (the directory holding go.mod) above the working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	root, err := lambdapkg.FindModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Process is a started stand-in.
type Process struct {
	Name     string
	Endpoint string // http://127.0.0.1:PORT
	cmd      *exec.Cmd
	out      *lockedBuffer
	exited   chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil // keep the start of the log only
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start runs argv (with PORT in any argument replaced by a free port) in dir, waits until the
// port accepts connections and registers its stop with t.Cleanup. It retries on a new port if
// the process exits early (another process took the port).
func Start(t testing.TB, name, dir string, argv ...string) *Process {
	t.Helper()
	var lastErr error
	for try := 0; try < 3; try++ {
		port := FreePort(t)
		args := make([]string, len(argv))
		for i, a := range argv {
			args[i] = string(bytes.ReplaceAll([]byte(a), []byte("PORT"), []byte(strconv.Itoa(port))))
		}
		p := &Process{Name: name, Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), out: &lockedBuffer{}, exited: make(chan struct{})}
		p.cmd = exec.Command(args[0], args[1:]...)
		p.cmd.Dir = dir
		p.cmd.Env = standinEnv()
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		// Its own process group, so that stopping it also stops any child it forks.
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		go func() { _ = p.cmd.Wait(); close(p.exited) }()
		t.Cleanup(p.Stop)
		if lastErr = p.waitReady(port); lastErr == nil {
			return p
		}
		p.Stop()
	}
	t.Fatalf("%s did not start: %v", name, lastErr)
	return nil
}

// standinEnv is the environment without AWS_* variables: a test's fake credentials, empty
// region or config paths must not change how a stand-in behaves (moto reads them).
func standinEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return env
}

func (p *Process) waitReady(port int) error {
	deadline := time.Now().Add(StartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("exited early: %s", p.out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no connection on port %d after %s: %s", port, StartTimeout, p.out.String())
}

// Stop ends the process group it started (SIGTERM, then SIGKILL after 3 s). It is safe to
// call more than once.
func (p *Process) Stop() {
	if p.cmd.Process == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	}
}

// Log returns what the process wrote so far.
func (p *Process) Log() string { return p.out.String() }

// Kinesalite starts kinesalite (tools/standins, npm) and returns its endpoint.
func Kinesalite(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Missing(t, "node (for kinesalite)")
	}
	dir := filepath.Join(RepoRoot(t), "tools", "standins")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "kinesalite", "package.json")); err != nil {
		Missing(t, "kinesalite (npm ci --prefix tools/standins)")
	}
	// The Node API binds 127.0.0.1 only (the CLI binds every interface). Shard changes take
	// 50 ms instead of 500 so tests stay quick.
	return Start(t, "kinesalite", dir, node, "-e",
		"require('kinesalite')({createStreamMs:50,deleteStreamMs:50,updateStreamMs:50,shardLimit:50}).listen(PORT,'127.0.0.1')").Endpoint
}

// Moto starts moto_server and returns its endpoint.
func Moto(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		Missing(t, "moto_server")
	}
	return Start(t, "moto_server", t.TempDir(), bin, "-H", "127.0.0.1", "-p", "PORT").Endpoint
}

// Credentials are the fake credentials every stand-in accepts.
var Credentials = credentials.NewStaticCredentialsProvider("AKIDSTANDIN", "standin-secret", "")

// Config is an AWS configuration for a stand-in at endpoint, with the SDK's own retries off.
func Config(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  Credentials,
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// KinesisClient is a Kinesis client for endpoint without SDK retries.
func KinesisClient(endpoint string) *kinesis.Client {
	return kinesis.NewFromConfig(Config(endpoint))
}

// CreateStream creates a provisioned stream and waits until it is ACTIVE.
func CreateStream(t testing.TB, c *kinesis.Client, name string, shards int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: &name, ShardCount: aws.Int32(int32(shards))}); err != nil {
		t.Fatalf("create stream %s: %v", name, err)
	}
	WaitActive(t, c, name)
}

// WaitActive waits until a stream is ACTIVE.
func WaitActive(t testing.TB, c *kinesis.Client, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := c.DescribeStreamSummary(context.Background(), &kinesis.DescribeStreamSummaryInput{StreamName: &name})
		if err == nil && out.StreamDescriptionSummary.StreamStatus == types.StreamStatusActive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream %s not ACTIVE after 30 s (last error: %v)", name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ReadAll reads every record of every shard (open and closed) from the start of the stream.
func ReadAll(t testing.TB, c *kinesis.Client, stream string) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: &stream}
	for {
		page, err := c.ListShards(ctx, in)
		if err != nil {
			t.Fatalf("list shards of %s: %v", stream, err)
		}
		shards = append(shards, page.Shards...)
		if page.NextToken == nil {
			break
		}
		in = &kinesis.ListShardsInput{NextToken: page.NextToken} // a token excludes the name
	}
	var out [][]byte
	for _, sh := range shards {
		it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
			StreamName: &stream, ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			t.Fatalf("shard iterator of %s/%s: %v", stream, *sh.ShardId, err)
		}
		iter := it.ShardIterator
		for iter != nil {
			page, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
			if err != nil {
				t.Fatalf("get records of %s/%s: %v", stream, *sh.ShardId, err)
			}
			for _, r := range page.Records {
				out = append(out, r.Data)
			}
			if len(page.Records) == 0 {
				break // caught up with an open shard (a closed one ends with a nil iterator)
			}
			iter = page.NextShardIterator
		}
	}
	return out
}
