package lambdaruntime

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/lambdapkg"
)

// fakeBin is testdata/fakefn, built once for the package's tests.
var fakeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fakefn")
	if err != nil {
		panic(err)
	}
	fakeBin = filepath.Join(dir, "bootstrap")
	out, err := exec.Command("go", "build", "-o", fakeBin, "./testdata/fakefn").CombinedOutput()
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		_, _ = os.Stderr.Write(out)
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// fake starts the test runtime in testdata/fakefn with env, and stops it when the test ends.
func fake(t *testing.T, c Config) (*Function, *testenv.LockedBuffer) {
	t.Helper()
	logs := &testenv.LockedBuffer{}
	c.Bootstrap, c.Stderr = fakeBin, logs
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := Start(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Stop(); err != nil {
			t.Error(err)
		}
	})
	return f, logs
}

func invoke(t *testing.T, f *Function, payload string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.Invoke(ctx, []byte(payload))
}

// alive reports whether a process with pid exists.
func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestInvoke(t *testing.T) {
	f, logs := fake(t, Config{Env: []string{"GREETING=hello"}, FunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:f"})
	for i := 0; i < 3; i++ { // one environment serves invocation after invocation
		got, err := invoke(t, f, `{"do":"echo","n":1}`)
		if err != nil || string(got) != `{"do":"echo","n":1}` {
			t.Fatalf("echo %d: %s %v", i, got, err)
		}
	}
	got, err := invoke(t, f, `{"do":"env","name":"GREETING"}`)
	if err != nil || string(got) != `"hello"` {
		t.Errorf("environment: %s %v", got, err)
	}
	got, _ = invoke(t, f, `{"do":"env","name":"AWS_LAMBDA_RUNTIME_API"}`)
	if string(got) != `"`+f.Addr()+`"` || !strings.HasPrefix(f.Addr(), "127.0.0.1:") {
		t.Errorf("runtime API %s at %s", got, f.Addr())
	}
	if !strings.Contains(logs.String(), "arn arn:aws:lambda:eu-west-1:123456789012:function:f") {
		t.Errorf("the function did not see its ARN: %s", logs)
	}
}

func TestFunctionErrors(t *testing.T) {
	// 5 s: the hang below waits it out once; every other call must finish within it on a busy
	// CI machine.
	f, _ := fake(t, Config{MaxResponseBytes: 1000, Timeout: 5 * time.Second})
	_, err := invoke(t, f, `{"do":"error"}`)
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Type != "Fake.Error" || fe.Message != "asked to fail" || !bytes.Contains(fe.Body, []byte("asked to fail")) {
		t.Fatalf("function error: %v", err)
	}
	if got, err := invoke(t, f, `{"do":"big","size":998}`); err != nil || len(got) != 1000 {
		t.Fatalf("response at the limit: %d bytes, %v", len(got), err)
	}
	if _, err := invoke(t, f, `{"do":"big","size":999}`); !errors.As(err, &fe) || fe.Type != "Function.ResponseSizeTooLarge" {
		t.Fatalf("response over the limit: %v", err)
	}
	if got, err := invoke(t, f, `{"do":"echo"}`); err != nil || string(got) != `{"do":"echo"}` {
		t.Fatalf("still serving: %s %v", got, err)
	}
	// A timeout ends the environment, as Lambda does.
	pid := f.Pid()
	if _, err := invoke(t, f, `{"do":"hang"}`); !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
		t.Fatalf("timeout: %v", err)
	}
	if alive(pid) {
		t.Errorf("process %d still runs after the timeout", pid)
	}
	if _, err := invoke(t, f, `{"do":"echo"}`); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("after the timeout: %v", err)
	}
}

func TestExitDuringInvocation(t *testing.T) {
	f, _ := fake(t, Config{})
	if _, err := invoke(t, f, `{"do":"exit"}`); err == nil || !strings.Contains(err.Error(), "exited during the invocation") {
		t.Fatalf("exit: %v", err)
	}
	select {
	case <-f.Done():
	default:
		t.Error("Done is not closed")
	}
}

func TestStartFailures(t *testing.T) {
	bin := fakeBin
	ctx := context.Background()
	_, err := Start(ctx, Config{Bootstrap: bin, Env: []string{"FAKE_INIT=error"}})
	var exit *exec.ExitError
	if err == nil || !strings.Contains(err.Error(), "failed to initialize: Runtime.InvalidConfiguration: FAKE_INIT says so") ||
		!errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("init error: %v", err)
	}
	if _, err := Start(ctx, Config{Bootstrap: bin, Env: []string{"FAKE_INIT=exit"}}); err == nil || !strings.Contains(err.Error(), "exited before asking for work: exit status 2") {
		t.Errorf("early exit: %v", err)
	}
	if _, err := Start(ctx, Config{Bootstrap: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("a missing binary must fail")
	}
	if _, err := Start(ctx, Config{}); err == nil || !strings.Contains(err.Error(), "Bootstrap is required") {
		t.Errorf("no binary: %v", err)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Start(short, Config{Bootstrap: bin}); err == nil || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled start: %v", err)
	}
}

// Stop ends the process by its pid and may be called again.
func TestStop(t *testing.T) {
	bin := fakeBin
	f, err := Start(context.Background(), Config{Bootstrap: bin})
	if err != nil {
		t.Fatal(err)
	}
	pid := f.Pid()
	if !alive(pid) {
		t.Fatal("not running")
	}
	if err := f.Stop(); err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("process %d still runs", pid)
	}
	if err := f.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := invoke(t, f, `{"do":"echo"}`); err == nil {
		t.Error("invoke after Stop must fail")
	}
}

// The real transform, built as it is deployed (for the host's architecture), answers the
// golden batch byte for byte and reports a bad configuration as an init error.
func TestRealTransform(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Lambda binary")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("the Lambda binary runs on linux/amd64 or linux/arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	bin, err := BuildBootstrap(ctx, lambdapkg.Options{OutDir: dir, GOARCH: runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Start(ctx, Config{Bootstrap: bin, Env: []string{"UNKNOWN_FIELDS=keep", "LOG_LEVEL=INFO", "MAX_FUTURE_SKEW=1h"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Stop(); err != nil {
			t.Error(err)
		}
	})
	payload, err := os.ReadFile("../../transform/testdata/firehose-kinesis-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../transform/testdata/firehose-kinesis-batch.keep.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Invoke(ctx, payload)
	if err != nil || !bytes.Equal(append(got, '\n'), want) {
		t.Fatalf("golden batch: %v\n got %s\nwant %s", err, got, want)
	}
	var fe *FunctionError
	if _, err := f.Invoke(ctx, []byte(`{"records":"nope"}`)); !errors.As(err, &fe) || !strings.Contains(fe.Message, "decode the Firehose event") {
		t.Fatalf("broken payload: %v", err)
	}
	_, err = Start(ctx, Config{Bootstrap: bin, Env: []string{"UNKNOWN_FIELDS=sometimes"}})
	var exit *exec.ExitError
	if !errors.As(err, &fe) || fe.Type != "Runtime.InvalidConfiguration" || !strings.Contains(fe.Message, "UNKNOWN_FIELDS") ||
		!errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("bad configuration: %v", err)
	}
	if _, err := ExtractBootstrap(filepath.Join(dir, "missing.zip"), dir); err == nil {
		t.Error("a missing zip must fail")
	}
}
