package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
)

// Region is the region clients of the stand-ins use.
const Region = "us-east-1"

// Node returns the node binary, and the directory of the npm stand-ins (tools/standins) after
// checking that pkg is installed there; it skips or fails the test (Missing) otherwise.
func Node(t testing.TB, pkg string) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Missing(t, "node (Node.js 20 runs "+pkg+")")
	}
	dir = filepath.Join(ModuleRoot(t), "tools", "standins")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
		Missing(t, pkg+" (npm ci --prefix tools/standins)")
	}
	return node, dir
}

// Kinesalite starts kinesalite (tools/standins, npm) and returns its endpoint.
func Kinesalite(t testing.TB) string {
	t.Helper()
	node, dir := Node(t, "kinesalite")
	// The Node API binds 127.0.0.1 only (the CLI binds every interface). Shard changes take
	// 50 ms instead of 500 so tests stay quick.
	return StartServer(t, "kinesalite", dir, node, "-e",
		"require('kinesalite')({createStreamMs:50,deleteStreamMs:50,updateStreamMs:50,shardLimit:50}).listen(PORT,'127.0.0.1')").Endpoint
}

// Moto starts moto_server and returns its endpoint.
func Moto(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		Missing(t, "moto_server")
	}
	return StartServer(t, "moto_server", t.TempDir(), bin, "-H", "127.0.0.1", "-p", "PORT").Endpoint
}

// credentialsProvider gives the fake credentials every stand-in accepts.
var credentialsProvider = credentials.NewStaticCredentialsProvider("AKIDSTANDIN", "standin-secret", "")

// AWSConfig is an AWS configuration for a stand-in at endpoint, with the SDK's own retries off.
func AWSConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentialsProvider,
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// KinesisClient is a Kinesis client for endpoint without SDK retries.
func KinesisClient(endpoint string) *kinesis.Client {
	return kinesis.NewFromConfig(AWSConfig(endpoint))
}
