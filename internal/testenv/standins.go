package testenv

import (
	"errors"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/streamlake/streamlake/internal/standin"
)

// Region is the region clients of the stand-ins use.
const Region = "us-east-1"

// Node returns the node binary, and the directory of the npm stand-ins (tools/standins) after
// checking that pkg is installed there; it skips or fails the test (Missing) otherwise.
func Node(t testing.TB, pkg string) (node, dir string) {
	t.Helper()
	node, dir, err := standin.Node(ModuleRoot(t), pkg)
	if err != nil {
		missing(t, err)
	}
	return node, dir
}

// Kinesalite starts kinesalite (tools/standins, npm) and returns its endpoint.
func Kinesalite(t testing.TB) string {
	t.Helper()
	p, err := standin.Kinesalite(ModuleRoot(t))
	if err != nil {
		missing(t, err)
		t.Fatal(err)
	}
	stopAtCleanup(t, p)
	return p.Endpoint
}

// missing skips or fails the test (Missing) when err says a stand-in is not installed.
func missing(t testing.TB, err error) {
	t.Helper()
	var m *standin.MissingError
	if errors.As(err, &m) {
		Missing(t, m.What)
	}
}

// Moto starts moto_server and returns its endpoint.
func Moto(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		Missing(t, `moto_server (pipx install "moto[server]==5.2.1")`)
	}
	return StartServer(t, "moto_server", t.TempDir(), bin, "-H", "127.0.0.1", "-p", "PORT").Endpoint
}

// AWSConfig is an AWS configuration for a stand-in at endpoint, with the SDK's own retries off.
func AWSConfig(endpoint string) aws.Config { return standin.AWSConfig(endpoint, Region) }

// KinesisClient is a Kinesis client for endpoint without SDK retries.
func KinesisClient(endpoint string) *kinesis.Client {
	return kinesis.NewFromConfig(AWSConfig(endpoint))
}
