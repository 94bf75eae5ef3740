// Package lambdaruntime runs a Lambda function locally the way Lambda runs a custom runtime:
// it serves the Lambda runtime API (2018-06-01: invocation/next, invocation/{id}/response,
// invocation/{id}/error, init/error) on 127.0.0.1, starts the function's bootstrap binary with
// AWS_LAMBDA_RUNTIME_API pointing at it, and hands it one invocation at a time. The binary is
// the real one (lambdapkg builds it; ExtractBootstrap takes it out of the zip), so start-up,
// lambda.Start, serialization and the runtime client are exercised as in Lambda.
//
// Like Lambda: an invocation that is not answered by its deadline ends the process (later
// invocations fail; Start a new Function), a response over the size limit is an error, and a
// function that reports an init error or exits before asking for work fails Start.
package lambdaruntime

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/streamlake/streamlake/lambdapkg"
)

// DefaultMaxResponseBytes is Lambda's limit on a synchronous response (6 MB), as
// transform.MaxResponseBytes counts it.
const DefaultMaxResponseBytes = 6 << 20

// Config says what to run and how.
type Config struct {
	// Bootstrap is the function's executable.
	Bootstrap string
	// Env is the process environment; AWS_LAMBDA_RUNTIME_API is added. Nothing is inherited.
	Env []string
	// FunctionArn is sent as Lambda-Runtime-Invoked-Function-Arn.
	FunctionArn string
	// Timeout is each invocation's deadline; 0 means 120 s.
	Timeout time.Duration
	// MaxResponseBytes bounds a response; 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int
	// Stdout and Stderr receive the function's output (its logs); nil discards it.
	Stdout, Stderr io.Writer
}

// Function is a running function and its runtime API.
type Function struct {
	c    Config
	srv  *http.Server
	addr string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited; exitErr is then set
	exit error

	ready     chan struct{} // closed at the function's first next request
	readyOnce sync.Once
	initErr   chan *FunctionError
	next      chan invocation

	mu      sync.Mutex // one invocation at a time, as in one Lambda execution environment
	pending sync.Map   // request id -> chan answer
	seq     int
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
}

type answer struct {
	body []byte
	err  error
}

