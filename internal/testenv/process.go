package testenv

import (
	"testing"

	"github.com/streamlake/streamlake/internal/standin"
)

// StartTimeout bounds how long a server may take to accept connections.
const StartTimeout = standin.StartTimeout

// LockedBuffer is a buffer that concurrent writers (a process's stdout and stderr) and readers
// may share (standin.LockedBuffer).
type LockedBuffer = standin.LockedBuffer

// Process is a started stand-in (standin.Process).
type Process = standin.Process

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := standin.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// StartServer runs argv in dir, with PORT in any argument replaced by a free port, waits until
// the port accepts connections and stops the process at test cleanup (standin.StartServer).
func StartServer(t testing.TB, name, dir string, argv ...string) *Process {
	t.Helper()
	p, err := standin.StartServer(name, dir, argv...)
	if err != nil {
		t.Fatal(err)
	}
	stopAtCleanup(t, p)
	return p
}

// stopAtCleanup stops p when the test ends, and shows its output if the test failed.
func stopAtCleanup(t testing.TB, p *Process) {
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output (start):\n%s", p.Name, truncate(p.Output(), 4<<10))
		}
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
