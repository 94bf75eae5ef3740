package testenv

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
)

// VTLJob is one template for vtl/testdata/render.js to render (see there for every field).
type VTLJob struct {
	Template string            `json:"template"`
	Mode     string            `json:"mode,omitempty"` // request | response | gateway | accesslog
	Body     string            `json:"body"`
	Headers  map[string]string `json:"headers,omitempty"`
	Context  map[string]any    `json:"context,omitempty"`
	Nulls    string            `json:"nulls,omitempty"` // literal | empty
}

// VTLResult is what render.js answers for a job.
type VTLResult struct {
	Output   string            `json:"output"`
	Status   *string           `json:"status"` // responseOverride.status, nil when not set
	Headers  map[string]string `json:"headers"`
	Warnings []string          `json:"warnings"`
	Error    string            `json:"error"`
}

// RenderVTL renders API Gateway mapping templates as API Gateway would, with velocityjs
// (tools/standins) under node, all jobs in one process. J must marshal to render.js's job
// object and R unmarshal its result (VTLJob and VTLResult do; package vtl's tests add fields
// of their own). Without node or velocityjs the test skips, or fails when CI=true.
func RenderVTL[J, R any](t testing.TB, jobs []J) []R {
	t.Helper()
	node, _ := Node(t, "velocityjs")
	in, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(ModuleRoot(t), "vtl", "testdata", "render.js"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("render.js: %v\n%s", err, stderr.String())
	}
	var results []R
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("render.js answer: %v\n%s", err, out)
	}
	if len(results) != len(jobs) {
		t.Fatalf("render.js answered %d results for %d jobs", len(results), len(jobs))
	}
	return results
}