// FunctionError is an error the function reported (invocation/{id}/error or init/error), or
// one Lambda reports for it (a response too large, a timeout).
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
	// Body is what the function posted, as it posted it.
	Body []byte `json:"-"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Start serves the runtime API, starts the bootstrap and waits until it asks for its first
// invocation. An init error, an exit or ctx ending first is an error, and nothing is left
// running.
func Start(ctx context.Context, c Config) (*Function, error) {
	if c.Bootstrap == "" {
		return nil, errors.New("lambdaruntime: Bootstrap is required")
	}
	if c.Timeout == 0 {
		c.Timeout = 120 * time.Second
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: listen: %w", err)
	}
	f := &Function{c: c, addr: ln.Addr().String(), done: make(chan struct{}), ready: make(chan struct{}),
		initErr: make(chan *FunctionError, 1), next: make(chan invocation)}
	f.srv = &http.Server{Handler: f.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()

	f.cmd = exec.Command(c.Bootstrap)
	f.cmd.Env = append([]string{"AWS_LAMBDA_RUNTIME_API=" + f.addr}, c.Env...)
	f.cmd.Stdout, f.cmd.Stderr = orDiscard(c.Stdout), orDiscard(c.Stderr)
	if err := f.cmd.Start(); err != nil {
		_ = f.srv.Close()
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", c.Bootstrap, err)
	}
	go func() { f.exit = f.cmd.Wait(); close(f.done) }()

	select {
	case <-f.ready:
		return f, nil
	case e := <-f.initErr:
		// A runtime exits after reporting an init error; give it the time to, so its exit
		// status is part of the error (errors.As finds the *exec.ExitError).
		select {
		case <-f.done:
		case <-time.After(5 * time.Second):
		}
		_ = f.Stop()
		if f.exit != nil {
			return nil, fmt.Errorf("lambdaruntime: %s failed to initialize: %w (%w)", c.Bootstrap, e, f.exit)
		}
		return nil, fmt.Errorf("lambdaruntime: %s failed to initialize: %w", c.Bootstrap, e)
	case <-f.done:
		_ = f.Stop()
		return nil, fmt.Errorf("lambdaruntime: %s exited before asking for work: %w", c.Bootstrap, f.exit)
	case <-ctx.Done():
		_ = f.Stop()
		return nil, fmt.Errorf("lambdaruntime: waiting for %s to start: %w", c.Bootstrap, ctx.Err())
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// Addr is the runtime API's host:port.
func (f *Function) Addr() string { return f.addr }

// Pid is the function process's id.
func (f *Function) Pid() int { return f.cmd.Process.Pid }

// Done is closed when the function process has exited.
func (f *Function) Done() <-chan struct{} { return f.done }

// Invoke hands payload to the function and returns its response. A *FunctionError says the
// function failed the invocation (or Lambda did, for a response too large or a timeout);
// other errors say it could not be invoked at all.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	inv := invocation{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq), payload: payload,
		deadline: time.Now().Add(f.c.Timeout)}
	ch := make(chan answer, 1)
	f.pending.Store(inv.id, ch)
	defer f.pending.Delete(inv.id)
	timeout := time.NewTimer(f.c.Timeout)
	defer timeout.Stop()
	select {
	case f.next <- inv:
	case <-f.done:
		return nil, fmt.Errorf("lambdaruntime: function exited: %w", f.exit)
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdaruntime: invoke: %w", ctx.Err())
	case <-timeout.C:
		return nil, fmt.Errorf("lambdaruntime: the function did not ask for work within %s", f.c.Timeout)
	}
	select {
	case a := <-ch:
		return a.body, a.err
	case <-f.done:
		return nil, fmt.Errorf("lambdaruntime: function exited during the invocation: %w", f.exit)
	case <-ctx.Done():
		return nil, fmt.Errorf("lambdaruntime: invoke: %w", ctx.Err())
	case <-timeout.C:
		// Lambda ends the execution environment of a function that times out.
		_ = f.kill()
		return nil, &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Task timed out after %.2f seconds", f.c.Timeout.Seconds())}
	}
}

// Stop ends the process by its pid, waits for it and closes the runtime API. It is safe to
// call more than once.
func (f *Function) Stop() error {
	err := f.kill()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := f.srv.Shutdown(ctx); serr != nil {
		_ = f.srv.Close()
	}
	return err
}

func (f *Function) kill() error {
	select {
	case <-f.done:
		return nil
	default:
	}
	if err := f.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("lambdaruntime: kill %d: %w", f.cmd.Process.Pid, err)
	}
	select {
	case <-f.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("lambdaruntime: process %d did not exit", f.cmd.Process.Pid)
	}
}

// routes is the runtime API.
func (f *Function) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", f.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", f.handleAnswer(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", f.handleAnswer(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", f.handleInitError)
	return mux
}

func (f *Function) handleNext(w http.ResponseWriter, r *http.Request) {
	f.readyOnce.Do(func() { close(f.ready) })
	select {
	case inv := <-f.next:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", f.c.FunctionArn)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

func (f *Function) handleAnswer(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, ok := f.pending.LoadAndDelete(r.PathValue("id"))
		if !ok {
			writeError(w, http.StatusBadRequest, "InvalidRequestID", "unknown or answered request id")
			return
		}
		ch := v.(chan answer)
		body, err := io.ReadAll(io.LimitReader(r.Body, int64(f.c.MaxResponseBytes)+1))
		switch {
		case err != nil:
			ch <- answer{err: fmt.Errorf("lambdaruntime: read the function's answer: %w", err)}
			writeError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		case len(body) > f.c.MaxResponseBytes:
			msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", f.c.MaxResponseBytes)
			ch <- answer{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: msg}}
			writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
		case isError:
			ch <- answer{err: functionError(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"))}
			w.WriteHeader(http.StatusAccepted)
		default:
			ch <- answer{body: body}
			w.WriteHeader(http.StatusAccepted)
		}
	}
}

func (f *Function) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	select {
	case f.initErr <- functionError(body, r.Header.Get("Lambda-Runtime-Function-Error-Type")):
	default:
	}
	w.WriteHeader(http.StatusAccepted)
}

// functionError reads an error body ({"errorType","errorMessage",...}); the header's type
// stands in when the body has none.
func functionError(body []byte, headerType string) *FunctionError {
	e := &FunctionError{}
	_ = json.Unmarshal(body, e)
	if e.Type == "" {
		e.Type = headerType
	}
	if e.Type == "" {
		e.Type = "Unhandled"
	}
	e.Body = body
	return e
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(FunctionError{Type: typ, Message: msg})
}

// BuildBootstrap builds the transform Lambda's archive with lambdapkg (o.OutDir is where) and
// extracts its bootstrap there, as Lambda does: the binary Start runs.
func BuildBootstrap(ctx context.Context, o lambdapkg.Options) (string, error) {
	a, err := lambdapkg.Build(ctx, o)
	if err != nil {
		return "", fmt.Errorf("build the transform Lambda: %w", err)
	}
	return ExtractBootstrap(a.Path, o.OutDir)
}

// ExtractBootstrap writes the "bootstrap" executable of a Lambda zip (lambdapkg.Build's
// archive) into dir and returns its path.
func ExtractBootstrap(zipPath, dir string) (string, error) {
	z, err := zip.OpenReader(zipPath)
	if err != nil {
		return "", fmt.Errorf("lambdaruntime: %w", err)
	}
	defer func() { _ = z.Close() }()
	for _, f := range z.File {
		if f.Name != "bootstrap" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", fmt.Errorf("lambdaruntime: %s: %w", zipPath, err)
		}
		defer func() { _ = rc.Close() }()
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, rc); err != nil {
			return "", fmt.Errorf("lambdaruntime: %s: %w", zipPath, err)
		}
		path := filepath.Join(dir, "bootstrap")
		if err := os.WriteFile(path, buf.Bytes(), 0o755); err != nil {
			return "", fmt.Errorf("lambdaruntime: %w", err)
		}
		return path, nil
	}
	return "", fmt.Errorf("lambdaruntime: %s has no bootstrap", zipPath)
}
