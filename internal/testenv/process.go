package testenv

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartTimeout bounds how long a server may take to accept connections.
const StartTimeout = 20 * time.Second

// maxLog is how much of a stand-in's output a Process keeps (the start of it).
const maxLog = 1 << 20

// LockedBuffer is a buffer that concurrent writers (a process's stdout and stderr) and readers
// may share. With Max > 0 it keeps only the first Max bytes and drops the rest.
type LockedBuffer struct {
	Max int
	mu  sync.Mutex
	b   bytes.Buffer
}

// Write implements io.Writer; it never fails.
func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Max > 0 && l.b.Len() > l.Max {
		return len(p), nil
	}
	return l.b.Write(p)
}

// String returns what was written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// Process is a started stand-in.
type Process struct {
	Name     string
	Endpoint string // http://127.0.0.1:PORT
	cmd      *exec.Cmd
	out      *LockedBuffer
	exited   chan struct{}
}

// StartServer runs argv in dir, with PORT in any argument replaced by a free port, waits until
// the port accepts connections and stops the process at test cleanup. It tries a new port when
// the process exits early (another process took the port).
func StartServer(t testing.TB, name, dir string, argv ...string) *Process {
	t.Helper()
	var lastErr error
	for range 3 {
		port := FreePort(t)
		args := make([]string, len(argv))
		for i, a := range argv {
			args[i] = strings.ReplaceAll(a, "PORT", strconv.Itoa(port))
		}
		p := start(t, name, dir, args)
		p.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
		if lastErr = p.waitReady(port); lastErr == nil {
			return p
		}
		p.Stop()
	}
	t.Fatalf("%s did not start: %v", name, lastErr)
	return nil
}

// start runs args in its own process group (so that stopping it also stops any child it
// forks) and registers its stop with t.Cleanup.
func start(t testing.TB, name, dir string, args []string) *Process {
	t.Helper()
	p := &Process{Name: name, out: &LockedBuffer{Max: maxLog}, exited: make(chan struct{})}
	p.cmd = exec.Command(args[0], args[1:]...)
	p.cmd.Dir = dir
	p.cmd.Env = standinEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output (start):\n%s", name, truncate(p.out.String(), 4<<10))
		}
	})
	return p
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
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
			return c.Close()
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
