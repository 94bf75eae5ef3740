package standin_test

import (
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamlake/streamlake/internal/standin"
	"github.com/streamlake/streamlake/internal/testenv"
)

// Kinesalite answers on 127.0.0.1 and Stop ends its process group: no process is left.
func TestKinesaliteStartsAndStops(t *testing.T) {
	root := testenv.ModuleRoot(t)
	p, err := standin.Kinesalite(root)
	var missing *standin.MissingError
	if errors.As(err, &missing) {
		testenv.Missing(t, missing.What)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if !strings.HasPrefix(p.Endpoint, "http://127.0.0.1:") {
		t.Errorf("endpoint %s", p.Endpoint)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Post(p.Endpoint, "application/x-amz-json-1.1", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	pid := p.Pid()
	p.Stop()
	p.Stop() // twice is fine
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still exists after Stop: %v", pid, err)
	}
}

// A stand-in that is not installed is a MissingError naming it.
func TestMissingStandin(t *testing.T) {
	_, _, err := standin.Node(t.TempDir(), "kinesalite")
	var missing *standin.MissingError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), "run scripts/install-standins.sh") {
		t.Errorf("got %v", err)
	}
}

// A server that exits at once fails StartServer with its output, after its retries.
func TestServerThatExits(t *testing.T) {
	_, err := standin.StartServer("false", t.TempDir(), "sh", "-c", "echo no port PORT for me; exit 3")
	if err == nil || !strings.Contains(err.Error(), "false did not start: exited early: no port") {
		t.Errorf("got %v", err)
	}
}
