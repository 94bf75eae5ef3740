// Package standin starts the local stand-ins for AWS services as processes on 127.0.0.1 and
// stops them by process id: kinesalite (npm, installed under tools/standins by
// scripts/install-standins.sh) or any server that takes its port on the command line. The local
// lake (cmd/streamlake-local) runs on it, and internal/testenv wraps it for tests.
package standin

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StartTimeout bounds how long a server may take to accept connections.
const StartTimeout = 20 * time.Second

// maxLog is how much of a stand-in's output a Process keeps (the start of it).
const maxLog = 1 << 20

// kinesaliteJS starts kinesalite through its Node API, which binds 127.0.0.1 only (its CLI
// binds every interface). Stream and shard changes take 50 ms instead of 500.
const kinesaliteJS = "require('kinesalite')({createStreamMs:50,deleteStreamMs:50,updateStreamMs:50,shardLimit:50}).listen(PORT,'127.0.0.1')"

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
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	return port, nil
}

// Process is a started stand-in.
type Process struct {
	Name     string
	Endpoint string // http://127.0.0.1:PORT
	cmd      *exec.Cmd
	out      *LockedBuffer
	exited   chan struct{}
}

// StartServer runs argv in dir, with PORT in any argument replaced by a free port, and waits
// until the port accepts connections. It tries a new port when the process exits early
// (another process took the port). The caller stops it with Stop.
func StartServer(name, dir string, argv ...string) (*Process, error) {
	var lastErr error
	for range 3 {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		args := make([]string, len(argv))
		for i, a := range argv {
			args[i] = strings.ReplaceAll(a, "PORT", strconv.Itoa(port))
		}
		p, err := start(name, dir, args)
		if err != nil {
			return nil, err
		}
		p.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
		if lastErr = p.waitReady(port); lastErr == nil {
			return p, nil
		}
		p.Stop()
	}
	return nil, fmt.Errorf("%s did not start: %w", name, lastErr)
}

// start runs args in its own process group, so that stopping it also stops any child it forks.
func start(name, dir string, args []string) (*Process, error) {
	p := &Process{Name: name, out: &LockedBuffer{Max: maxLog}, exited: make(chan struct{})}
	p.cmd = exec.Command(args[0], args[1:]...)
	p.cmd.Dir = dir
	p.cmd.Env = standinEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	return p, nil
}

// standinEnv is the environment without AWS_* variables: fake credentials, an empty region or
// config paths must not change how a stand-in behaves (moto reads them).
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

// Pid is the process id (and process group id) of the stand-in.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Output returns the start of what the process wrote to stdout and stderr.
func (p *Process) Output() string { return p.out.String() }

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

// MissingError says a stand-in is not installed; What names it and how it is installed.
type MissingError struct{ What string }

func (e *MissingError) Error() string {
	return e.What + " is not available: run scripts/install-standins.sh"
}

// Node returns the node binary and the directory of the npm stand-ins (root/tools/standins)
// after checking that pkg is installed there; otherwise a *MissingError.
func Node(root, pkg string) (node, dir string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", &MissingError{What: "node (Node.js 20 runs " + pkg + ")"}
	}
	dir = filepath.Join(root, "tools", "standins")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
		return "", "", &MissingError{What: pkg + " (npm ci --prefix tools/standins)"}
	}
	return node, dir, nil
}

// Kinesalite starts kinesalite from the module at root and returns it; its Endpoint is the
// Kinesis endpoint. A stand-in that is not installed is a *MissingError.
func Kinesalite(root string) (*Process, error) {
	node, dir, err := Node(root, "kinesalite")
	if err != nil {
		return nil, err
	}
	return StartServer("kinesalite", dir, node, "-e", kinesaliteJS)
}
