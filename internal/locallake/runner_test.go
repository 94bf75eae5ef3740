package locallake

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/streamlake/streamlake/internal/standin"
	"github.com/streamlake/streamlake/internal/testenv"
	"github.com/streamlake/streamlake/stackconfig"
)

// A stream the local Kinesis cannot create fails the run with what the stand-in wrote, here a
// server that is not Kinesis at all and says so.
func TestCreateStreamFailureShowsTheStandinsOutput(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Missing(t, "python3 (moto_server runs on it)")
	}
	p := testenv.StartServer(t, "http.server", t.TempDir(), "python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "PORT")
	r := &runner{kinesalite: p, kinesis: kinesis.NewFromConfig(standin.AWSConfig(p.Endpoint, "eu-west-1"))}
	l := &lane{d: &stackconfig.Dataset{Config: &stackconfig.Config{ShardCount: 1}}, names: stackconfig.Names{Stream: "s"}}
	err := r.createStream(context.Background(), l)
	if err == nil || !strings.Contains(err.Error(), "create stream s: ") || !strings.Contains(err.Error(), "(kinesalite's output: Serving HTTP on 127.0.0.1") {
		t.Errorf("got %v", err)
	}
}
