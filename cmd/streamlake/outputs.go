package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/stackconfig"
)

// Stack output names the CLI reads (stacks/run.go exports them; a test keeps the two in step).
const (
	outRegion    = "region"
	outAPIURL    = "apiUrl"
	outEventsURL = "eventsUrl"
	outBatchURL  = "batchUrl"
	outAPIKey    = "apiKey"
	outAPIAuth   = "apiAuth"
	outStream    = "streamName"
	outBucket    = "bucketName"
	outDatabase  = "glueDatabase"
	outTable     = "glueTable"
	outWorkgroup = "athenaWorkgroup"
	outDelivery  = "deliveryStreamName"
	outCrawler   = "crawlerName"
	outTopic     = "alarmTopicArn"
)

// pulumiRunner runs the pulumi CLI with args and returns its stdout.
type pulumiRunner func(ctx context.Context, args ...string) ([]byte, error)

func execPulumi(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("pulumi")
	if err != nil {
		return nil, errors.New("the pulumi CLI is not in PATH")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return nil, fmt.Errorf("pulumi %s failed: %w: %s", strings.Join(args, " "), err, msg)
	}
	return out, nil
}

// stackOutputs reads a stack's outputs once, and only if a value is needed that no flag gave:
// from --outputs FILE (what `pulumi stack output --json --show-secrets` printed) or by running
// that command (with --stack S if given) in the working directory.
type stackOutputs struct {
	stack, file string
	run         pulumiRunner
	// dataset, once chosen (chooseDataset), is whose outputs the dataset's keys
	// (stackconfig.DatasetOutputs) are read from: the stack output datasets.<name>.
	dataset string

	once sync.Once
	vals map[string]string
	// datasets are the stack output datasets, by dataset and key; nil for a stack deployed
	// before there were datasets.
	datasets map[string]map[string]string
	err      error
}

func newStackOutputs(e *env, stack, file string) *stackOutputs {
	run := e.pulumi
	if run == nil {
		run = execPulumi
	}
	return &stackOutputs{stack: stack, file: file, run: run}
}

func (s *stackOutputs) load(ctx context.Context) {
	var raw []byte
	if s.file != "" {
		raw, s.err = os.ReadFile(s.file)
		if s.err != nil {
			s.err = fmt.Errorf("read stack outputs: %w", s.err)
			return
		}
	} else {
		args := []string{"stack", "output", "--json", "--show-secrets"}
		if s.stack != "" {
			args = append(args, "--stack", s.stack)
		}
		if raw, s.err = s.run(ctx, args...); s.err != nil {
			s.err = fmt.Errorf("stack outputs are unavailable (%w); run inside the project with the pulumi CLI logged in, or pass --outputs FILE", s.err)
			return
		}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		s.err = fmt.Errorf("stack outputs are not a JSON object: %w", err)
		return
	}
	s.vals = map[string]string{}
	if ds, ok := m[stackconfig.OutputDatasets].(map[string]any); ok {
		s.datasets = map[string]map[string]string{}
		for name, outs := range ds {
			s.datasets[name] = map[string]string{}
			for k, v := range asMap(outs) {
				if str, ok := v.(string); ok {
					s.datasets[name][k] = str
				}
			}
		}
	}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			s.vals[k] = v
		case nil:
		default:
			b, _ := json.Marshal(v)
			s.vals[k] = string(b)
		}
	}
}

func (s *stackOutputs) where() string {
	switch {
	case s.file != "":
		return "in " + s.file
	case s.stack != "":
		return "of stack " + s.stack
	}
	return "of the current stack"
}

// get returns output key (of the chosen dataset, for a dataset's key).
func (s *stackOutputs) get(ctx context.Context, key string) (string, error) {
	v, name, err := s.value(ctx, key)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", fmt.Errorf("stack output %q is missing %s", name, s.where())
	}
	return v, nil
}

// lookup returns output key, or "" when the stack does not export it.
func (s *stackOutputs) lookup(ctx context.Context, key string) (string, error) {
	v, _, err := s.value(ctx, key)
	return v, err
}

// value reads output key: a dataset's key from datasets.<dataset> once a dataset is chosen
// and the stack has datasets (a stack deployed before them has the default's at the top
// level); name is the output as messages name it.
func (s *stackOutputs) value(ctx context.Context, key string) (v, name string, err error) {
	s.once.Do(func() { s.load(ctx) })
	if s.err != nil {
		return "", key, s.err
	}
	if s.dataset == "" || !slices.Contains(stackconfig.DatasetOutputs, key) {
		return s.vals[key], key, nil
	}
	if s.datasets == nil {
		if s.dataset != schema.DefaultDataset {
			return "", key, fmt.Errorf("stack outputs %s have no %s output (a stack deployed before datasets): dataset %s is not deployed there",
				s.where(), stackconfig.OutputDatasets, s.dataset)
		}
		return s.vals[key], key, nil
	}
	outs, ok := s.datasets[s.dataset]
	if !ok {
		return "", key, fmt.Errorf("the stack %s has no dataset %s (it has %s)", s.where(), s.dataset, strings.Join(slices.Sorted(maps.Keys(s.datasets)), ", "))
	}
	return outs[key], datasetOutputName(s.dataset, key), nil
}

// datasetOutputName is how messages name a dataset's output key: datasets.<dataset>.<key>.
func datasetOutputName(dataset, key string) string {
	return stackconfig.OutputDatasets + "." + dataset + "." + key
}

// asMap is v as a JSON object, or nil.
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// loaded reports whether outputs were read successfully (without reading them).
func (s *stackOutputs) loaded() bool { return s.vals != nil }

// pick returns the flag's value if set, else the environment variable's (if envVar is not
// empty), else the stack output. The error names the flag, so the fix is obvious.
func (s *stackOutputs) pick(ctx context.Context, e *env, flagVal, flagName, envVar, key string) (string, error) {
	if flagVal != "" {
		return flagVal, nil
	}
	if envVar != "" {
		if v := e.getenv(envVar); v != "" {
			return v, nil
		}
	}
	v, err := s.get(ctx, key)
	if err != nil {
		also := ""
		if envVar != "" {
			also = " or $" + envVar
		}
		return "", fmt.Errorf("--%s%s not given, and %w", flagName, also, err)
	}
	return v, nil
}

// region returns --region, else the stack's region when the outputs were needed anyway, else
// "" (the AWS SDK's own default: AWS_REGION, the profile).
func (s *stackOutputs) region(ctx context.Context, flagVal string) string {
	if flagVal != "" || !s.loaded() {
		return flagVal
	}
	v, _ := s.get(ctx, outRegion)
	return v
}
